"""What the school module runs beside ``ssckit serve --live``: the Smart School live feed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ssckit.core.workspace import Workspace


def start_live_feed(ws: Workspace, log: Callable[[str], None]) -> Any:
    """Start a local Mosquitto broker, the ingester, the simulator publishing each minute's
    readings and the alert rules of ``settings.school.alerts`` (evaluated as readings arrive),
    when the workspace has a school registry; returns the running feed (``stop()``) or None.
    A missing Mosquitto, or wrong alert settings, is said in one line, not raised."""
    from ssckit.school.live import LiveFeed
    from ssckit.school.run import SchoolSettings, load_registry

    registry = load_registry(ws)
    if registry is None:
        return None
    from ssckit.school.live_alerts import live_alerts

    settings = ws.module_settings("school", SchoolSettings)
    try:
        return LiveFeed(ws.store_path, registry, settings.seed, settings.utc_offset_min,
                        log=log, alerts=live_alerts(ws, registry, settings, log)).start()
    except RuntimeError as exc:
        log(f"no live Smart School feed: {exc}")
        return None
