"""The web commands: ``ssckit serve`` and ``ssckit users`` (accounts, roles and API tokens)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ssckit.core import auth
from ssckit.core.cli_support import console, with_store, workspace_option
from ssckit.core.errors import InputError
from ssckit.core.modules import faces, load_ref
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace


def run_server(workspace_dir: Path, host: str = "127.0.0.1", port: int = 8000,
               live: bool = False, tls_cert: Path | None = None, tls_key: Path | None = None,
               behind_proxy: str = "127.0.0.1", cache: bool = True) -> None:
    """Serve the workspace's web app with uvicorn until interrupted.

    ``live``: also start what the modules run beside the server (their face's ``live``, e.g.
    a local broker, an ingester and a simulator feeding the dashboard). ``tls_cert`` /
    ``tls_key``: serve HTTPS. ``behind_proxy``: addresses (comma-separated) whose
    ``X-Forwarded-Proto`` / ``X-Forwarded-For`` are believed; "none" believes nobody.
    ``cache``: answer anonymous GETs from the per-store-version cache.
    """
    if (tls_cert is None) != (tls_key is None):
        raise InputError("--tls-cert/--tls-key", None, "give both the certificate and its key")
    for option, path in (("--tls-cert", tls_cert), ("--tls-key", tls_key)):
        if path is not None and not Path(path).is_file():
            raise InputError(str(path), None, f"{option}: file not found")
    import uvicorn

    from ssckit.web.app import create_app

    _check_port_free(host, port)

    app = create_app(Path(workspace_dir), cache=cache)
    feeds = _start_live(app.state.workspace) if live else []
    scheme = "https" if tls_cert else "http"
    console.print(f"Serving {app.state.workspace.label} on {scheme}://{host}:{port}/ "
                  "(Ctrl+C to stop)", highlight=False)
    trusted = "" if behind_proxy.strip().lower() == "none" else behind_proxy
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False,
                    ssl_certfile=str(tls_cert) if tls_cert else None,
                    ssl_keyfile=str(tls_key) if tls_key else None,
                    proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None)
    finally:
        for feed in feeds:
            feed.stop()


def _check_port_free(host: str, port: int) -> None:
    """A port another program listens on is one line, not uvicorn's log and exit."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError("--host", None, f"{host!r} is not an address of this machine "
                         f"({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError("--port", None, f"cannot listen on {host}:{port} ({exc.strerror}); "
                             "another program uses it: choose another --port") from None


def _start_live(ws: Workspace) -> list[Any]:
    def log(message: str) -> None:
        console.print(message, highlight=False)

    feeds = [load_ref(f.live)(ws, log) for f in faces() if f.live]
    return [feed for feed in feeds if feed is not None]


@click.command(epilog="Example: ssckit serve --workspace sample-city --port 8000")
@workspace_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface; put TLS in front).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="TCP port.")
@click.option("--live/--no-live", default=False, show_default=True,
              help="Also run the modules' live feeds (e.g. the Smart School sensors: a local "
                   "Mosquitto, the ingester and the simulator publishing each minute).")
@click.option("--tls-cert", type=click.Path(dir_okay=False, path_type=Path),
              help="PEM certificate (chain) to serve HTTPS with; needs --tls-key.")
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path),
              help="PEM private key of --tls-cert.")
@click.option("--behind-proxy", default="127.0.0.1", show_default=True, metavar="ADDRESSES",
              help="Reverse proxies (comma-separated addresses) whose X-Forwarded-Proto/For "
                   "are believed; 'none' believes nobody. Secure cookies and HSTS are sent "
                   "only to clients on HTTPS.")
@click.option("--cache/--no-cache", default=True, show_default=True,
              help="Answer anonymous GETs (pages, API) from a cache kept per store version: "
                   "any write to the store, by any process, renews it.")
def serve(workspace_dir: Path, host: str, port: int, live: bool, tls_cert: Path | None,
          tls_key: Path | None, behind_proxy: str, cache: bool) -> None:
    """Serve the web dashboard and the JSON API (/api/v1) of a city workspace.

    The server keeps no hold on the store: each request opens it for a moment, so `ssckit
    compute`, `kpi import`, `users` and other servers work on the same workspace meanwhile
    (each waits its turn, up to --wait seconds of the root command). Run the live feeds
    (--live) in one server only.
    """
    run_server(workspace_dir, host, port, live, tls_cert, tls_key, behind_proxy, cache)


@click.group(epilog="Example: ssckit users add ana --role analyst --workspace sample-city")
def users() -> None:
    """Web users, their roles and their API tokens.

    Roles: viewer (reads sensitive pages), analyst (also imports KPI values), admin (also
    manages users). Public pages and GET API calls need no user.
    """


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    auth.check_password_policy(password)
    return password


@users.command("add", epilog="Example: ssckit users add ana --role analyst\n\n"
                             "Example: printf '%s\\n' \"$PW\" | ssckit users add ci --role analyst "
                             "--password-stdin")
@click.argument("name")
@click.option("--role", type=click.Choice(auth.ROLES), required=True, help="The user's role.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of stdin instead of prompting.")
@with_store
def users_add(name: str, role: str, password_stdin: bool, ws: object, store: Store) -> None:
    """Add a user NAME with a role; the password is prompted for twice (hidden)."""
    if auth.get_user(store, name) is not None:
        raise InputError("user name", None, f"user {name!r} already exists")
    auth.add_user(store, name, role, _read_password(password_stdin))
    console.print(f"Added {name} ({role}).", highlight=False)


@users.command("list", epilog="Example: ssckit users list --workspace sample-city")
@with_store
def users_list(ws: object, store: Store) -> None:
    """List users with their roles and number of API tokens."""
    from rich.table import Table

    table = Table("User", "Role", "Created (UTC)", "API tokens")
    for u in auth.list_users(store):
        table.add_row(u.name, u.role, f"{u.created_at:%Y-%m-%d %H:%M}",
                      str(len(auth.list_api_tokens(store, u.name))))
    console.print(table)


@users.command("remove", epilog="Example: ssckit users remove ana")
@click.argument("name")
@with_store
def users_remove(name: str, ws: object, store: Store) -> None:
    """Remove user NAME with their sessions and API tokens."""
    auth.remove_user(store, name)
    console.print(f"Removed {name}.", highlight=False)


@users.command("token", epilog="Example: ssckit users token ana --label 'nightly import'")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
@with_store
def users_token(name: str, label: str, ws: object, store: Store) -> None:
    """Create an API token for NAME and print it once (only its hash is kept).

    Send it as `Authorization: Bearer TOKEN`.
    """
    token = auth.create_api_token(store, name, label)
    click.echo(token)


@users.command("passwd", epilog="Example: ssckit users passwd ana")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of stdin instead of prompting.")
@with_store
def users_passwd(name: str, password_stdin: bool, ws: object, store: Store) -> None:
    """Set a new password for NAME (prompted twice, hidden) and end their sessions."""
    if auth.get_user(store, name) is None:
        raise InputError("user name", None, f"no user {name!r}")
    auth.set_password(store, name, _read_password(password_stdin))
    console.print(f"Password of {name} changed; their sessions ended.", highlight=False)
