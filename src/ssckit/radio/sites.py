"""Antenna sites and sectors: reading and validating ``sites.csv`` (one row per sector)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyproj import Transformer

from ssckit.core.csvfile import CsvRow, read_csv_rows
from ssckit.core.errors import InputError

REQUIRED = ("site", "sector", "lat", "lon", "height_m", "azimuth_deg", "freq_mhz",
            "bandwidth_mhz", "tx_power_dbm")
OPTIONAL = ("mech_tilt_deg", "elec_tilt_deg", "antenna", "band", "operator", "notes")

#: Allowed ranges per numeric column (inclusive) and their units.
RANGES: dict[str, tuple[float, float, str]] = {
    "lat": (-90.0, 90.0, "degrees"),
    "lon": (-180.0, 180.0, "degrees"),
    "height_m": (1.0, 300.0, "m above ground"),
    "azimuth_deg": (0.0, 360.0, "degrees clockwise from north"),
    "mech_tilt_deg": (-20.0, 30.0, "degrees, positive down"),
    "elec_tilt_deg": (-10.0, 20.0, "degrees, positive down"),
    "freq_mhz": (30.0, 100_000.0, "MHz"),
    "bandwidth_mhz": (0.1, 400.0, "MHz"),
    "tx_power_dbm": (-10.0, 70.0, "dBm at the antenna port"),
}


@dataclass(frozen=True)
class Sectors:
    """All sectors as column arrays (one entry per sector), positions in the workspace CRS."""

    site: np.ndarray          # site id (str)
    sector: np.ndarray        # sector id (str)
    x: np.ndarray             # [m] easting in the workspace CRS
    y: np.ndarray             # [m] northing
    lat: np.ndarray           # [deg]
    lon: np.ndarray           # [deg]
    height_m: np.ndarray      # [m] antenna height above ground
    azimuth_deg: np.ndarray   # [deg] clockwise from north
    mech_tilt_deg: np.ndarray  # [deg] positive down
    elec_tilt_deg: np.ndarray  # [deg] positive down
    antenna: np.ndarray       # "3gpp" or the path of an MSI pattern file
    band: np.ndarray          # e.g. "n78"
    freq_mhz: np.ndarray      # [MHz]
    bandwidth_mhz: np.ndarray  # [MHz]
    tx_power_dbm: np.ndarray  # [dBm]
    line: np.ndarray          # line of the CSV file the sector was read from

    def __len__(self) -> int:
        return len(self.site)

    @property
    def site_ids(self) -> list[str]:
        return list(dict.fromkeys(self.site.tolist()))

    def select(self, mask: np.ndarray) -> Sectors:
        return Sectors(**{k: v[mask] for k, v in self.__dict__.items()})

    def sector_labels(self) -> list[str]:
        return [f"{s}/{c}" for s, c in zip(self.site, self.sector, strict=True)]


def _antenna(row: CsvRow, path: Path) -> str:
    """The ``antenna`` cell: ``3gpp``, ``3gpp:G`` (0 < G <= 30 dBi) or an MSI file next to
    the CSV (returned with its path)."""
    antenna = row.get("antenna", "3gpp")
    if antenna.startswith("3gpp"):
        gain = antenna.partition(":")[2]
        try:
            ok = antenna == "3gpp" or 0 < float(gain) <= 30
        except ValueError:
            ok = False
        if not ok:
            raise row.error("antenna", f"{antenna!r}: write '3gpp' (TR 38.901 element, 8 dBi) "
                                       "or '3gpp:G' with its maximum gain G in 0..30 dBi")
        return antenna
    if not (path.parent / antenna).is_file():
        raise row.error("antenna", f"pattern file {antenna!r} not found next to the CSV; use "
                                   "'3gpp' for the TR 38.901 element pattern or an MSI file")
    return str(path.parent / antenna)


def read_sites_csv(path: str | Path, crs: str) -> Sectors:
    """Read ``sites.csv``: one row per sector; refuses any row outside the allowed ranges.

    Required columns: site, sector, lat, lon (WGS 84 degrees), height_m (antenna above ground),
    azimuth_deg, freq_mhz, bandwidth_mhz, tx_power_dbm. Optional: mech_tilt_deg, elec_tilt_deg
    (default 0, positive down), antenna (``3gpp`` for the TR 38.901 Table 7.3-1 element with
    its 8 dBi, ``3gpp:G`` for that pattern with a maximum gain of G dBi, or an MSI file
    relative to the CSV), band, operator, notes.
    """
    path = Path(path)
    rows = read_csv_rows(path, REQUIRED, OPTIONAL, strict=True)
    cols: dict[str, list] = {c: [] for c in REQUIRED + OPTIONAL}
    lines: list[int] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        for c in ("site", "sector"):
            if not row[c]:
                raise row.error(c, "empty")
        key = (row["site"], row["sector"])
        if key in seen:
            raise row.error(None, f"site {key[0]} sector {key[1]} already given on line "
                                  f"{seen[key]}")
        seen[key] = row.line
        lines.append(row.line)
        for c, (lo, hi, unit) in RANGES.items():
            v = row.number(c, default=0.0 if c in ("mech_tilt_deg", "elec_tilt_deg") else None)
            if not lo <= v <= hi:
                raise row.error(c, f"{v:g} is outside the allowed range {lo:g}..{hi:g} {unit}")
            cols[c].append(v)
        cols["antenna"].append(_antenna(row, path))
        for c in ("site", "sector", "band", "operator", "notes"):
            cols[c].append(row[c])
    if not seen:
        raise InputError(str(path), None, "no sectors")
    lat = np.array(cols["lat"])
    lon = np.array(cols["lon"])
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    f = {c: np.array(cols[c], dtype=float) for c in RANGES}
    return Sectors(
        site=np.array(cols["site"]), sector=np.array(cols["sector"]), x=np.asarray(x),
        y=np.asarray(y), lat=lat, lon=lon, height_m=f["height_m"],
        azimuth_deg=f["azimuth_deg"] % 360, mech_tilt_deg=f["mech_tilt_deg"],
        elec_tilt_deg=f["elec_tilt_deg"], antenna=np.array(cols["antenna"]),
        band=np.array(cols["band"]), freq_mhz=f["freq_mhz"], bandwidth_mhz=f["bandwidth_mhz"],
        tx_power_dbm=f["tx_power_dbm"], line=np.array(lines),
    )
