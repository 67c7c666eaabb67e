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
