"""The pipeline step: the sample city's portal and ssckit's own reports, served on 127.0.0.1 and
audited in Chromium; why the step cannot run without Chromium; settings checked as a whole."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from ssckit.access import sample
from ssckit.access.history import audit_ids, diff_with_previous
from ssckit.access.indicators import compute, own_reports, why_not_ready
from ssckit.access.indicators import settings as access_settings
from ssckit.core.errors import InputError
from ssckit.core.sample import SampleCity
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace

from .conftest import needs_chromium

SITE = "http://www.testville.test"
REPORTS = "http://reports.testville.test"

#: A stand-in for a report ssckit writes into outputs/, with one defect of its own.
REPORT = """<!doctype html><html><head><meta charset="utf-8"><title>EMF report</title></head>
<body><main><h1>EMF report</h1><p>Every site complies.</p></main></body></html>
"""


def _configure(workspace: Path, inputs: dict | None = None, access: dict | None = None
               ) -> Workspace:
    cfg = yaml.safe_load((workspace / "city.yaml").read_text())
    if inputs is not None:
        cfg["inputs"] = {"access": inputs}
    cfg["settings"] = {"access": access or {}}
    (workspace / "city.yaml").write_text(yaml.safe_dump(cfg))
    return Workspace.load(workspace)


@pytest.fixture
def portal_workspace(workspace: Path) -> Path:
    """Testville with the sample portal (as `ssckit demo` writes it) and one report."""
    # the access sample writer reads only the city's folder and name
    city = SampleCity(root=workspace, name="Testville", years=(2026,), seed=7,
                      town=None)  # type: ignore[arg-type]
    part = sample.write_sample(city)
    assert part.inputs == {"site": "site/index.html", "statement": "access-statement.yaml"}
    assert part.config == {}
    (workspace / "outputs" / "emf").mkdir(parents=True)
    (workspace / "outputs" / "emf" / "report.html").write_text(REPORT)
    (workspace / "outputs" / "radio.part").mkdir()
    (workspace / "outputs" / "radio.part" / "half-written.html").write_text("<p>")
    _configure(workspace, part.inputs, part.settings)
    return workspace


def test_own_reports_leave_out_unfinished_folders(portal_workspace: Path):
    assert own_reports(portal_workspace / "outputs") == ["emf/report.html"]


@pytest.mark.browser
@needs_chromium
def test_step_audits_the_portal_and_the_reports(portal_workspace: Path):
    ws = Workspace.load(portal_workspace)
    assert why_not_ready(ws) is None
    with Store.open(ws.store_path) as store:
        t0 = time.perf_counter()
        values = compute(ws, store)
        print(f"access step: {time.perf_counter() - t0:.2f} s")
        by = {(v.indicator, v.entity, v.breakdown.get("page")): v.value for v in values}
        assert by[("access:pages", f"site:{SITE}", None)] == 4
        assert by[("access:violations", f"site:{SITE}", None)] == 3
        assert 0 < by[("access:score", f"site:{SITE}", None)] < 100
        per_page = {page: by[("access:violations", f"site:{SITE}", f"{SITE}/{page}")]
                    for page in sample.PAGES}
        assert per_page == {"index.html": 1, "services.html": 1, "news.html": 1,
                            "contact.html": 0}
        assert by[("access:score", f"site:{SITE}", f"{SITE}/contact.html")] == 100.0
        assert by[("access:pages", f"site:{REPORTS}", None)] == 1
        assert by[("access:violations", f"site:{REPORTS}", f"{REPORTS}/emf/report.html")] == 1
        assert {v.quality for v in values} == {"D"}  # the workspace is synthetic
        rules = dict(store.con.execute(
            "SELECT url, string_agg(rule, ',' ORDER BY rule) FROM access_findings "
            "WHERE kind = 'violation' GROUP BY url").fetchall())
        assert rules == {f"{SITE}/index.html": "image-alt", f"{SITE}/services.html": "label",
                         f"{SITE}/news.html": "color-contrast",
                         f"{REPORTS}/emf/report.html": "html-has-lang"}

        # a second run audits the same sites under the same names: nothing new, nothing fixed
        compute(ws, store)
        ids = audit_ids(store, SITE)
        assert len(ids) == 2
        change = diff_with_previous(store, ids[-1])
        assert change is not None and change.new == [] and change.fixed == []


def test_why_not_ready_names_what_is_missing(portal_workspace: Path, tmp_path: Path):
    nowhere = tmp_path / "no-chromium"
    ws = Workspace.load(portal_workspace)
    reason = why_not_ready(ws, chromium=nowhere)
    assert reason is not None and "Chromium is not installed" in reason
    assert str(nowhere) in reason and "bash scripts/setup" in reason
    ws = _configure(portal_workspace, access={"chromium": str(nowhere)})
    assert why_not_ready(ws) == reason
    with Store.open(ws.store_path) as store, pytest.raises(InputError, match="not installed"):
        compute(ws, store)
    not_executable = tmp_path / "chromium"
    not_executable.write_text("")
    assert "not executable" in (why_not_ready(ws, chromium=not_executable) or "")


def test_settings_are_validated_as_a_whole(workspace: Path):
    ws = _configure(workspace)
    s = access_settings(ws)
    assert (s.depth, s.max_pages, s.reports, s.chromium) == (2, 20, True, None)
    with Store.open(ws.store_path) as store:
        assert compute(ws, store) == []  # no inputs.access.site: nothing to audit
    for bad, field, says in (
            ({"depth": -1}, "settings.access.depth", "greater than or equal to 0"),
            ({"max_pages": 5000}, "settings.access.max_pages", "less than or equal to 1000"),
            ({"reports": "no"}, "settings.access.reports", "valid boolean"),
            ({"host": "not a host"}, "settings.access.host", "should match pattern"),
            ({"pages": 3}, "settings.access.pages", "allowed: best_practice")):
        with pytest.raises(InputError) as err:
            access_settings(_configure(workspace, access=bad))
        assert field in str(err.value) and says in str(err.value), str(err.value)
