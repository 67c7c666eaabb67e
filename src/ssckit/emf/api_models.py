"""Response models of the emf module's JSON API (``/api/v1/emf/...``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ssckit.core.webkit import Answer


# -- the measurement register ---------------------------------------------------------------------
class Measurement(Answer):
    """One lab report or probe beside the exposure predicted at its place."""

    kind: Literal["lab", "probe"]
    id: str = Field(description="Report id, or the probe's device id")
    name: str
    lat: float = Field(description="Latitude, WGS 84 [deg]")
    lon: float = Field(description="Longitude, WGS 84 [deg]")
    height_m: float = Field(description="Height above ground [m]")
    when: str = Field(description="Date of the report, or time (UTC) of the probe's latest "
                                  "reading, ISO 8601")
    e_v_m: float = Field(description="Total rms E-field [V/m]: the report's total, or the "
                                     "probe's highest reading of the last 24 hours")
    measured_percent: float = Field(description="Measured exposure, % of the limit")
    predicted_percent: float = Field(description="Predicted exposure at the same place and "
                                                 "height, every antenna at full power, % of "
                                                 "the limit")
    measured_lower_percent: float = Field(description="Measured exposure less its expanded "
                                                      "uncertainty, % of the limit")
    uncertainty_db: float = Field(description="Expanded uncertainty [dB]")
    exceeds_prediction: bool = Field(description="Measured above predicted beyond the "
                                                 "uncertainty: the model is wrong here")
    site: str | None = Field(description="The site contributing most to the prediction")
    lab: str
    protocol: str
    report_file: str
    readings: int = Field(description="Probe readings in the last 24 hours (0 for a report)")
    latest_v_m: float | None = Field(description="The probe's latest reading [V/m]")
    summary: str = Field(description="The comparison in plain words, in the reader's language")


class Measurements(Answer):
    """Every measurement of the register, those above the prediction first."""

    limit_set: str
    limit_title: str
    measurements: list[Measurement]
