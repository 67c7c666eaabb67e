"""The Smart School pipeline step: registry into the store, sample history, indicators."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from ssckit.core.errors import InputError
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.school.indicators import compute_values
from ssckit.school.schema import Registry, ensure_tables, read_registry, store_registry


@dataclass(frozen=True)
class SchoolSettings:
    """``settings.school`` of city.yaml.

    utc_offset_min: local time minus UTC of the timetables [min] (0);
    simulate_days: for sample workspaces, days of one-minute history the simulator writes
    when the store has none (0: never); simulate_hourly_days: days of hourly aggregates
    before that (0); seed: simulator seed (0); broker_host, broker_port: the MQTT broker of
    ``ssckit school ingest`` (127.0.0.1:1883); topic: its subscription.
    """

    utc_offset_min: int = 0
    simulate_days: int = 0
    simulate_hourly_days: int = 0
    seed: int = 0
    broker_host: str = "127.0.0.1"
    broker_port: int = 1883
    topic: str = "ssckit/school/+/+"

    def __post_init__(self) -> None:
        if not -720 <= self.utc_offset_min <= 840:
            raise ValueError(f"utc_offset_min {self.utc_offset_min} is outside -720..840")
        if not 0 <= self.simulate_days <= 366 or not 0 <= self.simulate_hourly_days <= 3660:
            raise ValueError("simulate_days must be 0..366 and simulate_hourly_days 0..3660")


def load_registry(ws: Workspace) -> Registry | None:
    paths = [ws.input_path("school", n) for n in ("schools", "rooms", "devices")]
    if all(p is None for p in paths):
        return None
    if any(p is None for p in paths):
        raise InputError(str(ws.path("city.yaml")), "field 'inputs.school'",
                         "give all three registry files: schools, rooms, devices")
    return read_registry(*paths)  # type: ignore[arg-type]


#: Days of simulated minute history kept in DuckDB; older days go to the Parquet history.
RECENT_DAYS = 2


def simulate_history(store: Store, registry: Registry, settings: SchoolSettings,
                     history_root: Path, hourly_root_dir: Path,
                     end: datetime | None = None) -> int:
    """Fill an empty store with the simulator's history: ``simulate_days`` of one-minute
    readings up to ``end`` (default: now) — the last :data:`RECENT_DAYS` in DuckDB, the rest
    in the Parquet history under ``history_root`` — preceded by hourly aggregates."""
    from ssckit.school.simulate import simulate_hourly, simulate_minutes
    from ssckit.school.storage import write_history, write_hourly_history

    end = (end or datetime.now(UTC).replace(tzinfo=None)).replace(second=0, microsecond=0)
    start = end - timedelta(days=settings.simulate_days)
    readings = simulate_minutes(registry, start.isoformat(), settings.simulate_days,
                                seed=settings.seed, utc_offset_min=settings.utc_offset_min)
    cutoff = int((end - timedelta(days=RECENT_DAYS) - datetime(1970, 1, 1)).total_seconds()
                 // 60)
    old = readings.select_time(None, cutoff)
    recent = readings.select_time(cutoff, None)
    n = 0
    # Old days go straight to Parquet through a scratch in-memory database: no index, and
    # nothing left behind in the store's file.
    scratch = duckdb.connect()
    try:
        scratch.execute("CREATE TABLE staging (device_id VARCHAR, quantity VARCHAR, "
                        "ts TIMESTAMP, value DOUBLE, school_id VARCHAR, room_id VARCHAR)")
        old.to_duckdb(scratch, "staging")
        n += write_history(scratch, "staging", history_root)
    finally:
        scratch.close()
    with store.transaction() as cur:
        n += recent.sorted_by_key().to_duckdb(cur)
    if settings.simulate_hourly_days:
        # the year before: hourly aggregates, kept as the Parquet hourly history
        h_start = start - timedelta(days=settings.simulate_hourly_days)
        hourly = simulate_hourly(registry, h_start.isoformat(), settings.simulate_hourly_days,
                                 seed=settings.seed, utc_offset_min=settings.utc_offset_min)
        scratch = duckdb.connect()
        try:
            scratch.execute("CREATE TABLE school_hourly (school_id VARCHAR, room_id VARCHAR, "
                            "device_id VARCHAR, quantity VARCHAR, hour TIMESTAMP, n INTEGER, "
                            "mean DOUBLE, min DOUBLE, max DOUBLE)")
            hourly.to_duckdb(scratch)
            n += write_hourly_history(scratch, "school_hourly", hourly_root_dir)
        finally:
            scratch.close()
    return n


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Pipeline step: store the registry, simulate history for a sample city whose store has
    none, and compute the school indicators."""
    registry = load_registry(ws)
    if registry is None:
        return []
    settings = ws.module_settings("school", SchoolSettings)
    store_registry(store, registry)
    ensure_tables(store)
    cur = store.cursor()
    try:
        empty = cur.execute("SELECT count(*) FROM school_readings").fetchone()[0] == 0
    finally:
        cur.close()
    if empty and ws.config.synthetic and settings.simulate_days:
        from ssckit.school.storage import hourly_root, readings_root

        shutil.rmtree(readings_root(ws.root), ignore_errors=True)
        simulate_history(store, registry, settings, readings_root(ws.root),
                         hourly_root(ws.root))
    ict = {s.id: s.pupils_with_ict_access for s in registry.schools.values()
           if s.pupils_with_ict_access is not None}
    from ssckit.school.storage import readings_root

    return compute_values(store, registry, str(ws.config.year),
                          "D" if ws.config.synthetic else "B", settings.utc_offset_min,
                          ict if len(ict) == len(registry.schools) else None,
                          history_root=readings_root(ws.root))
