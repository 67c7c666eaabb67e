"""The sample city's E-field probe is a device of its school registry (``devices.csv``): a
reader of the sample data finds it there, the registry import accepts it, and the live feed of
``ssckit serve`` streams it as listed."""

from __future__ import annotations

import csv
from pathlib import Path

from pyproj import Geod

from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.emf.register import load_probes
from ssckit.school.schema import read_registry
from ssckit.school.simulate import METER_QUANTITIES, PROBE_QUANTITIES


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_sample_devices_list_the_probe_under_its_nearest_school(demo_workspace: Path):
    ws = Workspace.load(demo_workspace)
    devices = ws.input_path("school", "devices")
    assert devices is not None and devices.name == "devices.csv"
    [probe] = load_probes(ws)
    assert probe.device_id == "EMF-PROBE-1"
    # the school nearest to the probe, on the WGS 84 ellipsoid (the registry's own coordinates)
    geod = Geod(ellps="WGS84")
    schools = _rows(demo_workspace / "schools.csv")
    dist = {s["id"]: geod.inv(probe.lon, probe.lat, float(s["lon"]), float(s["lat"]))[2]
            for s in schools}
    nearest = min(dist, key=dist.__getitem__)
    listed = [r for r in _rows(devices) if r["device_id"] == probe.device_id]
    assert listed == [{"device_id": "EMF-PROBE-1", "school_id": nearest, "room_id": "",
                       "quantities": "e_field_v_m"}]


def test_the_school_registry_import_accepts_the_sample_probe(demo_workspace: Path):
    root = demo_workspace
    registry = read_registry(root / "schools.csv", root / "rooms.csv", root / "devices.csv")
    dev = registry.devices["EMF-PROBE-1"]
    assert dev.quantities == ("e_field_v_m",) and dev.room_id == ""
    assert dev.school_id in registry.schools
    # the schools' own devices are all still listed: one meter and one connectivity probe each
    for s in registry.schools:
        own = [d for d in registry.devices.values() if d.school_id == s and not d.room_id]
        assert sorted(d.quantities for d in own if d.device_id != "EMF-PROBE-1") == sorted(
            [tuple(METER_QUANTITIES), tuple(PROBE_QUANTITIES)]), s
    # and the compute run stored it with the rest of the registry
    with Store.open(Workspace.load(root).store_path) as store, store.cursor() as cur:
        stored = cur.execute("SELECT school_id, quantities FROM school_devices WHERE "
                             "device_id = 'EMF-PROBE-1'").fetchall()
    assert stored == [(dev.school_id, "e_field_v_m")]
