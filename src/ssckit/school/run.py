"""The Smart School pipeline step: registry into the store, sample history, indicators."""

from __future__ import annotations

import shutil
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
                     end: datetime | None = None, piece_days: int = 1) -> int:
    """Fill an empty store with the simulator's history: ``simulate_days`` of one-minute
    readings up to ``end`` (default: now) — the last :data:`RECENT_DAYS` in DuckDB, the rest
    in the Parquet history under ``history_root`` — preceded by hourly aggregates (Parquet,
    under ``hourly_root_dir``). Returns the rows written.

    The history is simulated and written ``piece_days`` UTC days at a time (the hourly
    aggregates a calendar month at a time), so memory is bounded by a piece; the data do not
    depend on the piece size.
    """
    from ssckit.school.simulate import HourlySimulator, MinuteSimulator
    from ssckit.school.storage import HistoryWriter

    end = (end or datetime.now(UTC).replace(tzinfo=None)).replace(second=0, microsecond=0)
    start = end - timedelta(days=settings.simulate_days)
    sim = MinuteSimulator(registry, start.isoformat(), settings.simulate_days,
                          seed=settings.seed, utc_offset_min=settings.utc_offset_min)
    cutoff = int((end - timedelta(days=RECENT_DAYS) - datetime(1970, 1, 1)).total_seconds()
                 // 60)
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
        if settings.simulate_hourly_days:
            # the year before: hourly aggregates, kept as the Parquet hourly history
            h_start = start - timedelta(days=settings.simulate_hourly_days)
            hourly = HourlySimulator(registry, h_start.isoformat(),
                                     settings.simulate_hourly_days, seed=settings.seed,
                                     utc_offset_min=settings.utc_offset_min)
            for piece in track(hourly.pieces(), "school history: hourly aggregates",
                               total=len(hourly.months())):
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
    if empty and ws.config.synthetic and settings.simulate_days:
        from ssckit.school.storage import hourly_root, readings_root

        shutil.rmtree(readings_root(ws.root), ignore_errors=True)
        shutil.rmtree(hourly_root(ws.root), ignore_errors=True)
        simulate_history(store, registry, settings, readings_root(ws.root),
                         hourly_root(ws.root))
    ict = {s.id: s.pupils_with_ict_access for s in registry.schools.values()
           if s.pupils_with_ict_access is not None}
    from ssckit.school.storage import readings_root

    return compute_values(store, registry, str(ws.config.year),
                          "D" if ws.config.synthetic else "B", settings.utc_offset_min,
                          ict if len(ict) == len(registry.schools) else None,
                          history_root=readings_root(ws.root))
