"""The EMF measurement register: lab reports checked line by line, probes through the real
Smart School ingest (Mosquitto and HTTP), each measurement beside the prediction of the public
map, the flag where a measurement exceeds it beyond its uncertainty, and the pages.

Exposure ratios are checked against the ICNIRP tables and the formula written out here
(S = E² / Z0, Z0 = 120π Ω), never against the module's own output.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ssckit.cli import cli
from ssckit.core import auth
from ssckit.core.errors import InputError
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.emf.limits import limit_power_density
from ssckit.emf.register import (
    assess,
    band_exposure_ratio,
    e_field_exposure_ratio,
    exceeds_prediction,
    import_lab_reports,
    load_lab_reports,
    lower_bound_ratio,
    strictest_power_density,
    uncertainty_pct_to_db,
)
from ssckit.web.app import create_app

Z0 = 120 * math.pi
#: the sample city's national limit: 10 µW/cm² = 0.1 W/m² at every frequency (synthetic)
S_NATIONAL = 0.1
HEAD = "report_id,date,lab,protocol,lat,lon,band,freq_mhz,e_v_m,uncertainty_db,uncertainty_pct\n"
GOOD = ("R1,2026-03-01,Lab A,IEC 62232,40.70,39.05,n78,3500,0.5,3,\n"
        "R1,2026-03-01,Lab A,IEC 62232,40.70,39.05,LTE 1800,1842.5,0.2,3,\n"
        "R1,2026-03-01,Lab A,IEC 62232,40.70,39.05,total,,0.6,3,\n"
        "R2,2026-04-01,Lab B,EN 50492,40.71,39.06,n78,3500,1.5,,30\n")


# -- pure computation -----------------------------------------------------------------------------
def test_field_ratio_agrees_with_the_icnirp_reference_levels():
    # ICNIRP 1998 Table 7, general public, 400-2000 MHz: E = 1.375 f^0.5 V/m and S = f/200
    # W/m² describe the same plane wave: at 900 MHz 41.25 V/m and 4.5 W/m².
    assert float(e_field_exposure_ratio(41.25, 4.5)) == pytest.approx(1.0, rel=5e-3)
    assert float(e_field_exposure_ratio(1.375 * math.sqrt(900),
                                        limit_power_density("icnirp1998-public", 900))
                 ) == pytest.approx(1.0, rel=5e-3)
    # 2-300 GHz: 61 V/m and 10 W/m² (same table); arrays work element by element
    r = e_field_exposure_ratio(np.array([61.0, 30.5]), np.array([10.0, 10.0]))
    np.testing.assert_allclose(r, [61 ** 2 / (Z0 * 10), 0.25 * 61 ** 2 / (Z0 * 10)])
    np.testing.assert_allclose(r[0], 1.0, rtol=2e-2)


def test_strictest_limit_of_a_broadband_field():
    # ICNIRP 2020 Table 5, general public: 2 W/m² from 30 to 400 MHz, the lowest up to 6 GHz
    assert strictest_power_density(_set("icnirp2020-public")) == pytest.approx(2.0)


def _set(name: str):
    from ssckit.emf.limits import get_limit_set

    return get_limit_set(name)


def test_uncertainty_and_the_flag():
    # 3 dB halves a power quantity: 10^(-0.3) = 0.50119
    assert float(lower_bound_ratio(1.0, 3.0)) == pytest.approx(0.501187, rel=1e-5)
    # ±50 % of the field strength lowers a reading by 20 log10(2) = 6.0206 dB at most
    assert float(uncertainty_pct_to_db(50.0)) == pytest.approx(6.0206, rel=1e-4)
    flags = exceeds_prediction([0.04, 0.019, 0.5], [0.01, 0.01, 1.0], [3.0, 3.0, 0.0])
    assert flags.tolist() == [True, False, False]      # 4x and 1.9x the prediction, at 3 dB


def test_a_broadband_total_adds_what_the_bands_miss():
    # bands 1 V/m at 10 W/m² each; a total of 2 V/m leaves 4 − 2 = 2 V²/m² of unknown
    # frequency, judged against the strictest limit 2 W/m²
    r = band_exposure_ratio([1.0, 1.0], [10.0, 10.0], 2.0, 2.0)
    assert r == pytest.approx(2 / (Z0 * 10) + 2 / (Z0 * 2))
    assert band_exposure_ratio([1.0, 1.0], [10.0, 10.0], 1.0, 2.0) == pytest.approx(
        2 / (Z0 * 10))


# -- lab reports: every row checked, nothing stored on error ---------------------------------------
@pytest.mark.parametrize(("row", "where", "words"), [
    ("R3,2026-03-01,Lab A,ISO 9001,40.7,39.05,n78,3500,0.5,3,", "line 6, field 'protocol'",
     "use one of IEC 62232"),
    ("R3,2026-13-01,Lab A,IEC 62232,40.7,39.05,n78,3500,0.5,3,", "line 6, field 'date'",
     "ISO 8601"),
    ("R3,2031-01-01,Lab A,IEC 62232,40.7,39.05,n78,3500,0.5,3,", "line 6, field 'date'",
     "no future dates"),
    ("R3,2026-03-01,Lab A,IEC 62232,40.7,39.05,n78,3500,1200,3,", "line 6, field 'e_v_m'",
     "outside the allowed range 0..1000"),
    ("R3,2026-03-01,Lab A,IEC 62232,40.7,39.05,n78,,0.5,3,", "line 6, field 'freq_mhz'",
     "centre frequency"),
    ("R3,2026-03-01,Lab A,IEC 62232,40.7,39.05,n78,3500,0.5,3,20", "line 6, field "
     "'uncertainty_db'", "exactly one"),
    ("R3,2026-03-01,Lab A,IEC 62232,40.7,39.05,n78,3500,0.5,12,", "line 6, field "
     "'uncertainty_db'", "0..10"),
    ("R1,2026-03-01,Lab B,IEC 62232,40.70,39.05,n41,2600,0.5,3,", "line 6, field 'lab'",
     "one report has one lab"),
    ("R1,2026-03-01,Lab A,IEC 62232,40.70,39.05,n78,3500,0.5,3,", "line 6, field 'band'",
     "listed twice"),
    ("R3,2026-03-01,Lab A,IEC 62232,95,39.05,n78,3500,0.5,3,", "line 6, field 'lat'",
     "-90..90"),
])
def test_a_wrong_row_is_one_line_and_nothing_is_stored(tmp_path: Path, row: str, where: str,
                                                       words: str):
    path = tmp_path / "reports.csv"
    path.write_text(HEAD + GOOD + row + "\n", encoding="utf-8")
    with Store.open(tmp_path / "s.duckdb") as store:
        with pytest.raises(InputError) as err:
            import_lab_reports(store, path, today=date(2026, 12, 1))
        assert load_lab_reports(store) == []
    msg = str(err.value)
    assert msg.startswith(f"{path}: {where}: ") and words in msg and "\n" not in msg


def test_import_stores_bands_and_totals_and_replaces_a_report(tmp_path: Path):
    path = tmp_path / "reports.csv"
    path.write_text(HEAD + GOOD, encoding="utf-8")
    with Store.open(tmp_path / "s.duckdb") as store:
        first = import_lab_reports(store, path, today=date(2026, 12, 1))
        again = import_lab_reports(store, path, today=date(2026, 12, 1))
        reports = {r.report_id: r for r in load_lab_reports(store)}
    assert (first.reports, first.bands, first.replaced) == (2, 3, 0)
    assert again.replaced == 2 and len(reports) == 2
    r1, r2 = reports["R1"], reports["R2"]
    assert [b.band for b in r1.bands] == ["LTE 1800", "n78"]
    assert r1.e_total_measured_v_m == 0.6 and r1.uncertainty_db == 3.0
    # R2 has no total row: the root-sum-square of its bands; 30 % of the field strength
    # lowers a reading by at most -20 log10(0.7) = 3.098 dB
    assert r2.e_total_measured_v_m is None and r2.e_total_v_m == pytest.approx(1.5)
    assert r2.uncertainty_db == pytest.approx(3.0980, rel=1e-4)


# -- the sample city -----------------------------------------------------------------------------
def _light_copy(src: Path, dest: Path) -> Path:
    """The workspace without its store (a fresh one) and with its large data folder linked."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("ssckit.duckdb*", "data"))
    (dest / "data").symlink_to(src / "data", target_is_directory=True)
    return dest


