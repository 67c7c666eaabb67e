"""What every module's CLI shares: the --workspace/--quiet options and opening a workspace."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from ssckit.core.store import Store
from ssckit.core.workspace import Workspace

console = Console()
err_console = Console(stderr=True)


def workspace_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--workspace DIR`` (default: the current folder)."""
    return click.option(
        "--workspace", "-w", "workspace_dir", type=click.Path(file_okay=False, path_type=Path),
        default=Path("."), show_default=True, help="City workspace folder (holds city.yaml).",
    )(f)


def quiet_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--quiet`` (no progress bars or chatter)."""
    return click.option("--quiet", "-q", is_flag=True, help="No progress bars or messages.")(f)


def format_option(*choices: str, default: str = "table") -> Callable[..., Any]:
    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        return click.option(
            "--format", "fmt", type=click.Choice(list(choices)), default=default,
            show_default=True, help="Output format.",
        )(f)

    return deco


def with_store(f: Callable[..., Any]) -> Callable[..., Any]:
    """Load the ``--workspace`` and open its store; pass both as ``ws, store``."""

    @workspace_option
    @functools.wraps(f)
    def wrapper(*args: Any, workspace_dir: Path, **kwargs: Any) -> Any:
        ws = Workspace.load(workspace_dir)
        with Store.open(ws.store_path) as store:
            return f(*args, ws=ws, store=store, **kwargs)

    return wrapper
