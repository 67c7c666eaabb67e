"""The ``cyber`` click group: scan, assess, questionnaire."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from ssckit.cyber.cli import cyber


@pytest.mark.parametrize("command", [[], ["scan"], ["assess"], ["questionnaire"]])
def test_help_has_an_example(command):
    out = CliRunner().invoke(cyber, [*command, "--help"])
    assert out.exit_code == 0 and "Example:" in out.output


def test_scan_stores_results_and_reports_changes(lab, workspace, tmp_path):
    from ssckit.core.store import Store

    targets = tmp_path / "targets.yaml"
    entries = [t for t in lab.targets() if t["name"] in ("good", "bare")]
    entries.append({"name": "nowhere", "url": "https://nowhere.invalid/"})
    targets.write_text(yaml.safe_dump({"services": entries}))
    args = ["scan", "--targets", str(targets), "-w", str(workspace), "--format", "json",
            "--loopback-only", "--timeout", "30"]
    first = CliRunner().invoke(cyber, args)
    assert first.exit_code == 0, first.output
    doc = json.loads(first.output)
    by_name = {s["name"]: s for s in doc["services"]}
    assert by_name["good"]["grade"] == "A+"
    assert by_name["nowhere"]["status"] == "error/unreachable"
    assert all(c["new_service"] for c in doc["changes"])
    second = CliRunner().invoke(cyber, ["scan", "--targets", str(targets), "-w", str(workspace),
                                        "--quiet", "--loopback-only", "--timeout", "30"])
    assert second.exit_code == 0, second.output
    assert "changes since the last scan: none" in second.output
    assert "error/unreachable" in second.output
    with Store.open(workspace / "ssckit.duckdb") as store:
        ids = {v.indicator for v in store.query_values(indicator_prefix="cyber:")}
        entities = {v.entity for v in store.query_values(indicator="cyber:score")}
    assert ids == {"cyber:mean_score", "cyber:share_grade_b_or_better", "cyber:score"}
    assert entities == {"service:good", "service:bare"}


def test_bad_targets_file_is_one_input_error(tmp_path):
    from ssckit.core.errors import InputError

    bad = tmp_path / "targets.yaml"
    bad.write_text(yaml.safe_dump({"services": [{"name": "portal", "url": "http://x.test/"}]}))
    out = CliRunner().invoke(cyber, ["scan", "--targets", str(bad)])
    assert isinstance(out.exception, InputError)
    assert str(out.exception) == (f"{bad}: services[0] (portal), field 'url': "
                                  "must start with https://")


def test_questionnaire_and_assess(tmp_path):
    runner = CliRunner()
    blank = runner.invoke(cyber, ["questionnaire"])
    assert blank.exit_code == 0 and "L1.1:" in blank.output
    answers = tmp_path / "answers.yaml"
    answers.write_text(blank.output.replace("L1.1: {answer: no, evidence: ''}",
                                            "L1.1: {answer: yes, evidence: 'https://x.test'}"))
    chart = tmp_path / "radar.html"
    table = runner.invoke(cyber, ["assess", "--answers", str(answers), "--chart", str(chart)])
    assert table.exit_code == 0, table.output
    assert "tier" in table.output and chart.stat().st_size > 1000
    csv_out = runner.invoke(cyber, ["assess", "--answers", str(answers), "--format", "csv"])
    assert "L1.1" in csv_out.output and "yes,https://x.test" in csv_out.output
    as_json = runner.invoke(cyber, ["questionnaire", "--format", "json"])
    assert len(json.loads(as_json.output)["pillars"]) == 5


def test_scan_looks_up_dkim_selectors_of_the_workspace(lab, workspace, tmp_path, dns_server):
    entry = next(t for t in lab.targets() if t["name"] == "good")
    targets = tmp_path / "targets.yaml"
    targets.write_text(yaml.safe_dump({
        "dns": {"nameservers": ["127.0.0.1"], "port": dns_server.port},
        "services": [{**entry, "mail_domain": "weak.test", "smtp_port": 9}]}))
    cfg = yaml.safe_load((workspace / "city.yaml").read_text())
    cfg.setdefault("settings", {})["cyber"] = {"dkim_selectors": ["mail2026"]}
    (workspace / "city.yaml").write_text(yaml.safe_dump(cfg))
    out = CliRunner().invoke(cyber, ["scan", "--targets", str(targets), "-w", str(workspace),
                                     "--format", "json", "--loopback-only", "--timeout", "30"])
    assert out.exit_code == 0, out.output
    findings = {f["check"]: f for f in json.loads(out.output)["services"][0]["findings"]}
    assert findings["mail.dkim"]["code"] == "dkim-weak"
    assert findings["mail.dkim"]["evidence"]["min_rsa_bits"] == 512
