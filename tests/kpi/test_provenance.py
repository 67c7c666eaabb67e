"""A KPI's manual and computed values are both kept; settings.kpi.precedence picks one, and the
scorecard says which and why. Driven through the CLI, as an analyst would."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from ssckit.core.indicators import IndicatorValue
from ssckit.kpi.precedence import choose_value

from .conftest import run_cli

HEADER = "code,value,unit,period,source,quality\n"


def _show(city: Path, code: str) -> dict:
    r = run_cli("kpi", "show", code, "-w", str(city), "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _line(city: Path, code: str, *extra: str) -> dict:
    r = run_cli("kpi", "scorecard", "-w", str(city), "--format", "json", *extra)
    assert r.returncode == 0, r.stderr
    return next(k for k in json.loads(r.stdout)["kpis"] if k["code"] == code)


def _set_setting(city: Path, key: str, value: object) -> None:
    cfg = yaml.safe_load((city / "city.yaml").read_text())
    cfg.setdefault("settings", {}).setdefault("kpi", {})[key] = value
    (city / "city.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


def test_import_is_not_replaced_by_city_yaml_values_on_compute(city: Path, tmp_path: Path):
    # The sample's settings.kpi.values file says 81.2 for household Internet access.
    assert _line(city, "EC:ICT:ICT:1C")["value"] == 81.2
    f = tmp_path / "stats.csv"
    f.write_text(HEADER + "EC:ICT:ICT:1C,77.7,%,2026,Household survey 2026,A\n")
    r = run_cli("kpi", "import", str(f), "-w", str(city))
    assert r.returncode == 0, r.stderr
    r = run_cli("compute", "-w", str(city), "--only", "kpi", "-q")
    assert r.returncode == 0, r.stderr
    line = _line(city, "EC:ICT:ICT:1C")
    assert line["value"] == 77.7 and line["origin"] == "manual"
    assert line["source"]["reference"] == "Household survey 2026"
    shown = _show(city, "EC:ICT:ICT:1C")
    history = [(m["origin"], m["value"]) for m in shown["manual_values"] if m["period"] == "2026"]
    assert history == [("settings", 81.2), ("import", 77.7)]
    # The audit log has both, old -> new.
    changes = [(a["old"], a["new"]) for a in shown["audit"] if a["period"] == "2026"]
    assert changes == [("", "81.2"), ("81.2", "77.7")]
    # Changing the file itself is a new manual value, and it is then the newest.
    csv_path = city / "kpi_values_2026.csv"
    text = csv_path.read_text().replace("EC:ICT:ICT:1C,81.2,", "EC:ICT:ICT:1C,82.5,")
    assert text != csv_path.read_text()
    csv_path.write_text(text)
    assert run_cli("compute", "-w", str(city), "--only", "kpi", "-q").returncode == 0
    assert _line(city, "EC:ICT:ICT:1C")["value"] == 82.5


def test_computed_and_manual_both_kept_and_precedence_decides(city: Path):
    # EMF compliance: the emf module computed 94.74 %, the sample's manual file says 99.3 %.
    line = _line(city, "EN:EN:EQ:1C")
    assert line["origin"] == "computed" and line["value"] == pytest.approx(94.74, abs=0.01)
    assert "computed over manual" in line["reason"]
    assert line["other"]["origin"] == "manual" and line["other"]["value"] == 99.3
    _set_setting(city, "precedence", "manual")
    line = _line(city, "EN:EN:EQ:1C")
    assert line["origin"] == "manual" and line["value"] == 99.3
    assert "manual over computed" in line["reason"]
    assert line["other"]["value"] == pytest.approx(94.74, abs=0.01)
    # 'newer': the manual file was recorded before the emf values were published.
    _set_setting(city, "precedence", "newer")
    assert _line(city, "EN:EN:EQ:1C")["origin"] == "computed"
    # The terminal table says where each value came from.
    r = run_cli("kpi", "scorecard", "-w", str(city), env=_wide())
    assert r.returncode == 0, r.stderr
    row = next(x for x in r.stdout.splitlines() if x.strip().startswith("EN:EN:EQ:1C"))
    assert "computed" in row


def _wide() -> dict[str, str]:
    import os

    return {**os.environ, "COLUMNS": "160"}


def test_bad_precedence_is_one_line(city: Path):
    _set_setting(city, "precedence", "latest")
    r = run_cli("kpi", "scorecard", "-w", str(city))
    assert r.returncode == 2
    assert "settings.kpi.precedence" in r.stderr and "Traceback" not in r.stderr
    assert "'computed', 'manual' or 'newer'" in r.stderr


def _v(value: float, period: str = "2026", minutes: int = 0) -> IndicatorValue:
    return IndicatorValue("EC:ICT:ICT:1C", value, "%", period,
                          computed_at=datetime(2026, 1, 1) + timedelta(minutes=minutes))


def test_choose_value_rules():
    c, m = _v(1.0, minutes=10), _v(2.0, minutes=5)
    assert choose_value(c, m, "computed").value is c
    assert choose_value(c, m, "manual").value is m
    assert choose_value(c, m, "newer").value is c
    assert choose_value(c, _v(2.0, minutes=20), "newer").origin == "manual"
    # A later period wins whatever the rule, and the other value is kept.
    ch = choose_value(_v(1.0, "2025"), m, "computed")
    assert ch.origin == "manual" and ch.other is not None and ch.other.period == "2025"
    assert choose_value(None, None).value is None
    assert choose_value(None, m).reason == "only a manual value"


@pytest.mark.parametrize(("lang", "later", "newer"), [
    ("en", "later period than the manual value (2025)",
     "precedence newer: computed 2026-01-01 00:10, manual recorded 2026-01-01 00:05"),
    ("ru", "более поздний период, чем у значения, введённого вручную (2025)",
     "настройка precedence: newer — рассчитано 2026-01-01 00:10, введено вручную "
     "2026-01-01 00:05"),
    ("be", "пазнейшы перыяд, чым у значэння, якое ўведзена ўручную (2025)",
     "налада precedence: newer — разлічана 2026-01-01 00:10, уведзена ўручную 2026-01-01 00:05"),
])
def test_reasons_in_the_readers_language(lang: str, later: str, newer: str) -> None:
    """The stored reason stays English; pages word it in their language, values kept."""
    from ssckit.core import i18n
    from ssckit.kpi.precedence import REASONS, reason_text

    later_choice = choose_value(_v(2.0, "2026"), _v(1.0, "2025"))
    newer_choice = choose_value(_v(1.0, minutes=10), _v(2.0, minutes=5), "newer")
    assert later_choice.reason == "later period than the manual value (2025)"
    with i18n.language(lang):
        assert reason_text(later_choice.reason) == later
        assert reason_text(newer_choice.reason) == newer
        assert reason_text("a reason no rule gives") == "a reason no rule gives"
        if lang != "en":
            assert all(reason_text(r) != r for r in REASONS)


def test_manual_values_of_earlier_versions_move_to_the_kpi_table(tmp_path: Path):
    """A store written before manual values had their own table: its kpi.import rows leave
    indicator_values for kpi_manual_values when the store is opened, computed rows stay."""
    from ssckit.core.store import Store
    from ssckit.kpi.records import current_manual_values

    path = tmp_path / "old.duckdb"
    with Store.open(path) as s:
        with s.transaction() as cur:
            cur.execute("DROP TABLE kpi_manual_values; DROP TABLE kpi_reviews; "
                        "DROP TABLE kpi_evidence; DROP TABLE kpi_audit; "
                        "DELETE FROM meta WHERE key = 'schema_version:kpi'")
        s.write_values([
            IndicatorValue("EC:ICT:ICT:1C", 77.7, "%", "2026", quality="A",
                           source={"module": "kpi.import", "file": "stats.csv", "line": 2}),
            IndicatorValue("EN:EN:EQ:1C", 94.74, "%", "2026", source={"module": "emf.check"}),
        ])
    with Store.open(path) as s:
        manual = current_manual_values(s)
        computed = s.query_values()
    assert [(m.value.indicator, m.value.value, m.origin) for m in manual] == [
        ("EC:ICT:ICT:1C", 77.7, "import")]
    assert [v.indicator for v in computed] == ["EN:EN:EQ:1C"]
