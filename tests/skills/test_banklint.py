"""The item-bank lint: each check fails on a bank built to break it, and the packaged bank
passes them all (run in CI by this test)."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
import yaml

from ssckit.skills import banklint
from ssckit.skills.bank import default_bank, parse_bank

SCALE = yaml.safe_load(resources.files("ssckit.skills").joinpath(
    "data", "bank.yaml").read_text(encoding="utf-8"))["self_rating_scale"]


def mc(n: int, key: str, texts: tuple[str, ...] = ("one", "two", "six", "ten"),
       stem: str | None = None) -> dict:
    """A multiple-choice item ``idl-NN`` keyed at option ``key``."""
    return {"id": f"idl-{n:02d}", "area": 1, "competence": "1.1", "level": 2,
            "type": "multiple_choice",
            "stem": {"en": stem or f"Question number {n}?", "ru": f"Вопрос номер {n}?"},
            "options": [{"id": i, "en": t, "ru": f"ответ {t}"}
                        for i, t in zip("abcd", texts, strict=True)],
            "key": key, "irt": None}


def bank(items: list[dict]):  # noqa: ANN201
    return parse_bank({"self_rating_scale": SCALE, "items": items}, "test-bank.yaml")


def test_packaged_bank_passes_every_check() -> None:
    b = default_bank()
    assert banklint.lint_bank(b) == []
    counts = banklint.key_positions(b)
    assert counts.max() / counts.sum() <= banklint.MAX_KEY_POSITION_SHARE
    assert counts.min() / counts.sum() >= banklint.MIN_KEY_POSITION_RATIO / counts.size


def test_balanced_keys_pass_and_crowded_keys_are_named() -> None:
    balanced = bank([mc(i, "abcd"[i % 4]) for i in range(1, 13)])
    assert banklint.key_position_findings(balanced) == []
    # 5 of 10 keys are "a" (50 % > 40 %): the five items keyed "a" are named
    crowded = bank([mc(i, "a" if i <= 5 else "bcd"[i % 3]) for i in range(1, 11)])
    found = banklint.key_position_findings(crowded)
    assert {f.item for f in found} == {f"idl-{i:02d}" for i in range(1, 6)}
    assert all(f.field == "key" and "position a" in f.message for f in found)
    assert "b, c or d" in found[0].fix or "c or d" in found[0].fix


def test_a_rarely_used_position_fails_too() -> None:
    # a 4, b 4, c 3, d 1 of 12: no position above 40 %, but d holds 8 % < 12.5 %
    keys = "aaaabbbbcccd"
    found = banklint.key_position_findings(bank([mc(i + 1, k) for i, k in enumerate(keys)]))
    assert found and all("position d" in f.fix for f in found)
    assert {f.item for f in found} == {f"idl-{i:02d}" for i in range(1, 9)}  # a and b keyed


def test_length_cue() -> None:
    long_key = ("one", "the longest answer", "six", "ten")
    # the key "b" is strictly longest in 2 of 6 items (1/3): allowed
    items = [mc(i, "b", long_key if i <= 2 else ("one", "two", "six", "ten"))
             for i in range(1, 7)]
    assert banklint.length_cue_findings(bank(items)) == []
    # in 3 of 6: every cued item is named, per language, with the lengths
    items[2] = mc(3, "b", long_key)
    found = banklint.length_cue_findings(bank(items))
    assert {(f.item, f.field) for f in found} == {
        (f"idl-{i:02d}", f"options.{lang}") for i in (1, 2, 3) for lang in ("en", "ru")}
    en = next(f for f in found if f.field == "options.en")
    assert "18 characters, longest distractor 3" in en.message
    # a tie with a distractor is not a cue
    assert banklint.length_cue_findings(bank([mc(1, "b", ("one", "two", "six", "ten"))])) == []


def test_duplicate_stems_ignore_case_spacing_and_punctuation() -> None:
    items = [mc(1, "a", stem="Which query is best?"), mc(2, "b", stem="which  QUERY is best"),
             mc(3, "c", stem="Another question?")]
    found = banklint.duplicate_stem_findings(bank(items))
    assert [(f.item, f.field) for f in found] == [("idl-02", "stem.en")]
    assert "idl-01" in found[0].message


def test_reading_load() -> None:
    long = " ".join(["word"] * 30) + "?"
    found = banklint.reading_load_findings(bank([mc(1, "a", stem=long), mc(2, "b")]))
    assert [(f.item, f.field) for f in found] == [("idl-01", "stem.en")]
    assert "longest sentence 30" in found[0].message


def _lint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ssckit.skills.banklint", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def test_command_line(tmp_path: Path) -> None:
    ok = _lint()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout == "" and "0 finding(s)" in ok.stderr
    bad = tmp_path / "bank.yaml"
    bad.write_text(yaml.safe_dump({"self_rating_scale": SCALE, "items": [
        mc(i, "a" if i <= 6 else "cd"[i % 2]) for i in range(1, 11)]}, allow_unicode=True),
        encoding="utf-8")
    r = _lint(str(bad))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert len(lines) == 6  # one line per item keyed "a", naming file, item and field
    assert lines[0].startswith(f"{bad}: item idl-01, field 'key': ")
    assert "reorder the options" in lines[0]
    broken = tmp_path / "broken.yaml"
    broken.write_text("items: [", encoding="utf-8")
    r = _lint(str(broken))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"error: {broken}: is not valid YAML")


@pytest.mark.parametrize("args", [["-h"], ["a.yaml", "b.yaml"]])
def test_command_line_usage(args: list[str]) -> None:
    r = _lint(*args)
    assert r.returncode == 2 and r.stderr.startswith("usage:")


def test_ssckit_skills_lint_bank(tmp_path: Path) -> None:
    """The same lint as `ssckit skills lint-bank`; a broken file is one line, exit 2."""
    ssckit = [sys.executable, "-m", "ssckit.cli", "skills", "lint-bank"]
    ok = subprocess.run(ssckit, capture_output=True, text=True, timeout=120, check=False)
    assert ok.returncode == 0 and "0 finding(s)" in ok.stderr, ok.stdout + ok.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("items: [", encoding="utf-8")
    r = subprocess.run([*ssckit, str(broken)], capture_output=True, text=True, timeout=120,
                       check=False)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith(f"error: {broken}: is not valid YAML")
