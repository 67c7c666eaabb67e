"""Power cuts under a stricter EMF limit set, and what they cost in radio coverage.

Under a limit set stricter than the one a network was built for (e.g. a national limit below
ICNIRP 2020), each site must lower its transmitted power until the total exposure ratio at
every public point the compliance check looks at (its ground ring and its accessible roofs
and balconies, :func:`ssckit.emf.run.check_sites`) is within the limit. The cut per site
follows from the linearity of the exposure in the transmitted power (:func:`power_cuts`);
coverage is then computed again with the reduced powers (the streamed engine of
:mod:`ssckit.radio.coverage`) and compared with the coverage at full power: population,
schools and area covered, in total and per site.

The first part of this file is pure computation (NumPy in, NumPy out); :func:`run_tradeoff`
and :func:`read_tradeoffs` read the workspace and write ``outputs/emf/tradeoff/<limits>/``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ssckit import __version__
from ssckit.core import progress
from ssckit.core.errors import InputError
from ssckit.core.workspace import Workspace
from ssckit.emf.exposure import Transmitters, exposure_ratios
from ssckit.emf.limits import LimitSet
from ssckit.emf.zones import EVALUATION_HEIGHT_M

__all__ = [
    "CUT_STEP_DB",
    "AIM_BELOW_DB",
    "MAX_CUT_DB",
    "SITE_SHARE",
    "TradeoffResult",
    "coverage_cost",
    "power_cuts",
    "run_tradeoff",
    "site_exposure_matrix",
    "read_tradeoffs",
]

#: Cuts are rounded up to this step [dB], so that after the cut every point is within the
#: limit (never just above it through rounding) and within one step of it at the worst point.
CUT_STEP_DB = 0.01
#: The largest cut considered [dB].
MAX_CUT_DB = 60.0
#: A site's exposure is read at the public points where it causes at least this fraction of
#: the total exposure ratio [-].
SITE_SHARE = 0.1
#: The cuts aim this far below the limit [dB], so that the rounds end in a finite number.
AIM_BELOW_DB = 0.005
#: Sub-folder of ``outputs/emf`` holding the tradeoff runs, one folder per limit set.
TRADEOFF_DIR = "tradeoff"


# --------------------------------------------------------------------------- pure computation


def site_exposure_matrix(x_m: NDArray[np.float64], y_m: NDArray[np.float64],
                         z_m: NDArray[np.float64], transmitters: Transmitters,
                         tx_site: NDArray[np.intp], n_sites: int, limit_set: str | LimitSet, *,
                         reflection_factor: float = 1.0,
                         power_reduction_factor: float = 1.0) -> NDArray[np.float64]:
    """Exposure ratio each site causes at each point, summed over the site's transmitters.

    Parameters
    ----------
    x_m, y_m : numpy.ndarray
        Point positions [m], projected CRS, shape (n_points,).
    z_m : numpy.ndarray
        Evaluation heights above ground [m] (surface height + 1.5 m for a standing person).
    transmitters : Transmitters
        Every transmitter at full (current) power.
    tx_site : numpy.ndarray of int
        Site index (0..n_sites-1) of each transmitter.
    n_sites : int
        Number of sites.
    limit_set : str or LimitSet
        The limit set the ratios are taken against.
    reflection_factor, power_reduction_factor : float, optional
        As in :func:`ssckit.emf.exposure.exposure_ratios` [-].

    Returns
    -------
    numpy.ndarray
        A[p, s] = sum over the transmitters i of site s of S_i(p) / S_L(f_i) [-], shape
        (n_points, n_sites); the total exposure ratio at p is ``A[p].sum()``.

    Notes
    -----
    TER = sum_i S_i / S_L,i (ICNIRP 2020, simultaneous exposure; ITU-T K.52 (08/2024)
    clause 6.1) with S_i from the spherical far-field formula of IEC 62232:2022 Annex B
    (:func:`ssckit.emf.exposure.exposure_ratios`).
    """
    ratios = exposure_ratios(x_m, y_m, z_m, transmitters, limit_set,
                             reflection_factor=reflection_factor,
                             power_reduction_factor=power_reduction_factor)
    out = np.zeros((ratios.shape[0], n_sites))
    for s in range(n_sites):
        out[:, s] = ratios[:, tx_site == s].sum(axis=1)
    return out


def power_cuts(exposure: NDArray[np.float64], *, target_ratio: float = 1.0,
               step_db: float = CUT_STEP_DB,
               max_cut_db: float = MAX_CUT_DB, iterations: int = 2000
               ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The power cut of each site [dB] that brings every point within the limit.

    Parameters
    ----------
    exposure : numpy.ndarray
        A[p, s]: exposure ratio site s causes at point p at its current power [-]
        (:func:`site_exposure_matrix`), shape (n_points, n_sites).
    target_ratio : float, optional
        Total exposure ratio to reach at most at every point [-] (default 1: the limit).
    step_db : float, optional
        Cuts are rounded up to a multiple of this [dB] (default 0.01 dB).
    max_cut_db : float, optional
        Largest cut [dB] (default 60 dB).
    iterations : int, optional
        Most rounds (default 2000; they stop as soon as every point is within the target).

    Returns
    -------
    cut_db : numpy.ndarray
        Power reduction of each site [dB], >= 0; applies to every transmitter of the site.
    feasible : numpy.ndarray of bool
        False for a site that, at ``max_cut_db`` or after ``iterations`` rounds, still
        dominates a point above the target.

    Notes
    -----
    The power density is proportional to the transmitted power (S = EIRP g / (4 pi r^2),
    IEC 62232:2022 Annex B), so with a power factor f_s = 10^(-cut_s / 10) per site the total
    exposure ratio at point p is ``T_p = sum_s A[p, s] f_s`` (ICNIRP 2020, simultaneous
    exposure; ITU-T K.52 (08/2024) clause 6.1). In each round each site in turn looks at the
    points above the target where it causes most of the exposure and scales down by
    ``aim / T_p`` (aim: the target less 0.005 dB) for the worst of them::

        f_s <- f_s * min(1, min_{p above target, s dominant at p} aim / T_p)

    Scaling the dominant site alone by aim / T_p leaves T_p just above the aim as long as
    other sites contribute, so a site is never asked for more than its worst point needs;
    the rounds stop when no point is above the target. Then each site in turn takes back
    what the later cuts of its neighbours made unnecessary: it rises until a point
    it reaches is at the target, or to full power. A site alone at its worst point thus ends
    0.005 dB below the limit there. The cuts are finally rounded up to ``step_db``, which
    only lowers the exposure.
    """
    a = np.asarray(exposure, dtype=float)
    n_sites = a.shape[1]
    f = np.ones(n_sites)
    f_min = 10.0 ** (-max_cut_db / 10.0)
    aim = target_ratio * 10.0 ** (-AIM_BELOW_DB / 10.0)
    for _ in range(iterations):
        moved = False
        for s in range(n_sites):
            part = a * f
            ter = part.sum(axis=1)
            mine = (ter > target_ratio) & (np.argmax(part, axis=1) == s)
            if np.any(mine) and f[s] > f_min:
                f[s] = max(f[s] * float(np.min(aim / ter[mine])), f_min)
                moved = True
        if not moved:
            break
    # give back what simultaneous cuts took beyond need: each site in turn rises until a
    # point it reaches is at the target (or to full power); no point goes above it
    for s in range(n_sites):
        col = a[:, s]
        hit = col > 0
        if f[s] < 1.0 and np.any(hit):
            room = target_ratio - (a[hit] @ f - col[hit] * f[s])
            f[s] = float(np.clip(np.min(room / col[hit]), f[s], 1.0))
    part = a * f
    ter = part.sum(axis=1)
    stuck = ter > target_ratio
    feasible = np.ones(n_sites, dtype=bool)
    feasible[np.argmax(part[stuck], axis=1)] = False
    cut = -10.0 * np.log10(f)
    cut = np.ceil(np.round(cut / step_db, 6)) * step_db
    return np.where(cut > 0, cut, 0.0), feasible


