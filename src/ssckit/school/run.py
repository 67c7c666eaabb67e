"""The Smart School pipeline step: registry into the store, sample history, indicators."""

from __future__ import annotations

import contextvars
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ssckit.core.errors import InputError
from ssckit.core.indicators import IndicatorValue
from ssckit.core.progress import track
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.school.indicators import compute_values
from ssckit.school.schema import Registry, ensure_tables, read_registry, store_registry


class SchoolSettings(BaseModel):
    """``settings.school`` of city.yaml, validated as a whole."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    utc_offset_min: int = Field(0, ge=-720, le=840,
                                description="Local time minus UTC of the timetables [min].")
    simulate_days: int = Field(0, ge=0, le=366, description=(
        "For sample workspaces: days of one-minute history the simulator writes when the "
        "store has none (0: never)."))
    simulate_hourly_days: int = Field(0, ge=0, le=3660, description=(
        "Days of simulated hourly aggregates before the minute history."))
    seed: int = Field(0, ge=0, description="Simulator seed.")
    broker_host: str = Field("127.0.0.1", min_length=1,
                             description="MQTT broker of `ssckit school ingest`.")
    broker_port: int = Field(1883, ge=1, le=65535, description="Its port.")
    topic: str = Field("ssckit/school/+/+", min_length=1, description="Its subscription.")
    alerts: dict = Field(default_factory=dict, description=(  # ssckit.school.notify_rules
        "Alert rules, subscriptions and delivery (validated by `ssckit school alerts`)."))


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


def _minute(t: datetime) -> int:
    return int((t - datetime(1970, 1, 1)).total_seconds() // 60)


def simulate_history(store: Store, registry: Registry, settings: SchoolSettings,
                     history_root: Path, hourly_root_dir: Path,
                     end: datetime | None = None, piece_days: int = 1) -> int:
    """Fill an empty store with the simulator's history: ``simulate_days`` of one-minute
    readings up to ``end`` (default: now; :func:`simulate_minute_history`) preceded by
    ``simulate_hourly_days`` of hourly aggregates (:func:`simulate_hourly_history`). Returns
    the rows written."""
    end = _end(end)
    return (simulate_minute_history(store, registry, settings, history_root, end, piece_days)
            + simulate_hourly_history(registry, settings, hourly_root_dir, end))


def _end(end: datetime | None) -> datetime:
    return (end or datetime.now(UTC).replace(tzinfo=None)).replace(second=0, microsecond=0)


def simulate_minute_history(store: Store, registry: Registry, settings: SchoolSettings,
                            history_root: Path, end: datetime | None = None,
                            piece_days: int = 1) -> int:
    """``simulate_days`` of one-minute readings up to ``end``: the last :data:`RECENT_DAYS`
    into DuckDB, the rest into the Parquet history under ``history_root``; returns the rows.

    Simulated and written ``piece_days`` UTC days at a time (each piece is written while the
    next one is simulated), so memory is bounded by a piece; the data do not depend on the
    piece size.
    """
    from ssckit.school.simulate import MinuteSimulator
    from ssckit.school.storage import HistoryWriter

    end = _end(end)
    sim = MinuteSimulator(registry, (end - timedelta(days=settings.simulate_days)).isoformat(),
                          settings.simulate_days, seed=settings.seed,
                          utc_offset_min=settings.utc_offset_min)
    cutoff = _minute(end - timedelta(days=RECENT_DAYS))
    n = 0
    with HistoryWriter.like(sim.empty(), background=True) as writer, \
            store.transaction() as cur:
        for piece in track(sim.pieces(piece_days), "school history: minute readings",
                           total=sim.n_pieces(piece_days)):
            old = piece.select_time(None, cutoff)
            if len(old):
                n += writer.write_readings(old, history_root)
            recent = piece.select_time(cutoff, None)
            if len(recent):
                n += recent.to_duckdb(cur)
    return n


def simulate_hourly_history(registry: Registry, settings: SchoolSettings,
                            hourly_root_dir: Path, end: datetime | None = None) -> int:
    """``simulate_hourly_days`` of hourly aggregates before the minute history that ends at
    ``end``, into the Parquet hourly history under ``hourly_root_dir`` (a calendar month at a
    time); returns the rows. Needs no store: it may run while the indicators are computed."""
    from ssckit.school.simulate import HourlySimulator
    from ssckit.school.storage import HistoryWriter

    if not settings.simulate_hourly_days:
        return 0
    start = _end(end) - timedelta(days=settings.simulate_days + settings.simulate_hourly_days)
    sim = HourlySimulator(registry, start.isoformat(), settings.simulate_hourly_days,
                          seed=settings.seed, utc_offset_min=settings.utc_offset_min)
    n = 0
    with HistoryWriter.like(sim.empty(), background=True) as writer:
        for piece in track(sim.pieces(), "school history: hourly aggregates",
                           total=len(sim.months())):
            n += writer.write_hourly(piece, hourly_root_dir)
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
    from ssckit.school.storage import hourly_root, readings_root

    ict = {s.id: s.pupils_with_ict_access for s in registry.schools.values()
           if s.pupils_with_ict_access is not None}

    def values() -> list[IndicatorValue]:
        return compute_values(store, registry, str(ws.config.year),
                              "D" if ws.config.synthetic else "B", settings.utc_offset_min,
                              ict if len(ict) == len(registry.schools) else None,
                              history_root=readings_root(ws.root))

    if not (empty and ws.config.synthetic and settings.simulate_days):
        return values()
    shutil.rmtree(readings_root(ws.root), ignore_errors=True)
    shutil.rmtree(hourly_root(ws.root), ignore_errors=True)
    end = _end(None)
    simulate_minute_history(store, registry, settings, readings_root(ws.root), end)
    # The indicators need only the minute readings: the hourly history is simulated and
    # written meanwhile, in a thread of its own (sharing the progress display).
    with ThreadPoolExecutor(1, "school-hourly") as pool:
        hourly = pool.submit(contextvars.copy_context().run, simulate_hourly_history,
                             registry, settings, hourly_root(ws.root), end)
        out = values()
        hourly.result()
    return out
