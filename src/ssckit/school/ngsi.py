"""NGSI-LD export of the schools, their devices and the latest indoor conditions, following the
FIWARE Smart Data Models ``Building`` (dataModel.Building), ``Device`` (dataModel.Device) and
``IndoorEnvironmentObserved`` (dataModel.Environment), in normalized form.

Where the models' units differ from ours, values are converted and the unit is stated with its
UN/CEFACT common code (``unitCode``):

- ``co2``: the model gives the concentration "nominally in mg/L"; we measure ppm (µmol/mol).
  mg/L = ppm × M_CO2 / V_m / 1000 with M_CO2 = 44.01 g/mol and V_m = 24.45 L/mol (25 °C,
  101.325 kPa): 1000 ppm = 1800 mg/m³ = 1.80 mg/L (:func:`ppm_to_mg_per_l`).
- ``relativeHumidity``: the model's example uses a fraction 0–1; we measure %RH, so /100.
- ``temperature`` [°C, CEL], ``illuminance`` [lx, LUX], ``peopleCount`` [persons].
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ssckit.core.store import Store
from ssckit.school.schema import Registry

CONTEXT = [
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
]
M_CO2_G_MOL = 44.01
V_MOLAR_L_MOL = 24.45

#: Our quantity -> Device.controlledProperty value of the Smart Data Model.
CONTROLLED_PROPERTY = {
    "co2": "co2", "temperature": "temperature", "humidity": "humidity", "pm25": "airPollution",
    "noise": "noiseLevel", "illuminance": "light", "occupancy": "occupancy",
    "electricity": "energy", "heat": "energy", "download": "traffic", "upload": "traffic",
    "latency": "traffic", "jitter": "traffic", "packet_loss": "traffic", "online": "traffic",
    "e_field_v_m": "electricField",   # an EMF probe (no closer term in the Device model)
}


def ppm_to_mg_per_l(ppm: float) -> float:
    """CO₂ mole fraction [ppm] to mass concentration [mg/L] at 25 °C and 101.325 kPa:
    c = ppm · M / V_m [mg/m³] = ppm · 44.01 / 24.45 mg/m³; 1 mg/L = 1000 mg/m³."""
    return ppm * M_CO2_G_MOL / V_MOLAR_L_MOL / 1000.0


def _prop(value: Any, unit: str | None = None, observed: str | None = None) -> dict[str, Any]:
    p: dict[str, Any] = {"type": "Property", "value": value}
    if unit:
        p["unitCode"] = unit
    if observed:
        p["observedAt"] = observed
    return p


def _rel(obj: str | list[str]) -> dict[str, Any]:
    return {"type": "Relationship", "object": obj}


def building_id(school_id: str) -> str:
    return f"urn:ngsi-ld:Building:ssckit:{school_id}"


def device_id(dev: str) -> str:
    return f"urn:ngsi-ld:Device:ssckit:{dev}"


def entities(registry: Registry, store: Store | None = None) -> Iterator[dict[str, Any]]:
    """Building, Device and IndoorEnvironmentObserved entities (normalized NGSI-LD)."""
    for s in registry.schools.values():
        yield {
            "id": building_id(s.id), "type": "Building",
            "name": _prop(s.name), "category": _prop(["school"]),
            "location": {"type": "GeoProperty",
                         "value": {"type": "Point", "coordinates": [s.lon, s.lat]}},
            "description": _prop(f"{s.pupils} pupils, {s.staff} staff, "
                                 f"{s.floor_area_m2:g} m² floor area"),
            "@context": CONTEXT,
        }
    for d in registry.devices.values():
        yield {
            "id": device_id(d.device_id), "type": "Device",
            "category": _prop(["sensor"]),
            "controlledProperty": _prop(sorted({CONTROLLED_PROPERTY[q] for q in d.quantities})),
            "controlledAsset": _rel(building_id(d.school_id)),
            "name": _prop(d.device_id),
            "@context": CONTEXT,
        }
    if store is None:
        return
    latest = _latest_by_room(store)
    for (school, room), vals in sorted(latest.items()):
        if not room or school not in registry.schools:
            continue
        s = registry.schools[school]
        when = max(ts for _, ts, _ in vals.values())
        e: dict[str, Any] = {
            "id": f"urn:ngsi-ld:IndoorEnvironmentObserved:ssckit:{school}:{room}",
            "type": "IndoorEnvironmentObserved",
            "dateObserved": _prop(when),
            "name": _prop(f"{s.name}, room {room}"),
            "location": {"type": "GeoProperty",
                         "value": {"type": "Point", "coordinates": [s.lon, s.lat]}},
            "refPointOfInterest": _rel(building_id(school)),
            "refDevice": _rel(sorted({dev for dev, _, _ in vals.values()})),
            "@context": CONTEXT,
        }
        for q, (_dev, ts, v) in vals.items():
            if q == "co2":
                e["co2"] = _prop(round(ppm_to_mg_per_l(v), 5), "M1", ts)
            elif q == "temperature":
                e["temperature"] = _prop(v, "CEL", ts)
            elif q == "humidity":
                e["relativeHumidity"] = _prop(round(v / 100.0, 4), "C62", ts)
            elif q == "illuminance":
                e["illuminance"] = _prop(v, "LUX", ts)
            elif q == "occupancy":
                e["peopleCount"] = _prop(int(round(v)), None, ts)
        yield e


def _latest_by_room(store: Store) -> dict[tuple[str, str], dict[str, tuple[str, str, float]]]:
    cur = store.cursor()
    try:
        rows = cur.execute(
            """
            SELECT school_id, room_id, quantity, device_id, ts, value FROM school_readings
            QUALIFY row_number() OVER (PARTITION BY school_id, room_id, quantity
                                       ORDER BY ts DESC) = 1
            """).fetchall()
    finally:
        cur.close()
    out: dict[tuple[str, str], dict[str, tuple[str, str, float]]] = {}
    for school, room, q, dev, ts, v in rows:
        stamp = ts.isoformat(timespec="seconds") + "Z" if isinstance(ts, datetime) else str(ts)
        out.setdefault((school, room), {})[q] = (dev, stamp, float(v))
    return out


def to_json(registry: Registry, store: Store | None = None) -> str:
    """All entities as a JSON array (what ``POST /ngsi-ld/v1/entityOperations/upsert`` takes)."""
    return json.dumps(list(entities(registry, store)), indent=1, ensure_ascii=False)
