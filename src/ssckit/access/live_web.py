"""The live caption page (``/access/live``) and its server-sent event stream.

``ssckit access live -w WORKSPACE`` writes caption events into
``outputs/access/live/current.jsonl``; every reader of the page gets them as server-sent events
(``/access/live/events``): the last captions first, then each new one as it is recognised.
The page is public, like a projector in the room.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from ssckit.access.live import CURRENT, LIVE_DIR, follow
from ssckit.core.webkit import get_workspace, render

router = APIRouter()
pages = APIRouter(include_in_schema=False)

#: Bounds of the page's settings (URL parameters and controls).
FONT_SIZES = (1.5, 8.0)   # [rem]
LINES = (1, 12)
KEEP_ALIVE = 15.0         # [s] between comments on a quiet stream (proxies close idle ones)
POLL = 0.1                # [s] between looks at the event file


@pages.get("/access/live", response_class=HTMLResponse)
def live_page(request: Request,
              size: Annotated[float, Query(ge=FONT_SIZES[0], le=FONT_SIZES[1])] = 3.0,
              lines: Annotated[int, Query(ge=LINES[0], le=LINES[1])] = 3,
              theme: Annotated[str, Query(pattern="^(dark|light)$")] = "dark") -> HTMLResponse:
    """Live captions, large and high-contrast; ``size`` [rem], ``lines`` and ``theme`` also
    change on the page itself."""
    return render(request, "access/live.html", {
        "size": size, "lines": lines, "theme": theme, "size_range": FONT_SIZES,
        "lines_range": LINES})


@pages.get("/access/live/events", response_class=StreamingResponse)
async def live_events(request: Request) -> StreamingResponse:
    """Server-sent events: one ``data:`` JSON line per caption event of the current session
    (``start``, ``partial``, ``final``, ``end``)."""
    path = get_workspace(request).root / LIVE_DIR / CURRENT
    stopped = False

    def stop() -> bool:
        return stopped

    async def stream() -> AsyncIterator[bytes]:
        nonlocal stopped
        events = follow(path, stop, poll=0)  # reads a few bytes per step: no thread needed
        quiet = 0.0
        yield b"retry: 2000\n\n"
        try:
            while not await request.is_disconnected():
                ev = next(events, None)
                if ev is None:
                    await asyncio.sleep(POLL)
                    quiet += POLL
                    if quiet >= KEEP_ALIVE:
                        quiet = 0.0
                        yield b": keep-alive\n\n"
                    continue
                quiet = 0.0
                yield f"data: {json.dumps(ev, ensure_ascii=False)}\n\n".encode()
        finally:
            stopped = True

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
