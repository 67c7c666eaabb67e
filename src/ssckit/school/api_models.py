"""Response models of the school module's JSON API (``/api/v1/school/...``)."""

from __future__ import annotations

from pydantic import Field

from ssckit.core.webkit import Answer


class School(Answer):
    id: str
    name: str
    lat: float = Field(description="Latitude, WGS 84 [deg]")
    lon: float = Field(description="Longitude, WGS 84 [deg]")
    pupils: int | None = None
    staff: int | None = None
    floor_area_m2: float | None = Field(None, description="Heated floor area [m²]")
    contracted_down_mbps: float | None = Field(None, description="Contracted download [Mbit/s]")
    contracted_up_mbps: float | None = Field(None, description="Contracted upload [Mbit/s]")
    benchmark_down_mbps: float | None = Field(None, description="Benchmark download [Mbit/s]")
    pupils_with_ict_access: int | None = None
    indicators: dict[str, float | None] = Field(
        description="The school's indicator values; the key names the unit (_pct: %, _ppm: "
                    "ppm CO₂, _kwh_per_m2: kWh/m², _kwh_per_pupil: kWh, _days_failed: days)")
    period: str | None = None
    connectivity_status: str | None = None
    last_measurement: str | None = Field(None, description="ISO 8601 UTC")


class LatestReading(Answer):
    key: str
    room_id: str
    quantity: str
    label: str
    value: float = Field(description="In `unit`")
    display: str
    unit: str
    unit_label: str
    ts: str = Field(description="ISO 8601 UTC")
    age_s: float = Field(description="Age of the reading [s]")
    age: str
    category: int | None = Field(None, description="EN 16798-1 category (1-4) where one applies")
    category_label: str | None = None


class Latest(Answer):
    """The latest reading of every room and quantity of one school."""

    school_id: str
    server_time: str = Field(description="ISO 8601 UTC")
    server_time_local: str
    utc_offset_min: int = Field(description="Local time minus UTC [min]")
    readings: list[LatestReading]


class Reading(Answer):
    ts: str = Field(description="ISO 8601 UTC")
    device_id: str
    room_id: str
    quantity: str
    value: float = Field(description="In `unit`")
    unit: str


class Readings(Answer):
    """Raw readings of one school in a time window."""

    school_id: str
    start: str = Field(description="ISO 8601 UTC")
    end: str = Field(description="ISO 8601 UTC")
    limit: int
    truncated: bool = Field(description="Whether more readings than `limit` matched")
    readings: list[Reading]
