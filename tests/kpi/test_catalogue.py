"""The U4SSC catalogue data file: complete, consistent and parseable."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

from ssckit.kpi.catalogue import KIND_RANGES, KpiCode, load_catalogue


def test_91_unique_codes():
    cat = load_catalogue()
    codes = [k.code for k in cat.kpis]
    assert len(codes) == 91
    assert len(set(codes)) == 91


def test_every_code_parses_into_its_fields():
    cat = load_catalogue()
    for k in cat.kpis:
        code = KpiCode.parse(k.code)
        assert (code.dimension, code.subdimension, code.category) == (
            k.dimension, k.subdimension, k.category), k.code
        assert code.core == k.core, f"{k.code}: core flag disagrees with the C/A suffix"


def test_groups_are_named():
    cat = load_catalogue()
    assert set(cat.dimensions) == {"EC", "EN", "SC"}
    for k in cat.kpis:
        assert k.dimension in cat.dimensions
        assert k.subdimension_key in cat.subdimensions, k.code
        assert k.category_key in cat.categories, k.code


def test_numbers_within_a_category_are_unique_and_consecutive():
    cat = load_catalogue()
    by_cat: dict[str, list[int]] = {}
    for k in cat.kpis:
        by_cat.setdefault(k.category_key, []).append(KpiCode.parse(k.code).number)
    for key, nums in by_cat.items():
        assert sorted(nums) == list(range(1, len(nums) + 1)), key


def test_fields_are_valid():
    cat = load_catalogue()
    for k in cat.kpis:
        assert k.kind in KIND_RANGES, k.code
        assert k.name and k.unit and k.formula, k.code
        if k.kind == "percentage":
            assert k.unit.startswith("%"), k.code
        for t in k.sdg_targets:
            assert re.fullmatch(r"\d{1,2}\.[0-9a-z]+", t), (k.code, t)
        if not k.confirmed:
            assert k.note, f"{k.code} is unconfirmed but says not why"
    # Every KPI with a target has a direction and a source for the target.
    for k in cat.kpis:
        if k.target is not None:
            assert k.higher_is_better is not None and k.target_source, k.code


def test_sources_cited():
    cat = load_catalogue()
    titles = " ".join(s["title"] for s in cat.sources)
    assert "Y.4903" in titles
    assert "Collection Methodology" in titles
    assert "Factsheet" in cat.bands_source


def test_core_advanced_split_is_stable():
    cat = load_catalogue()
    counts = Counter(k.core for k in cat.kpis)
    assert counts[True] + counts[False] == 91
    assert counts[True] > counts[False]


#: A page of an ITU publication named in a note: "Verification Manual (2022) p.77",
#: "Collection Methodology p.23", "Verification Manual (2022) pp.33-34".
_CITED_PAGE = re.compile(r"(Verification Manual|Collection Methodology)(?: \(\d{4}\))? pp?\.\s?\d+")


def test_every_confirmed_entry_names_its_source():
    """A confirmed entry says on which page of which ITU publication it was read, and that
    publication is one of the catalogue's sources."""
    cat = load_catalogue()
    titles = " ".join(s["title"] for s in cat.sources)
    confirmed = [k for k in cat.kpis if k.confirmed]
    assert len(confirmed) >= 19
    for k in confirmed:
        cited = _CITED_PAGE.search(k.note or "")
        assert cited, f"{k.code} is confirmed but its note names no page of an ITU publication"
        assert cited[1] in titles, (k.code, cited[0])


def test_a_partly_read_entry_says_what_is_still_open():
    cat = load_catalogue()
    for k in cat.kpis:
        if not k.confirmed and _CITED_PAGE.search(k.note or ""):
            assert "Not confirmed" in k.note, k.code


#: Fields read on the KPI pages of the ITU publications, as (type, unit, SDG targets):
#: a change to one of these entries has to contradict the page it was read on.
#: CM = Collection Methodology (2017), VM = Verification Manual (2022).
_READ_ON_ITU_PAGES = {
    # CM p.73: Core / Sustainable; VM p.95: ug/m3 per pollutant, SDG indicator 11.6.2
    "EN:EN:AQ:1C": ("sustainable", "ug/m3 (per pollutant)", ("11.6",)),
    # CM p.83: Core / Smart; VM p.107: Percentage, SDG Target 16.B
    "EN:EN:EQ:1C": ("smart", "%", ("16.b",)),
    # VM p.118: Core / Structural, Percentage, SDG Target 4.1
    "SC:EH:ED:2C": ("structural", "%", ("4.1",)),
    # CM p.100: Core / Structural, Percentage, SDG indicator 4.6.1
    "SC:EH:ED:4C": ("structural", "%", ("4.6",)),
    # VM p.72: Core / Sustainable; VM p.73: Percentage, SDG indicator 6.2.1
    "EC:I:WS:5C": ("sustainable", "%", ("6.2",)),
    # VM p.76: Core / Structural, CAIDI in Minutes, SDG Target 7.1
    "EC:I:ES:2C": ("structural", "minutes", ("7.1",)),
}


def test_entries_agree_with_the_itu_pages_they_were_read_on():
    cat = load_catalogue()
    for code, (kind_of_kpi, unit, sdgs) in _READ_ON_ITU_PAGES.items():
        k = cat.get(code)
        assert k is not None and k.confirmed, code
        assert (k.type, k.unit, tuple(k.sdg_targets)) == (kind_of_kpi, unit, sdgs), code
    assert cat.get("SC:EH:ED:2C").name == "School Enrolment"  # the ITU spelling, VM p.118


def _counts_stated(text: str, pattern: str) -> tuple[int, int]:
    m = re.search(pattern, " ".join(text.split()))
    assert m, pattern
    return int(m[1]), int(m[2])


def test_the_confirmation_counts_are_stated_alike_everywhere():
    """The file's notes, the data README and docs/kpi.md give the same counts as the entries."""
    cat = load_catalogue()
    confirmed = sum(k.confirmed for k in cat.kpis)
    partly = sum(1 for k in cat.kpis if not k.confirmed and _CITED_PAGE.search(k.note or ""))
    root = Path(__file__).parents[2]
    data = root / "src" / "ssckit" / "kpi" / "data"
    notes = yaml.safe_load((data / "u4ssc_kpis.yaml").read_text(encoding="utf-8"))["notes"]
    stated = {
        "notes": _counts_stated(
            notes, r"(\d+) of the 91 KPIs are confirmed: true .*? A further (\d+) entries"),
        "README": _counts_stated(
            (data / "README.md").read_text(encoding="utf-8"),
            r"Status: (\d+) of 91 confirmed, (\d+) more partly read"),
        "docs": _counts_stated(
            (root / "docs" / "kpi.md").read_text(encoding="utf-8"),
            r"(\d+) of the 91 entries are confirmed; (\d+) more are partly read"),
    }
    assert stated == dict.fromkeys(stated, (confirmed, partly))
