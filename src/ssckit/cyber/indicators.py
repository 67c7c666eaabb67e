"""The cyber module's pipeline step: scan the city's services, keep the scan, return the posture.

city.yaml::

    inputs:
      cyber: {targets: cyber_targets.yaml}
    settings:
      cyber:
        local_lab: false         # true: serve the sample city's services around the scan
        loopback_only: true      # never contact an address outside 127.0.0.0/8 and ::1
        concurrency: 8           # services scanned at once (1..256)
        timeout_s: 60            # time limit per service [s] (1..3600)
        connect_timeout_s: 5     # time limit per network operation [s] (0.5..60)
        security_contact: mailto:security@city.example   # security.txt of `ssckit serve`
        baseline: national-baseline   # policy profile: built-in name or a YAML file
        monitor: {...}           # scheduled scans and alerts, see ssckit.cyber.monitor
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.cyber.monitor import MonitorSettings
from ssckit.cyber.scan import ScanOptions, scan_targets
from ssckit.cyber.scoring import indicator_values, score_service
from ssckit.cyber.store import save_scan
from ssckit.cyber.targets import load_targets


class CyberSettings(BaseModel):
    """``settings.cyber`` of city.yaml."""

    model_config = ConfigDict(extra="forbid", strict=True)

    local_lab: bool = Field(default=False, description="Serve the sample city's services "
                            "(ssckit.cyber.sample) on 127.0.0.1 while the step scans them.")
    loopback_only: bool = Field(default=True, description="Never contact an address outside "
                                "127.0.0.0/8 and ::1; false to scan a real city's services.")
    concurrency: int = Field(default=8, ge=1, le=256, description="Services scanned at once.")
    timeout_s: float = Field(default=60.0, ge=1, le=3600,
                             description="Time limit per service [s].")
    connect_timeout_s: float = Field(default=5.0, ge=0.5, le=60,
                                     description="Time limit per network operation [s].")
    security_contact: str | list[str] | None = Field(
        default=None, description="security.txt Contact of `ssckit serve` (checked by the "
                                  "web app).")
    baseline: str | None = Field(default=None, description="Policy profile the services are "
                                 "judged against: a built-in name (national-baseline) or a "
                                 "profile YAML file of the workspace.")
    dkim_selectors: list[str] = Field(
        default_factory=list, description="DKIM selectors looked up at "
        "<selector>._domainkey.<mail domain> (RFC 6376); empty: DKIM is not judged.")
    monitor: MonitorSettings | None = Field(default=None, description="Scheduled scans and "
                                            "alerts (ssckit serve --live).")


def settings(ws: Workspace) -> CyberSettings:
    """``settings.cyber`` validated as a whole (an InputError names a bad field)."""
    return ws.module_settings("cyber", CyberSettings)


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Scan ``inputs.cyber.targets`` (serving the sample city's services around the scan when
    ``settings.cyber.local_lab``), store the scan, return the ``cyber:*`` indicator values."""
    path = ws.input_path("cyber", "targets")
    if path is None:
        return []
    s = settings(ws)
    targets = load_targets(path)
    rel = path.relative_to(ws.root).as_posix() if path.is_relative_to(ws.root) else str(path)
    options = ScanOptions(concurrency=s.concurrency, timeout=s.timeout_s,
                          connect_timeout=s.connect_timeout_s, loopback_only=s.loopback_only,
                          dkim_selectors=tuple(s.dkim_selectors))
    with contextlib.ExitStack() as stack:
        if s.local_lab:
            from ssckit.cyber.sample import sample_lab

            targets = stack.enter_context(sample_lab(Path(ws.root), targets))
        scan = scan_targets(targets, options, source=rel)
    save_scan(store, scan)
    scores = [score_service(r) for r in scan.results]
    return indicator_values(scores, scan.started_at.strftime("%Y-%m-%d"),
                            {"targets": rel, "scan_id": scan.scan_id,
                             "synthetic": ws.config.synthetic},
                            quality="D" if ws.config.synthetic else "B")

