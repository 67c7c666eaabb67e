"""Smart School indicator values from the store: indoor climate, energy, connectivity, ICT access.

Indicators (entity ``school:ID`` and ``city``):

- ``school:classrooms_meeting_category_ii`` [%]: classrooms with at least 95 % of their
  occupied minutes in CO₂ category I or II of EN 16798-1 (the 5 % allowance for time
  outside the design category used for long-term evaluation), per school and city-wide;
- ``school:co2_mean_occupied`` [ppm], ``school:bb101_days_failed`` [days] per school;
- ``school:energy_per_m2`` [kWh/m²] and ``school:energy_per_pupil`` [kWh/pupil] per school
  over the assessed period (electricity + heat meters);
- ``school:connectivity_uptime`` [%] during school hours, ``school:connectivity_benchmark``
  [%] of measurements meeting the benchmark download speed, ``school:connectivity_live``
  (1/0) per school; city-wide ``school:connected_share`` [%], the share of schools live and
  meeting the benchmark in at least half of their measurements;
- ``SC:EH:ED:1C`` Student ICT Access [%], from the registry's ``pupils_with_ict_access``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ssckit import __version__
from ssckit.core.indicators import IndicatorValue
from ssckit.core.progress import track
from ssckit.core.store import Store
from ssckit.school import connectivity as conn
from ssckit.school.ieq import energy_intensity, ieq_report
from ssckit.school.schema import Registry
from ssckit.school.storage import readings_span, readings_sql

CATEGORY_II_SHARE = 95.0
_SERIES = ("electricity", "heat", "online", "download", "upload", "latency")


def compute_values(store: Store, registry: Registry, period: str, quality: str,
                   utc_offset_min: int = 0, ict_access: dict[str, int] | None = None,
                   history_root: Path | None = None) -> list[IndicatorValue]:
    """Every school indicator from the readings in ``store`` and the Parquet history under
    ``history_root`` (see the module docstring). The readings are read school by school
    (each one's Parquet partitions only), so memory is bounded by one school's history."""
    cur = store.cursor()
    try:
        span = readings_span(cur, history_root)
    finally:
        cur.close()
    src = {"module": "school", "version": __version__}
    out: list[IndicatorValue] = []

    def v(ind: str, value: float, unit: str, entity: str = "city") -> None:
        out.append(IndicatorValue(indicator=ind, value=float(value), unit=unit, period=period,
                                  entity=entity, source=src, quality=quality))

    if ict_access:
        pupils = sum(registry.schools[s].pupils for s in ict_access)
        if pupils:
            v("SC:EH:ED:1C", 100.0 * sum(ict_access.values()) / pupils, "%")
    if span is None:
        return out
    start, end = span
    src["span"] = [start.isoformat(), end.isoformat()]
    report: list[dict[str, Any]] = []
    series: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = {}
    cur = store.cursor()
    try:
        for sid in track(sorted(registry.schools), "school indicators"):
            sql, params = readings_sql(history_root, sid)
            rooms = [r for r in registry.rooms.values() if r.school_id == sid]
            if rooms:
                report += ieq_report(cur, rooms=rooms, utc_offset_min=utc_offset_min,
                                     source=f"({sql})", source_params=params)
            series |= _series(store, f"({sql})", params, _SERIES)
    finally:
        cur.close()
    by_school: dict[str, list[dict[str, Any]]] = {}
    types = {(r.school_id, r.room_id): r.type for r in registry.rooms.values()}
    for room in report:
        by_school.setdefault(room["school_id"], []).append(room)
    n_class = n_ok = 0
    for sid, rooms_ in sorted(by_school.items()):
        classes = [r for r in rooms_ if types.get((sid, r["room_id"])) == "classroom"
                   and r["occupied_co2_minutes"] > 0]
        ok = [r for r in classes if r["co2_share"][0] + r["co2_share"][1] >= CATEGORY_II_SHARE]
        n_class += len(classes)
        n_ok += len(ok)
        if classes:
            v("school:classrooms_meeting_category_ii", 100.0 * len(ok) / len(classes), "%",
              f"school:{sid}")
        occ = [r for r in rooms_ if r["occupied_co2_minutes"] > 0]
        if occ:
            w = np.array([r["occupied_co2_minutes"] for r in occ], dtype=float)
            m = np.array([r["co2_mean_occupied"] for r in occ])
            v("school:co2_mean_occupied", float((w * m).sum() / w.sum()), "ppm", f"school:{sid}")
            v("school:bb101_days_failed", float(sum(r["days_over_2000_20min"] for r in occ)),
              "days", f"school:{sid}")
    if n_class:
        v("school:classrooms_meeting_category_ii", 100.0 * n_ok / n_class, "%")

    now = np.datetime64(datetime.now(UTC).replace(tzinfo=None), "m")
    connected = 0
    for sid, s in registry.schools.items():
        kwh = 0.0
        for q in ("electricity", "heat"):
            for ts, val in series.get((sid, q), []):
                kwh += energy_intensity(ts, val, s.floor_area_m2, s.pupils)["kwh"]
        if any((sid, q) in series for q in ("electricity", "heat")):
            v("school:energy_per_m2", kwh / s.floor_area_m2, "kWh/m2", f"school:{sid}")
            if s.pupils:
                v("school:energy_per_pupil", kwh / s.pupils, "kWh/pupil", f"school:{sid}")
        probe = {q: _concat(series.get((sid, q), [])) for q in ("online", "download", "upload",
                                                                "latency")}
        probe = {q: tv for q, tv in probe.items() if tv is not None}
        if not probe:
            continue
        res = conn.school_connectivity(
            probe, now=min(now, np.datetime64(end, "m") + np.timedelta64(1, "m")),
            start=np.datetime64(start, "m"), end=np.datetime64(end, "m") + 1,
            benchmark_mbps=s.benchmark_down_mbps, utc_offset_min=utc_offset_min)
        live = res["status"] == "live"
        bench = float(res["benchmark_share"]) if np.isfinite(res["benchmark_share"]) else 0.0
        v("school:connectivity_live", float(live), "yes/no", f"school:{sid}")
        v("school:connectivity_uptime", 100.0 * float(res["uptime"]), "%", f"school:{sid}")
        v("school:connectivity_benchmark", 100.0 * bench, "%", f"school:{sid}")
        connected += live and bench >= 0.5
    if registry.schools:
        v("school:connected_share", 100.0 * connected / len(registry.schools), "%")
    return out


def _series(store: Store, source: str, params: dict[str, Any], quantities: tuple[str, ...]
            ) -> dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]]:
    """(school, quantity) -> per-device (ts datetime64[m], value) arrays, sorted by time."""
    cur = store.cursor()
    try:
        names = {f"series_q{i}": q for i, q in enumerate(quantities)}
        rel = cur.execute(
            f"SELECT school_id, quantity, device_id, ts, value FROM {source} WHERE quantity "
            f"IN ({', '.join('$' + k for k in names)}) ORDER BY device_id, quantity, ts",
            {**params, **names}).fetchnumpy()
    finally:
        cur.close()
    out: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = {}
    if len(rel["ts"]) == 0:
        return out
    dev, qty = rel["device_id"], rel["quantity"]
    bounds = np.flatnonzero((dev[1:] != dev[:-1]) | (qty[1:] != qty[:-1])) + 1
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(dev)], strict=True):
        out.setdefault((str(rel["school_id"][a]), str(rel["quantity"][a])), []).append(
            (rel["ts"][a:b].astype("datetime64[m]"), rel["value"][a:b].astype(float)))
    return out


def _concat(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray] | None:
    if not parts:
        return None
    ts = np.concatenate([p[0] for p in parts])
    val = np.concatenate([p[1] for p in parts])
    order = np.argsort(ts, kind="stable")
    return ts[order], val[order]
