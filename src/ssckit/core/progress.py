"""Progress bars for long work: one rich display per command, silent when quiet or not a terminal.

A command turns the display on with :func:`progress_display` (``--quiet`` turns it off); any code
underneath reports through :func:`task` or :func:`track` without knowing whether anyone watches.
Nested steps share the one display (rich allows a single live display at a time), so the
pipeline's overall bar and a module's own bar (e.g. "school history: day 12 of 28") show together.

Example::

    with progress_display(enabled=not quiet):
        with task("writing history", total=len(days)) as advance:
            for day in days:
                write(day)
                advance()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

T = TypeVar("T")

_display: ContextVar[Progress | None] = ContextVar("ssckit_progress", default=None)


def _new_progress(console: Console) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("[progress.description]{task.description}"),
                    BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


@contextmanager
def progress_display(enabled: bool = True, console: Console | None = None) -> Iterator[None]:
    """Show the progress of everything inside this block, unless ``enabled`` is False or the
    console is not a terminal (logs and CI get no bars; tests pass a console with
    ``force_terminal=True``). Inside another display this block adds to that one."""
    console = console or Console(stderr=True)
    if not enabled or not console.is_terminal or _display.get() is not None:
        yield
        return
    with _new_progress(console) as progress:
        token = _display.set(progress)
        try:
            yield
        finally:
            _display.reset(token)


def active() -> bool:
    """Whether a progress display is showing."""
    return _display.get() is not None


@contextmanager
def task(description: str, total: float | None = None) -> Iterator[Callable[..., None]]:
    """A bar on the active display; yields ``advance(n=1, description=None)``. Without a display
    the bar is not drawn and ``advance`` does nothing, so callers need no checks."""
    progress = _display.get()
    if progress is None:
        yield lambda n=1, description=None: None
        return
    task_id = progress.add_task(description, total=total)

    def advance(n: float = 1, description: str | None = None) -> None:
        progress.update(task_id, advance=n, description=description or progress.tasks[
            progress.task_ids.index(task_id)].description)

    try:
        yield advance
    finally:
        progress.remove_task(task_id)


def track(items: Iterable[T], description: str, total: float | None = None) -> Iterator[T]:
    """Iterate over ``items`` with a bar (``total`` defaults to ``len(items)`` where known)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with task(description, total) as advance:
        for item in items:
            yield item
            advance()
