"""The `users` and `serve` commands."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from ssckit.core import auth
from ssckit.core.store import Store
from ssckit.web.cli import serve, users

PASSWORD = "a long enough password"


def test_users_add_list_token_passwd_remove(workspace_dir: Path) -> None:
    runner = CliRunner()
    w = ["--workspace", str(workspace_dir)]
    r = runner.invoke(users, ["add", "zoe", "--role", "analyst", *w],
                      input=f"{PASSWORD}\n{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    assert PASSWORD not in r.output
    r = runner.invoke(users, ["add", "yan", "--role", "viewer", "--password-stdin", *w],
                      input=f"{PASSWORD}\n")
    assert r.exit_code == 0, r.output
    listed = runner.invoke(users, ["list", *w])
    assert "zoe" in listed.output and "analyst" in listed.output
    token = runner.invoke(users, ["token", "zoe", "--label", "ci", *w]).output.strip()
    r = runner.invoke(users, ["passwd", "zoe", "--password-stdin", *w],
                      input="another long password\n")
    assert r.exit_code == 0, r.output
    with Store.open(workspace_dir / "ssckit.duckdb") as store:
        assert auth.user_for_api_token(store, token).name == "zoe"
        assert auth.authenticate(store, "zoe", "another long password", "cli") is not None
    assert runner.invoke(users, ["remove", "zoe", *w]).exit_code == 0
    short = runner.invoke(users, ["add", "x", "--role", "viewer", "--password-stdin", *w],
                          input="short\n")
    assert short.exit_code != 0


def test_help_shows_examples() -> None:
    runner = CliRunner()
    assert "Example: ssckit serve" in runner.invoke(serve, ["--help"]).output
    for sub in ("add", "list", "remove", "token", "passwd"):
        out = runner.invoke(users, [sub, "--help"]).output
        assert "Example: ssckit users" in out, sub


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made with `cryptography` (PEM cert and key)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_serve_https_sends_secure_cookies_and_hsts(workspace_dir: Path, tmp_path: Path) -> None:
    import socket
    import ssl
    import subprocess
    import sys
    import time

    import httpx

    cert, key = _self_signed(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ssckit.cli", "serve", "-w", str(workspace_dir), "--port",
         str(port), "--tls-cert", str(cert), "--tls-key", str(key)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(verify=ssl.create_default_context(cafile=str(cert)),
                          timeout=5) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    r = client.get(f"https://127.0.0.1:{port}/login")
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.monotonic() < deadline
                    time.sleep(0.2)
        assert r.status_code == 200
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
        assert "secure" in r.headers["set-cookie"].lower()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_tls_options_are_checked(workspace_dir: Path, tmp_path: Path) -> None:
    for args, words in ((["--tls-cert", str(tmp_path / "c.pem")], "give both"),
                        (["--tls-cert", str(tmp_path / "c.pem"), "--tls-key",
                          str(tmp_path / "k.pem")], "file not found")):
        r = CliRunner().invoke(serve, ["-w", str(workspace_dir), *args])
        assert r.exit_code != 0 and words in str(r.exception)


def test_serve_on_a_port_in_use_is_one_line(workspace_dir: Path) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "ssckit.cli", "serve", "-w", str(workspace_dir),
                            "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{port}" in lines[0], r.stderr
