"""EMF measurement register: lab reports and E-field probes, each beside the predicted exposure.

Lab reports (``ssckit emf measurements import FILE.csv``) are stored in the emf module's tables
``emf_lab_reports`` and ``emf_lab_bands``; continuous probe readings arrive as the quantity
``e_field_v_m`` through the Smart School ingest path (MQTT SenML or ``POST
/api/v1/school/readings``) into ``school_readings``, and ``inputs.emf.probes`` says where each
probe stands. Every measurement is turned into a share of the limit and compared with the
exposure the model predicts at the same place (the model of the public map: every transmitter
at full power, spherical far field). A measurement above the prediction by more than its
expanded uncertainty means the model is wrong there, and the site needs a look.

The lab-report CSV has one row per band (``band``, ``freq_mhz``, ``e_v_m``) and, optionally, a
row with ``band`` = ``total`` for a broadband (total) field; the rows of one report share
``report_id, date, lab, protocol, lat, lon`` and its expanded uncertainty (``uncertainty_db`` or
``uncertainty_pct``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ssckit.core.csvfile import CsvRow, read_csv_rows
from ssckit.core.errors import InputError
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.emf.limits import Z0_OHM, LimitSet, limit_power_density

#: Measurement protocols a lab report may follow.
PROTOCOLS = (
    "IEC 62232",          # RF field strength, power density and SAR near base stations
    "ITU-T K.61",         # guidance on measurement and numerical prediction of EMF
    "ITU-T K.83",         # monitoring of electromagnetic field levels
    "ITU-T K.91",         # assessment and monitoring of human exposure to RF EMF
    "ITU-T K.100",        # EMF compliance of a radio base station when put into service
    "EN 50492",           # in-situ measurement of electric field strength near base stations
    "EN 50413",           # measurement and calculation procedures for human exposure
    "ECC Rec (02)04",     # CEPT/ECC measuring non-ionising electromagnetic radiation
    "IEEE C95.3",         # measurements of RF electromagnetic fields
)
REPORT_REQUIRED = ("report_id", "date", "lab", "protocol", "lat", "lon", "band", "e_v_m")
REPORT_OPTIONAL = ("freq_mhz", "uncertainty_db", "uncertainty_pct", "height_m", "report_file")
PROBE_REQUIRED = ("device_id", "lat", "lon", "uncertainty_db")
PROBE_OPTIONAL = ("name", "height_m", "freq_mhz")
#: The ``band`` of a row giving the broadband (total) field of a report.
TOTAL_BAND = "total"
#: Plausible rms E-field of a measurement [V/m] (as the school quantity ``e_field_v_m``).
E_FIELD_RANGE_V_M = (0.0, 1000.0)
#: Frequencies of the radio-frequency limits [MHz]: 100 kHz to 300 GHz (ICNIRP 2020 Table 5).
FREQ_RANGE_MHZ = (0.1, 300_000.0)
#: Expanded uncertainty allowed [dB] (IEC 62232 measurements typically reach 2..4 dB) and [%]
#: of the field strength.
UNCERTAINTY_DB_RANGE = (0.0, 10.0)
UNCERTAINTY_PCT_RANGE = (0.0, 90.0)
#: Range over which a broadband field is judged against the strictest limit [MHz]: the mobile,
#: broadcast and Wi-Fi bands a broadband probe covers.
BROADBAND_RANGE_MHZ = (30.0, 6000.0)
#: Probe readings summarised: the last this many hours before a probe's latest reading.
PROBE_WINDOW_H = 24
PROBE_QUANTITY = "e_field_v_m"
EARLIEST_DATE = date(1990, 1, 1)


# -- pure computation ---------------------------------------------------------------------------
def e_field_exposure_ratio(e_v_m: ArrayLike, s_limit_w_m2: ArrayLike) -> NDArray[np.float64]:
    """Exposure ratio of a measured rms electric field: the plane-wave equivalent power
    density over the limit, E² / (Z0 · S_L).

    Parameters
    ----------
    e_v_m : array_like
        rms electric field strength [V/m].
    s_limit_w_m2 : array_like
        Reference level of power density at the field's frequency [W/m²].

    Returns
    -------
    numpy.ndarray
        Exposure ratio [-] (1 = the limit); summed over bands it is the total exposure ratio.

    Notes
    -----
    S_eq = E² / Z0 with Z0 = 120 π Ω (far field); ER = S_eq / S_L. The total exposure ratio
    of several frequencies is Σ ER_i (ICNIRP 2020, simultaneous exposure to multiple
    frequency fields; ITU-T K.52 and IEC 62232, total exposure ratio).
    """
    e = np.asarray(e_v_m, dtype=float)
    return e * e / (Z0_OHM * np.asarray(s_limit_w_m2, dtype=float))


def uncertainty_pct_to_db(u_pct: ArrayLike) -> NDArray[np.float64]:
    """Expanded uncertainty of a field strength in % [%] as the dB it can lower a reading by:
    −20·log10(1 − U/100) [dB] (the lower side of E·(1 ± U/100))."""
    return -20.0 * np.log10(1.0 - np.asarray(u_pct, dtype=float) / 100.0)


def lower_bound_ratio(ratio: ArrayLike, uncertainty_db: ArrayLike) -> NDArray[np.float64]:
    """The lowest exposure ratio a measurement of ``ratio`` [-] with expanded uncertainty
    ``uncertainty_db`` [dB] is compatible with: ratio · 10^(−U/10) (a power quantity)."""
    return np.asarray(ratio, dtype=float) * 10.0 ** (-np.asarray(uncertainty_db, float) / 10.0)


def exceeds_prediction(measured_ratio: ArrayLike, predicted_ratio: ArrayLike,
                       uncertainty_db: ArrayLike) -> NDArray[np.bool_]:
    """True where a measurement is above the prediction by more than its expanded uncertainty
    (its lower bound, :func:`lower_bound_ratio`, is above the predicted ratio): the model
    underestimates there (IEC 62232 / ITU-T K.61: validate predictions against
    measurements)."""
    return lower_bound_ratio(measured_ratio, uncertainty_db) > np.asarray(predicted_ratio, float)


def band_exposure_ratio(e_bands_v_m: Sequence[float], s_limits_w_m2: Sequence[float],
                        e_total_v_m: float | None, s_strictest_w_m2: float) -> float:
    """Total exposure ratio [-] of one report: Σ E_i² / (Z0 S_L(f_i)) over its bands, plus the
    part of a measured broadband total not explained by the bands, max(0, E_tot² − Σ E_i²),
    judged against the strictest limit ``s_strictest_w_m2`` [W/m²] (its frequency is unknown).
    """
    e = np.asarray(e_bands_v_m, dtype=float)
    ratio = float(e_field_exposure_ratio(e, np.asarray(s_limits_w_m2, float)).sum())
    if e_total_v_m is not None:
        rest = max(0.0, e_total_v_m ** 2 - float((e * e).sum()))
        ratio += float(e_field_exposure_ratio(math.sqrt(rest), s_strictest_w_m2))
    return ratio


@functools.lru_cache(maxsize=16)
def strictest_power_density(limit_set: LimitSet, lo_mhz: float = BROADBAND_RANGE_MHZ[0],
                            hi_mhz: float = BROADBAND_RANGE_MHZ[1]) -> float:
    """Lowest reference level of power density [W/m²] of ``limit_set`` between ``lo_mhz`` and
    ``hi_mhz`` [MHz] (where the set gives one): what a field of unknown frequency is judged
    against."""
    values = []
    for f in np.geomspace(lo_mhz, hi_mhz, 400):
        try:
            values.append(float(limit_power_density(limit_set, f)))
        except ValueError:
            continue
    finite = [v for v in values if math.isfinite(v) and v > 0]
    if not finite:
        raise ValueError(f"limit set {limit_set.name!r} gives no power density between "
                         f"{lo_mhz:g} and {hi_mhz:g} MHz")
    return min(finite)


# -- lab reports --------------------------------------------------------------------------------
@dataclass
class Band:
    band: str
    freq_mhz: float
    e_v_m: float


@dataclass
class LabReport:
    """One lab report: where and when, who, how, the E-field per band and in total [V/m]."""

    report_id: str
    measured_on: date
    lab: str
    protocol: str
    lat: float
    lon: float
    height_m: float
    uncertainty: float
    uncertainty_unit: str          # "dB" or "%"
    report_file: str = ""
    bands: list[Band] = field(default_factory=list)
    e_total_measured_v_m: float | None = None
    line: int = 0
    source: str = ""

    @property
    def e_total_v_m(self) -> float:
        """The measured total, or the root-sum-square of the bands."""
        if self.e_total_measured_v_m is not None:
            return self.e_total_measured_v_m
        return math.sqrt(sum(b.e_v_m ** 2 for b in self.bands))

    @property
    def uncertainty_db(self) -> float:
        if self.uncertainty_unit == "dB":
            return self.uncertainty
        return float(uncertainty_pct_to_db(self.uncertainty))


def _report_date(row: CsvRow, today: date) -> date:
    try:
        d = date.fromisoformat(row["date"])
    except ValueError:
        raise row.error("date", f"{row['date']!r} is not a date like 2026-05-04 "
                                "(ISO 8601)") from None
    if not EARLIEST_DATE <= d <= today:
        raise row.error("date", f"{d.isoformat()} is outside {EARLIEST_DATE.isoformat()}.."
                                f"{today.isoformat()} (no future dates)")
    return d


def _uncertainty(row: CsvRow) -> tuple[float, str]:
    has_db, has_pct = bool(row["uncertainty_db"]), bool(row["uncertainty_pct"])
    if has_db == has_pct:
        raise row.error("uncertainty_db", "give the expanded uncertainty in exactly one of "
                                          "uncertainty_db (0..10 dB) or uncertainty_pct "
                                          "(0..90 % of the field strength)")
    if has_db:
        return row.number("uncertainty_db", *UNCERTAINTY_DB_RANGE), "dB"
    return row.number("uncertainty_pct", *UNCERTAINTY_PCT_RANGE), "%"


def read_lab_reports_csv(path: str | Path, today: date | None = None) -> list[LabReport]:
    """The lab reports of a CSV file, every row checked: a wrong value is an InputError naming
    the file, the line, the field and what is allowed. Coordinates are WGS 84 degrees;
    ``height_m`` (default 1.5) is above ground; ``freq_mhz`` is required except on the
    ``total`` row."""
    path = Path(path)
    today = today or datetime.now(UTC).date()
    reports: dict[str, LabReport] = {}
    for row in read_csv_rows(path, REPORT_REQUIRED, REPORT_OPTIONAL, strict=True,
                             allow_empty=False):
        rid = row["report_id"]
        if not rid:
            raise row.error("report_id", "empty; every row names its report")
        u, unit = _uncertainty(row)
        head = (_report_date(row, today), row["lab"], row.choice("protocol", PROTOCOLS),
                row.number("lat", -90, 90), row.number("lon", -180, 180),
                row.number("height_m", 0, 300, default=1.5), u, unit, row["report_file"])
        if not head[1]:
            raise row.error("lab", "empty; name the laboratory that measured")
        band = row["band"]
        if not band:
            raise row.error("band", f"empty; name the band (e.g. n78, LTE 1800) or "
                                    f"{TOTAL_BAND!r} for the broadband field")
        e = row.number("e_v_m", *E_FIELD_RANGE_V_M)
        rep = reports.get(rid)
        if rep is None:
            rep = reports[rid] = LabReport(rid, *head, line=row.line, source=path.name)
        else:
            names = ("date", "lab", "protocol", "lat", "lon", "height_m", "uncertainty",
                     "uncertainty unit", "report_file")
            mine = (rep.measured_on, rep.lab, rep.protocol, rep.lat, rep.lon, rep.height_m,
                    rep.uncertainty, rep.uncertainty_unit, rep.report_file)
            for name, a, b in zip(names, mine, head, strict=True):
                if a != b:
                    col = {"uncertainty": f"uncertainty_{'db' if unit == 'dB' else 'pct'}",
                           "uncertainty unit": "uncertainty_db"}.get(name, name)
                    raise row.error(col, f"{b!s} differs from {a!s} on line {rep.line} of the "
                                         f"same report {rid!r}; one report has one {name}")
        if band.casefold() == TOTAL_BAND:
            if rep.e_total_measured_v_m is not None:
                raise row.error("band", f"report {rid!r} has two {TOTAL_BAND!r} rows")
            rep.e_total_measured_v_m = e
            continue
        if any(b.band == band for b in rep.bands):
            raise row.error("band", f"band {band!r} is listed twice in report {rid!r}")
        if not row["freq_mhz"]:
            raise row.error("freq_mhz", f"empty; give the band's centre frequency "
                                        f"({FREQ_RANGE_MHZ[0]:g}..{FREQ_RANGE_MHZ[1]:g} MHz)")
        rep.bands.append(Band(band, row.number("freq_mhz", *FREQ_RANGE_MHZ), e))
    return list(reports.values())


def migrate(store: Store) -> int:
    from ssckit.emf.migrations import MIGRATIONS

    return store.migrate_module("emf", MIGRATIONS)


@dataclass(frozen=True)
class ImportResult:
    reports: int
    bands: int
    replaced: int


def import_lab_reports(store: Store, path: str | Path, today: date | None = None
                       ) -> ImportResult:
    """Check every row of ``path``, then store its reports in one transaction (nothing is
    stored when one row is wrong); a report already in the register is replaced."""
    reports = read_lab_reports_csv(path, today)
    migrate(store)
    ids = [r.report_id for r in reports]
    with store.transaction() as cur:
        marks = ", ".join("?" * len(ids))
        replaced = cur.execute(f"SELECT count(*) FROM emf_lab_reports WHERE report_id IN "
                               f"({marks})", ids).fetchone()[0]
        cur.execute(f"DELETE FROM emf_lab_bands WHERE report_id IN ({marks})", ids)
        cur.execute(f"DELETE FROM emf_lab_reports WHERE report_id IN ({marks})", ids)
        cur.executemany(
            "INSERT INTO emf_lab_reports (report_id, measured_on, lab, protocol, lat, lon, "
            "height_m, e_total_v_m, total_measured, uncertainty, uncertainty_unit, report_file, "
            "source, line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[r.report_id, r.measured_on, r.lab, r.protocol, r.lat, r.lon, r.height_m,
              r.e_total_v_m, r.e_total_measured_v_m is not None, r.uncertainty,
              r.uncertainty_unit, r.report_file, r.source, r.line] for r in reports])
        rows = [[r.report_id, b.band, b.freq_mhz, b.e_v_m] for r in reports for b in r.bands]
        if rows:
            cur.executemany("INSERT INTO emf_lab_bands (report_id, band, freq_mhz, e_v_m) "
                            "VALUES (?, ?, ?, ?)", rows)
    return ImportResult(len(reports), len(rows), int(replaced))


def load_lab_reports(store: Store) -> list[LabReport]:
    """Every report of the register, newest first."""
    migrate(store)
    with store.cursor() as cur:
        heads = cur.execute(
            "SELECT report_id, measured_on, lab, protocol, lat, lon, height_m, e_total_v_m, "
            "total_measured, uncertainty, uncertainty_unit, report_file, source, line "
            "FROM emf_lab_reports ORDER BY measured_on DESC, report_id").fetchall()
        bands = cur.execute("SELECT report_id, band, freq_mhz, e_v_m FROM emf_lab_bands "
                            "ORDER BY report_id, freq_mhz").fetchall()
    by_id: dict[str, list[Band]] = {}
    for rid, band, f, e in bands:
        by_id.setdefault(rid, []).append(Band(band, float(f), float(e)))
    return [LabReport(h[0], h[1], h[2], h[3], float(h[4]), float(h[5]), float(h[6]),
                      float(h[9]), h[10], h[11], by_id.get(h[0], []),
                      float(h[7]) if h[8] else None, int(h[13]), h[12]) for h in heads]


# -- probes ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Probe:
    """Where an E-field probe of the school registry stands (``inputs.emf.probes``)."""

    device_id: str
    name: str
    lat: float
    lon: float
    height_m: float
    uncertainty_db: float
    freq_mhz: float | None


def read_probes_csv(path: str | Path) -> list[Probe]:
    """Probe positions: ``device_id`` (a device of the school registry reporting
    ``e_field_v_m``), ``lat, lon`` (WGS 84 degrees), ``uncertainty_db`` (expanded, 0..10 dB);
    optional ``name``, ``height_m`` above ground (default 1.5), ``freq_mhz`` for a probe
    measuring one band (else judged against the strictest limit of 30..6000 MHz)."""
    probes: dict[str, Probe] = {}
    for row in read_csv_rows(path, PROBE_REQUIRED, PROBE_OPTIONAL, strict=True):
        dev = row["device_id"]
        if not dev:
            raise row.error("device_id", "empty; name the probe's device of the school registry")
        if dev in probes:
            raise row.error("device_id", f"probe {dev!r} is listed twice")
        probes[dev] = Probe(dev, row["name"] or dev, row.number("lat", -90, 90),
                            row.number("lon", -180, 180),
                            row.number("height_m", 0, 300, default=1.5),
                            row.number("uncertainty_db", *UNCERTAINTY_DB_RANGE),
                            row.number("freq_mhz", *FREQ_RANGE_MHZ) if row["freq_mhz"] else None)
    return list(probes.values())


def load_probes(ws: Workspace) -> list[Probe]:
    path = ws.input_path("emf", "probes")
    return read_probes_csv(path) if path is not None else []


@dataclass(frozen=True)
class ProbeSummary:
    device_id: str
    n: int
    latest_ts: datetime
    latest_v_m: float
    max_v_m: float
    mean_v_m: float


def probe_summaries(store: Store, device_ids: Sequence[str],
                    window_h: float = PROBE_WINDOW_H) -> dict[str, ProbeSummary]:
    """Each probe's readings of ``e_field_v_m`` over the ``window_h`` hours before its latest
    one (from the school module's ``school_readings``): count, latest, highest, mean [V/m]."""
    if not device_ids:
        return {}
    with store.cursor() as cur:
        have = cur.execute("SELECT count(*) FROM information_schema.tables "
                           "WHERE table_name = 'school_readings'").fetchone()[0]
        if not have:
            return {}
        marks = ", ".join("?" * len(device_ids))
        rows = cur.execute(
            f"""WITH r AS (SELECT device_id, ts, value FROM school_readings
                           WHERE quantity = ? AND device_id IN ({marks})),
                    last AS (SELECT device_id, max(ts) AS t1 FROM r GROUP BY device_id)
                SELECT r.device_id, count(*), max(r.ts), arg_max(r.value, r.ts), max(r.value),
                       avg(r.value)
                FROM r JOIN last USING (device_id)
                WHERE r.ts > last.t1 - to_microseconds(CAST(? AS BIGINT))
                GROUP BY r.device_id""",
            [PROBE_QUANTITY, *device_ids, int(window_h * 3600e6)]).fetchall()
    return {r[0]: ProbeSummary(r[0], int(r[1]), r[2], float(r[3]), float(r[4]), float(r[5]))
            for r in rows}


# -- measured beside predicted -----------------------------------------------------------------
@dataclass
class Assessment:
    """One measurement beside the prediction at its place (ratios: 1 = the limit)."""

    kind: str                       # "lab" or "probe"
    id: str
    name: str
    lat: float
    lon: float
    height_m: float
    when: str                       # ISO date (lab) or date-time UTC of the latest reading
    e_v_m: float                    # total (lab) or highest of the window (probe) [V/m]
    measured_ratio: float
    predicted_ratio: float
    uncertainty_db: float
    site: str | None                # the site contributing most to the prediction
    lab: str = ""
    protocol: str = ""
    report_file: str = ""
    readings: int = 0
    latest_v_m: float | None = None

    @property
    def lower_ratio(self) -> float:
        return float(lower_bound_ratio(self.measured_ratio, self.uncertainty_db))

    @property
    def exceeds(self) -> bool:
        return bool(exceeds_prediction(self.measured_ratio, self.predicted_ratio,
                                       self.uncertainty_db))


def predicted_at(ws: Workspace, lat: NDArray[np.float64], lon: NDArray[np.float64],
                 height_m: NDArray[np.float64]) -> tuple[NDArray[np.float64], list[str | None],
                                                         LimitSet]:
    """Predicted total exposure ratio at WGS 84 points [-], the site contributing most at
    each, and the limit set: every transmitter of the city at full power, the settings of
    ``settings.emf`` (ground reflection, power reduction), as the public map."""
    from pyproj import Transformer

    from ssckit.emf.exposure import exposure_ratios
    from ssckit.emf.run import (
        EmfSettings,
        load_sectors,
        resolve_limit_set,
        transmitters_for,
        user_limit_sets,
    )

    settings = ws.module_settings("emf", EmfSettings)
    ls = resolve_limit_set(settings.limit_set, user_limit_sets(ws, settings),
                           str(ws.path("city.yaml")))
    if len(lat) == 0:
        return np.zeros(0), [], ls
    sectors, paths = load_sectors(ws)
    tx = transmitters_for(sectors, paths)
    x, y = Transformer.from_crs("EPSG:4326", ws.config.crs, always_xy=True).transform(lon, lat)
    ratios = exposure_ratios(np.asarray(x), np.asarray(y), np.asarray(height_m), tx, ls,
                             reflection_factor=settings.reflection_factor,
                             power_reduction_factor=settings.power_reduction_factor)
    sites = np.asarray(sectors.site)
    names = sorted(set(sites.tolist()))
    per_site = np.stack([ratios[:, sites == s].sum(axis=1) for s in names], axis=1)
    top = [names[i] if per_site[k, i] > 0 else None
           for k, i in enumerate(per_site.argmax(axis=1))]
    return ratios.sum(axis=1), top, ls


def lab_ratio(report: LabReport, limit_set: LimitSet) -> float:
    """Total exposure ratio [-] of a lab report under ``limit_set``
    (:func:`band_exposure_ratio`)."""
    s_bands = []
    for b in report.bands:
        try:
            s_bands.append(float(limit_power_density(limit_set, b.freq_mhz)))
        except ValueError as exc:
            raise InputError(report.source or "lab report", f"report {report.report_id!r}, "
                             f"band {b.band!r}", str(exc)) from None
    return band_exposure_ratio([b.e_v_m for b in report.bands], s_bands,
                               report.e_total_measured_v_m, strictest_power_density(limit_set))


def assess(ws: Workspace, store: Store) -> tuple[list[Assessment], LimitSet]:
    """Every lab report and every probe with readings, measured beside predicted; the ones
    above the prediction beyond their uncertainty first, then the newest."""
    reports = load_lab_reports(store)
    probes = load_probes(ws)
    summaries = probe_summaries(store, [p.device_id for p in probes])
    probes = [p for p in probes if p.device_id in summaries]
    lat = np.array([r.lat for r in reports] + [p.lat for p in probes], dtype=float)
    lon = np.array([r.lon for r in reports] + [p.lon for p in probes], dtype=float)
    h = np.array([r.height_m for r in reports] + [p.height_m for p in probes], dtype=float)
    predicted, top, ls = predicted_at(ws, lat, lon, h)
    out = []
    for i, r in enumerate(reports):
        out.append(Assessment(
            "lab", r.report_id, r.report_id, r.lat, r.lon, r.height_m, r.measured_on.isoformat(),
            r.e_total_v_m, lab_ratio(r, ls), float(predicted[i]), r.uncertainty_db, top[i],
            lab=r.lab, protocol=r.protocol, report_file=r.report_file))
    for j, p in enumerate(probes):
        i = len(reports) + j
        s = summaries[p.device_id]
        s_lim = (float(limit_power_density(ls, p.freq_mhz)) if p.freq_mhz is not None
                 else strictest_power_density(ls))
        out.append(Assessment(
            "probe", p.device_id, p.name, p.lat, p.lon, p.height_m,
            s.latest_ts.replace(tzinfo=None).isoformat(timespec="minutes"), s.max_v_m,
            float(e_field_exposure_ratio(s.max_v_m, s_lim)), float(predicted[i]),
            p.uncertainty_db, top[i], readings=s.n, latest_v_m=s.latest_v_m))
    out.sort(key=lambda a: (not a.exceeds, a.kind != "lab", _neg_date(a.when), a.id))
    return out, ls


def _neg_date(when: str) -> float:
    try:
        return -datetime.fromisoformat(when).timestamp()
    except ValueError:
        return 0.0


def assessment_dict(a: Assessment) -> dict[str, Any]:
    """One assessment as plain numbers: % of the limit measured, predicted and the measured
    lower bound [%], uncertainty [dB], E-field [V/m], and whether it exceeds the prediction."""
    return {"kind": a.kind, "id": a.id, "name": a.name, "lat": a.lat, "lon": a.lon,
            "height_m": a.height_m, "when": a.when, "e_v_m": a.e_v_m,
            "measured_percent": 100 * a.measured_ratio,
            "predicted_percent": 100 * a.predicted_ratio,
            "measured_lower_percent": 100 * a.lower_ratio, "uncertainty_db": a.uncertainty_db,
            "exceeds_prediction": a.exceeds, "site": a.site, "lab": a.lab,
            "protocol": a.protocol, "report_file": a.report_file, "readings": a.readings,
            "latest_v_m": a.latest_v_m}


# -- a probe of the sample city -------------------------------------------------------------------
def sample_probe_field(predicted_e_v_m: float, minute: int) -> float:
    """A synthetic probe reading [V/m] for the sample city: the full-power prediction scaled by
    the traffic load of the hour (between 15 % and 45 % of full power, busiest in the evening)
    with a small deterministic flicker. Not a model of anything real."""
    hour = (minute / 60.0) % 24.0
    load = 0.30 + 0.15 * math.sin(2 * math.pi * (hour - 13.0) / 24.0)
    flicker = 1.0 + 0.03 * math.sin(minute * 1.7)
    return round(predicted_e_v_m * math.sqrt(load) * flicker, 4)


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """The pipeline step: the lab reports of ``inputs.emf.lab_reports`` (a CSV file kept with
    the workspace) imported into the register, each report replacing its earlier import. The
    comparison with the prediction is made when it is shown (it follows the sites)."""
    path = ws.input_path("emf", "lab_reports")
    if path is not None:
        import_lab_reports(store, path)
    return []
