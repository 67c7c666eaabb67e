"""The cyber module's part of the sample city: targets and self-assessment answers."""

from __future__ import annotations

from ssckit.core.sample import SampleCity, SampleInputs


def write_sample(city: SampleCity) -> SampleInputs:
    """The sample city's service list and GCI answers; the scan runs against a local lab."""
    from ssckit.cyber.demo import write_demo_inputs

    return SampleInputs(inputs=write_demo_inputs(city.root, city.name),
                        settings={"local_lab": True, "loopback_only": True})
