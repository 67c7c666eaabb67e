"""core.progress: bars on a terminal, nothing when quiet or not a terminal, one shared display."""

from __future__ import annotations

import io

from rich.console import Console

from ssckit.core import progress


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=100), out


def _work() -> list[int]:
    seen = []
    with progress.task("outer step", total=2) as advance:
        for i in progress.track(range(3), "inner items"):
            seen.append(i)
            assert progress.active() == seen_active[0]
        advance(2)
    return seen


seen_active = [False]


def test_bars_draw_on_a_terminal_and_nest():
    console, out = _console(True)
    seen_active[0] = True
    with progress.progress_display(console=console):
        assert _work() == [0, 1, 2]
    text = out.getvalue()
    assert "outer step" in text and "inner items" in text


def test_quiet_or_not_a_terminal_draws_nothing():
    seen_active[0] = False
    for enabled, terminal in ((False, True), (True, False)):
        console, out = _console(terminal)
        with progress.progress_display(enabled=enabled, console=console):
            assert _work() == [0, 1, 2]
        assert out.getvalue() == ""
    assert _work() == [0, 1, 2]          # with no display at all, callers need no checks