@pytest.fixture(scope="module")
def city(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample city (its probe registered in the school registry's devices.csv, as a real
    city registers one) and an analyst with an API token."""
    root = _light_copy(demo_workspace, tmp_path_factory.mktemp("register") / "city")
    r = CliRunner().invoke(cli, ["emf", "measurements", "import", str(root / "lab_reports.csv"),
                                 "-w", str(root)])
    assert r.exit_code == 0, r.output
    assert "5 lab report(s) with 20 band value(s) imported" in r.output
    with Store.open(root / "ssckit.duckdb") as store:
        auth.add_user(store, "ana", "analyst", "correct horse battery staple")
        (root / "token").write_text(auth.create_api_token(store, "ana", "tests"))
    return root


def _reports_by_hand(path: Path) -> dict[str, float]:
    """% of the national limit of each sample report, from its CSV rows: Σ E_band² / (Z0 S_L)
    plus the part of the total the bands miss (S_L is flat, so the total alone decides)."""
    e2: dict[str, float] = {}
    total: dict[str, float] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            e = float(row["e_v_m"])
            if row["band"] == "total":
                total[row["report_id"]] = e * e
            else:
                e2[row["report_id"]] = e2.get(row["report_id"], 0.0) + e * e
    return {k: 100 * max(v, total.get(k, 0.0)) / (Z0 * S_NATIONAL) for k, v in e2.items()}


def test_sample_reports_beside_the_public_maps_prediction(city: Path):
    by_hand = _reports_by_hand(city / "lab_reports.csv")
    ws = Workspace.load(city)
    with Store.open(ws.store_path) as store:
        rows, ls = assess(ws, store)
    assert ls.name == "sampleland-national"
    labs = {a.id: a for a in rows if a.kind == "lab"}
    assert sorted(labs) == [f"LAB-2026-0{i}" for i in range(1, 6)]
    for rid, pct in by_hand.items():
        assert 100 * labs[rid].measured_ratio == pytest.approx(pct, rel=1e-9)
    # exactly one report measures above the prediction beyond its uncertainty, and it is
    # listed first
    assert [a.id for a in rows if a.exceeds] == ["LAB-2026-05"]
    assert rows[0].id == "LAB-2026-05"
    high = labs["LAB-2026-05"]
    assert high.measured_ratio * 10 ** (-high.uncertainty_db / 10) > high.predicted_ratio
    # the prediction is the public map's: the point query at the same place and height
    with TestClient(create_app(city), base_url="https://testserver") as c:
        for a in labs.values():
            p = c.get("/api/v1/emf/point", params={"lat": a.lat, "lon": a.lon,
                                                    "height_m": a.height_m}).json()
            assert 100 * a.predicted_ratio == pytest.approx(p["percent_of_limit"], rel=1e-9)
            assert a.site == p["contributions"][0]["site"]


def _senml(device: str, values: list[tuple[datetime, float]], unit: str = "V/m") -> bytes:
    return json.dumps([{"n": f"urn:dev:ssckit:{device}:e_field_v_m", "u": unit,
                        "t": t.replace(tzinfo=UTC).timestamp(), "v": v}
                       for t, v in values]).encode()


def test_probe_readings_through_mosquitto_and_http(city: Path):
    from ssckit.school.ingest import run_ingester
    from ssckit.school.live import Broker
    from ssckit.school.publisher import publish_payloads
    from ssckit.school.run import load_registry

    ws = Workspace.load(city)
    registry = load_registry(ws)
    assert registry is not None
    now = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    broker = Broker.start()
    stop = threading.Event()
    ingester = threading.Thread(target=run_ingester, args=(ws.store_path, registry, "127.0.0.1",
                                                          broker.port),
                                kwargs={"stop_event": stop, "client_id": "register-test",
                                        "flush_interval": 0.2, "log": lambda m: None})
    ingester.start()
    try:
        topic = f"ssckit/school/{registry.devices['EMF-PROBE-1'].school_id}/EMF-PROBE-1"
        msgs = [(topic, _senml("EMF-PROBE-1", [(now - timedelta(hours=30), 9.0)]), 1),
                (topic, _senml("EMF-PROBE-1", [(now - timedelta(minutes=m), 0.2 + 0.01 * m)
                                               for m in range(10, 70, 10)]), 6),
                (topic, _senml("EMF-PROBE-1", [(now - timedelta(minutes=5), 2000.0)]), 1),
                (topic, _senml("EMF-PROBE-1", [(now - timedelta(minutes=4), 0.3)], "mW"), 1)]
        time.sleep(0.5)
        publish_payloads("127.0.0.1", broker.port, msgs, timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Store.open(ws.store_path) as store, store.cursor() as cur:
                n = cur.execute("SELECT count(*) FROM school_readings WHERE device_id = "
                                "'EMF-PROBE-1'").fetchone()[0]
                q = cur.execute("SELECT count(*) FROM school_quarantine WHERE payload LIKE "
                                "'%EMF-PROBE-1%'").fetchone()[0]
            if n >= 7 and q >= 2:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        ingester.join(timeout=30)
        broker.stop()
    assert (n, q) == (7, 2)     # out of the 0..1000 V/m range and the wrong unit refused
    token = (city / "token").read_text()
    with TestClient(create_app(city), base_url="https://testserver") as c:
        r = c.post("/api/v1/school/readings", content=_senml(
            "EMF-PROBE-1", [(now - timedelta(minutes=1), 0.41)]),
            headers={"Authorization": f"Bearer {token}",
                     "Content-Type": "application/json"})
        assert r.status_code == 202 and r.json()["accepted"] == 1, r.text
        m = c.get("/api/v1/emf/measurements").json()
    probe = next(x for x in m["measurements"] if x["kind"] == "probe")
    # the last 24 hours before the latest reading: the six MQTT readings and the HTTP one;
    # the one of 30 hours ago falls out of the window
    assert probe["readings"] == 7 and probe["latest_v_m"] == pytest.approx(0.41)
    assert probe["e_v_m"] == pytest.approx(0.8)     # the highest of the window, 60 min ago
    # a 3500 MHz probe under a flat 0.1 W/m² limit: 0.8² / (120π · 0.1)
    assert probe["measured_percent"] == pytest.approx(100 * 0.8 ** 2 / (Z0 * 0.1), rel=1e-9)
    assert probe["name"] == "lamp post, Market Street"
    assert probe["exceeds_prediction"] is False


def test_api_is_typed_and_the_analyst_page_needs_a_login(city: Path):
    token = (city / "token").read_text()
    with TestClient(create_app(city), base_url="https://testserver") as c:
        m = c.get("/api/v1/emf/measurements").json()
        first = m["measurements"][0]
        assert first["id"] == "LAB-2026-05" and first["exceeds_prediction"] is True
        assert isinstance(first["measured_percent"], float)
        assert first["summary"].startswith("measured 12 % of the limit, predicted 4.6 %")
        assert "the site needs a look" in first["summary"]
        schema = c.get("/openapi.json").json()["components"]["schemas"]
        assert "exceeds_prediction" in schema["Measurement"]["properties"]
        geo = c.get("/api/v1/emf/measurements.geojson")
        assert geo.headers["content-type"].startswith("application/geo+json")
        feats = geo.json()["features"]
        assert feats[-1]["properties"]["id"] == "LAB-2026-05"   # drawn last, on top
        page = c.get("/emf")
        assert "measured 12 % of the limit, predicted 4.6 %" in page.text
        assert "e+" not in page.text.split('id="measured-h"')[1]
        assert c.get("/emf/measurements", follow_redirects=False).status_code in (303, 401)
        an = c.get("/emf/measurements", headers={"Authorization": f"Bearer {token}"})
        assert an.status_code == 200
        alert = an.text.split('class="alert alert-error"')[1].split("</div>")[0]
        assert "LAB-2026-05" in alert and "LAB-2026-01" not in alert
    with TestClient(create_app(city), base_url="https://testserver") as c:
        ru = c.get("/api/v1/emf/measurements", params={"lang": "ru"}).json()
    assert "предел" in ru["measurements"][0]["summary"]


def test_cli_list_and_a_bad_file_in_one_line(city: Path, tmp_path: Path):
    r = CliRunner().invoke(cli, ["emf", "measurements", "list", "--above-prediction",
                                 "--format", "json", "-w", str(city)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert [m["id"] for m in out["measurements"]] == ["LAB-2026-05"]
    bad = tmp_path / "bad.csv"
    bad.write_text(HEAD + "R9,2026-03-01,Lab A,IEC 62232,40.7,39.05,n78,3500,abc,3,\n",
                   encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "ssckit.cli", "emf", "measurements", "import",
                        str(bad), "-w", str(city)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    lines = [x for x in (r.stdout + r.stderr).splitlines() if x.strip()]
    assert len(lines) == 1 and "line 2, field 'e_v_m'" in lines[0], lines
    assert "not a number" in lines[0] and "Traceback" not in r.stderr


def test_the_sample_probe_streams_through_the_ingest(demo_workspace: Path, tmp_path: Path):
    from ssckit.emf.probe_feed import BACKFILL_H, BACKFILL_STEP_MIN, start_probe_feed

    root = _light_copy(demo_workspace, tmp_path / "city")
    ws = Workspace.load(root)
    logs: list[str] = []
    feed = start_probe_feed(ws, logs.append)
    assert feed is not None
    try:
        deadline = time.monotonic() + 60
        while feed.stored == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        feed.stop()
    assert feed.stored == BACKFILL_H * 60 // BACKFILL_STEP_MIN + 1, logs   # both ends
    with Store.open(ws.store_path) as store:
        rows, _ = assess(ws, store)
    probe = next(a for a in rows if a.kind == "probe")
    # traffic between 15 % and 45 % of full power: the field is below the full-power prediction
    # the window is the 24 hours before the latest reading, the one 24 h before excluded
    assert probe.readings == BACKFILL_H * 60 // BACKFILL_STEP_MIN
    assert 0.1 * probe.predicted_ratio < probe.measured_ratio < 0.5 * probe.predicted_ratio
    assert not probe.exceeds


def test_a_registered_probe_exports_to_ngsi_ld(city: Path):
    from ssckit.school.ngsi import entities
    from ssckit.school.run import load_registry

    registry = load_registry(Workspace.load(city))
    assert registry is not None
    dev = next(e for e in entities(registry) if e["type"] == "Device"
               and e["id"].endswith("EMF-PROBE-1"))
    assert dev["controlledProperty"]["value"] == ["electricField"]
