"""The sample city's services, served by ssckit itself around the pipeline step and scanned for
real: the grades they are designed to get, and the ports they free again."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.cyber import sample
from ssckit.cyber.indicators import compute
from ssckit.cyber.model import ServiceResult, Status
from ssckit.cyber.scan import ScanOptions, scan_targets
from ssckit.cyber.scoring import score_service
from ssckit.cyber.store import load_scan, scan_ids
from ssckit.cyber.targets import load_targets

from .conftest import sample_city


def _report(result: ServiceResult) -> str:
    s = score_service(result)
    return f"{result.name}: {s.grade} {s.score} {result.error} {s.modifiers}"


def _refused(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
def sample_workspace(workspace: Path) -> Path:
    """Testville with the cyber part of the sample city (as `ssckit demo` writes it)."""
    part = sample.write_sample(sample_city(workspace, "Riverbend"))
    cfg = yaml.safe_load((workspace / "city.yaml").read_text())
    cfg["inputs"] = {"cyber": part.inputs}
    cfg["settings"] = {"cyber": part.settings}
    (workspace / "city.yaml").write_text(yaml.safe_dump(cfg))
    return workspace


def test_pipeline_step_scans_the_served_services(sample_workspace: Path):
    ws = Workspace.load(sample_workspace)
    with Store.open(ws.store_path) as store:
        t0 = time.perf_counter()
        values = compute(ws, store)
        seconds = time.perf_counter() - t0
        scan = load_scan(store, scan_ids(store)[-1])
    print(f"cyber step: {seconds:.2f} s")
    by = {r.name: r for r in scan.results}
    report = "\n".join(_report(r) for r in scan.results)
    assert score_service(by["portal"]).grade == "A+", report
    intranet = by["intranet"]
    assert score_service(intranet).grade == "F", report
    protocols = intranet.finding("tls.protocols")
    assert protocols.status == Status.FAIL and "TLS 1.0" in protocols.detail
    assert intranet.finding("tls.key_exchange").status == Status.FAIL
    assert intranet.finding("cookies.flags").code == "cookies-session-without-secure-flag"
    assert intranet.finding("http.redirect").code == "redirection-missing"
    assert intranet.finding("security_txt").code == "security-txt-missing"
    expiry = by["permits"].finding("cert.expiry")
    assert expiry.status == Status.WARN and 8 <= expiry.evidence["days_left"] <= 10
    assert by["permits"].finding("cert.trust").status == Status.PASS  # the workspace's CA
    assert not by["library"].reachable and "refused" in (by["library"].error or "")
    values_by = {(v.indicator, v.entity): v for v in values}
    assert values_by[("cyber:score", "service:portal")].value == 120
    assert values_by[("cyber:share_grade_b_or_better", "city")].value == pytest.approx(66.7)
    assert ("cyber:score", "service:library") not in values_by
    assert {v.quality for v in values} == {"D"}  # synthetic sample data
    # the services are stopped again
    for r in scan.results:
        assert _refused(urlsplit(r.url).port or 443), r.url


def test_a_taken_port_is_replaced_while_the_file_stays(sample_workspace: Path):
    path = sample_workspace / sample.TARGETS_FILE
    before = path.read_text()
    targets = load_targets(path)
    port = targets.services[0].port
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        with sample.sample_lab(sample_workspace, targets) as served:
            portal = served.services[0]
            assert portal.name == "portal" and portal.port != port
            (result,) = scan_targets(served.model_copy(update={"services": [portal]}),
                                     ScanOptions(connect_timeout=3, loopback_only=True)).results
            assert score_service(result).grade == "A+", _report(result)
    assert path.read_text() == before
    assert _refused(portal.port)