def coverage_cost(covered_before: NDArray[np.bool_], covered_after: NDArray[np.bool_],
                  server_before: NDArray[np.integer], sector_site: NDArray[np.intp],
                  population: NDArray[np.float64], city: NDArray[np.bool_], n_sites: int
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """People and pixels that lose coverage, by the site that served them before.

    Parameters
    ----------
    covered_before, covered_after : numpy.ndarray of bool
        Coverage maps at full and at reduced power (same grid).
    server_before : numpy.ndarray of int
        Serving sector index at full power (-1: none).
    sector_site : numpy.ndarray of int
        Site index of each sector.
    population : numpy.ndarray
        Inhabitants per pixel [persons].
    city : numpy.ndarray of bool
        Pixels inside the city boundary.
    n_sites : int
        Number of sites.

    Returns
    -------
    people_lost, pixels_lost : numpy.ndarray
        Per site: inhabitants [persons] and pixels of the city covered before and not after,
        whose serving sector before belonged to the site.
    """
    lost = covered_before & ~covered_after & city & (server_before >= 0)
    site_of = np.asarray(sector_site)[np.where(lost, server_before, 0)]
    people = np.bincount(site_of[lost], weights=population[lost], minlength=n_sites)
    pixels = np.bincount(site_of[lost], minlength=n_sites).astype(float)
    return people, pixels


# --------------------------------------------------------------------------- workspace run


@dataclass
class TradeoffResult:
    """The document written to ``tradeoff.json`` (numbers as numbers) and the folder."""

    limit_set: str
    document: dict[str, Any]
    out_dir: Path


def _w(dbm: NDArray[np.float64] | float) -> NDArray[np.float64] | float:
    return 10.0 ** ((np.asarray(dbm, dtype=float) - 30.0) / 10.0)


def _coverage_figures(maps, area, schools) -> dict[str, Any]:
    city = area.zones["city"]
    pop = area.population
    total = float(pop[city].sum())
    cov = maps.covered
    res = area.grid.res
    out = {
        "population_covered": round(float(pop[city & cov].sum()), 1),
        "population_covered_pct": round(100.0 * float(pop[city & cov].sum()) / total, 3)
        if total > 0 else None,
        "area_covered_km2": round(float((city & cov).sum()) * res * res / 1e6, 4),
        "area_covered_pct": round(100.0 * float(cov[city].mean()), 3),
    }
    if schools is not None:
        ids, row, col, inside = schools
        ok = [sid for sid, r, c, i in zip(ids, row, col, inside, strict=True)
              if i and bool(cov[r, c])]
        out["schools_covered"] = len(ok)
        out["schools"] = int(np.sum(inside))
    return out


def _schools(ws: Workspace, grid) -> tuple[list[str], np.ndarray, np.ndarray,
                                            np.ndarray] | None:
    from ssckit.radio.measurements import pixel_of
    from ssckit.radio.run import school_locations

    path = ws.input_path("school", "schools")
    if path is None:
        return None
    ids, lat, lon = school_locations(path)
    if not ids:
        return None
    row, col, inside = pixel_of(grid, lat, lon)
    return ids, row, col, inside


def _coverage(ws: Workspace, area, sectors, patterns, settings, out_dir: Path, what: str):
    from ssckit.radio.coverage import CoverageInputs, coverage_maps
    from ssckit.radio.io import CogWriter
    from ssckit.radio.measurements import offset_grid

    offsets, _ = offset_grid(ws, area.grid)
    inputs = CoverageInputs(area.grid, area.dem, sectors, settings, clutter=area.clutter,
                            patterns=patterns, rx_offset_db=offsets)
    writer = CogWriter(out_dir, area.grid, layers=("rsrp", "covered"))
    with progress.task(f"emf tradeoff: coverage {what}") as advance:
        def tick(i: int, n: int) -> None:
            advance(1)
        try:
            maps, _stats = coverage_maps(inputs, progress=tick, sink=writer)
        except BaseException:
            writer.abort()
            raise
    writer.close()
    return maps


def run_tradeoff(ws: Workspace, limits: str, *, max_radius_km: float | None = None,
                 resolution_m: float | None = None) -> TradeoffResult:
    """Power cut of every site under limit set ``limits`` and its cost in coverage.

    Reads the sites (``inputs.radio.sites`` and ``inputs.emf.extra_sites``), the public points
    of the compliance check and ``settings.emf``; computes the cuts (:func:`power_cuts`);
    runs coverage of ``inputs.radio.sites`` at full and at reduced power (``settings.radio``,
    with ``max_radius_km`` [km] and ``resolution_m`` [m] overriding it when given) and writes
    ``outputs/emf/tradeoff/<limits>/`` (``before/`` and ``after/`` COG layers rsrp and
    covered, ``tradeoff.json``), replaced as a whole.
    """
    from ssckit.emf.run import (
        EmfSettings,
        _site_points,
        load_sectors,
        read_accessible_csv,
        resolve_limit_set,
        transmitters_for,
        user_limit_sets,
    )
    from ssckit.radio.run import load_area, settings_for
    from ssckit.radio.run import load_sectors as load_radio_sectors

    settings = ws.module_settings("emf", EmfSettings)
    user = user_limit_sets(ws, settings)
    chosen = resolve_limit_set(limits, user, "--limits")
    sectors, paths = load_sectors(ws)
    radio_sites = ws.input_path("radio", "sites")
    if radio_sites is None:
        raise InputError(str(ws.path("city.yaml")), "field 'inputs.radio.sites'",
                         "the coverage cost needs the radio sites file (inputs.radio.sites)")
    try:
        tx = transmitters_for(sectors, paths)
        acc_path = ws.input_path("emf", "accessible")
        acc = read_accessible_csv(acc_path, ws.config.crs) if acc_path else None
        site_ids = sectors.site_ids
        index = {s: i for i, s in enumerate(site_ids)}
        tx_site = np.array([index[s] for s in sectors.site])
        xs, ys, zs, owner, names = [], [], [], [], []
        for s in site_ids:
            x, y, h, nm = _site_points(sectors, s, acc)
            xs.append(x)
            ys.append(y)
            zs.append(h + EVALUATION_HEIGHT_M)
            owner.append(np.full(x.size, index[s]))
            names += nm
        px, py, pz = np.concatenate(xs), np.concatenate(ys), np.concatenate(zs)
        point_site = np.concatenate(owner)
        with progress.task("emf tradeoff: exposure at public points", total=1) as advance:
            a = site_exposure_matrix(px, py, pz, tx, tx_site, len(site_ids), chosen,
                                     reflection_factor=settings.reflection_factor,
                                     power_reduction_factor=settings.power_reduction_factor)
            advance()
    except ValueError as exc:       # a frequency outside every range of the limit set
        raise InputError(", ".join(str(p) for p in paths), "field 'freq_mhz'",
                         f"{exc}") from None
    cut_db, feasible = power_cuts(a)
    factor = 10.0 ** (-cut_db / 10.0)
    ter_before = a.sum(axis=1)
    ter_after = a @ factor
    # a site answers for the points where it causes a sizeable part of the exposure
    share_before = a >= SITE_SHARE * ter_before[:, None]
    share_after = a * factor >= SITE_SHARE * ter_after[:, None]

    # coverage at full and at reduced power
    radio_settings = settings_for(ws, max_radius_km=max_radius_km, resolution_m=resolution_m)
    area = load_area(ws, radio_settings.resolution_m)
    radio, patterns = load_radio_sectors(radio_sites, area, radio_settings.model)
    radio_site_index = np.array([index.get(s, -1) for s in radio.site])
    sector_cut = np.where(radio_site_index >= 0, cut_db[np.maximum(radio_site_index, 0)], 0.0)
    reduced = replace(radio, tx_power_dbm=radio.tx_power_dbm - sector_cut)
    final = ws.output_dir / "emf" / TRADEOFF_DIR / chosen.name
    tmp = final.with_name(final.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        before = _coverage(ws, area, radio, patterns, radio_settings, tmp / "before",
                           "at full power")
        after = _coverage(ws, area, reduced, patterns, radio_settings, tmp / "after",
                          "with the cuts")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    schools = _schools(ws, area.grid)
    fig_before = _coverage_figures(before, area, schools)
    fig_after = _coverage_figures(after, area, schools)
    radio_ids = list(dict.fromkeys(radio.site.tolist()))
    radio_local = {s: i for i, s in enumerate(radio_ids)}
    people, pixels = coverage_cost(before.covered, after.covered, before.server,
                                   np.array([radio_local[s] for s in radio.site]),
                                   area.population, area.zones["city"], len(radio_ids))
    schools_lost: dict[str, list[str]] = {}
    if schools is not None:
        ids, row, col, inside = schools
        for sid, r, c, i in zip(ids, row, col, inside, strict=True):
            if i and before.covered[r, c] and not after.covered[r, c]:
                k = int(before.server[r, c])
                schools_lost.setdefault(str(radio.site[k]), []).append(sid)
    res2 = area.grid.res ** 2 / 1e6
    rows = []
    for s in site_ids:
        i = index[s]
        k = sectors.site == s
        p_w = float(np.sum(_w(sectors.tx_power_dbm[k])))
        pts = share_before[:, i] if np.any(share_before[:, i]) else point_site == i
        pts_after = share_after[:, i] if np.any(share_after[:, i]) else point_site == i
        worst = int(np.flatnonzero(pts)[np.argmax(ter_before[pts])])
        in_radio = s in radio_local
        rows.append({
            "site": s, "sectors": int(k.sum()),
            "lat": round(float(sectors.lat[k][0]), 6), "lon": round(float(sectors.lon[k][0]), 6),
            "cut_db": round(float(cut_db[i]), 2),
            "power_before_w": round(p_w, 3),
            "power_after_w": round(p_w * float(factor[i]), 3),
            "power_cut_w": round(p_w * (1.0 - float(factor[i])), 3),
            "eirp_before_w": round(float(tx.eirp_w[k].sum()), 1),
            "eirp_after_w": round(float(tx.eirp_w[k].sum()) * float(factor[i]), 1),
            "worst_place": names[worst],
            "worst_ter_before": float(ter_before[pts].max()),
            "worst_ter_after": float(ter_after[pts_after].max()),
                        "in_coverage": in_radio,
            "population_lost": round(float(people[radio_local[s]]), 1) if in_radio else 0.0,
            "area_lost_km2": round(float(pixels[radio_local[s]]) * res2, 4)
            if in_radio else 0.0,
            "schools_lost": schools_lost.get(s, []),
        })
    doc = {
        "limit_set": chosen.name, "limit_source": chosen.source,
        "reflection_factor": settings.reflection_factor,
        "power_reduction_factor": settings.power_reduction_factor,
        "sites_file": radio_sites.name,
        "coverage_settings": {"model": radio_settings.model,
                              "resolution_m": area.grid.res,
                              "max_radius_km": radio_settings.max_radius_km,
                              "rsrp_threshold_dbm": radio_settings.rsrp_threshold_dbm,
                              "sinr_threshold_db": radio_settings.sinr_threshold_db},
        "grid": {"crs": area.grid.crs.to_string(), "bounds": list(area.grid.bounds),
                 "shape": list(area.grid.shape)},
        "sites": rows,
        "totals": {
            "sites": len(rows), "sites_cut": int(np.sum(cut_db > 0)),
            "feasible": bool(np.all(feasible)),
            "power_before_w": round(sum(r["power_before_w"] for r in rows), 3),
            "power_after_w": round(sum(r["power_after_w"] for r in rows), 3),
            "power_cut_w": round(sum(r["power_cut_w"] for r in rows), 3),
            "before": fig_before, "after": fig_after,
            "population_lost": round(fig_before["population_covered"]
                                     - fig_after["population_covered"], 1),
            "area_lost_km2": round(fig_before["area_covered_km2"]
                                   - fig_after["area_covered_km2"], 4),
            "schools_lost": (fig_before.get("schools_covered", 0)
                             - fig_after.get("schools_covered", 0)),
        },
        "synthetic": ws.config.synthetic,
        "version": __version__,
    }
    (tmp / "tradeoff.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False),
                                       encoding="utf-8")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return TradeoffResult(chosen.name, doc, final)


def read_tradeoffs(ws_output_dir: Path) -> dict[str, dict[str, Any]]:
    """Every stored tradeoff document by limit-set name (``outputs/emf/tradeoff/*/``)."""
    base = ws_output_dir / "emf" / TRADEOFF_DIR
    out = {}
    if base.is_dir():
        for d in sorted(base.iterdir()):
            f = d / "tradeoff.json"
            if d.is_dir() and not d.name.endswith(".part") and f.is_file():
                out[d.name] = json.loads(f.read_text(encoding="utf-8"))
    return out
