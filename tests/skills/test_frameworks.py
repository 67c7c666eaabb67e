"""frameworks.yaml: DigComp 2.2 counts, ITU activity lists, and the skill-level rules."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import yaml

from ssckit.core.errors import InputError
from ssckit.skills.frameworks import (
    AREA_IDS,
    NOT_ASSESSED,
    compute_skill_levels,
    default_frameworks,
    load_frameworks,
    parse_frameworks,
)

DIGCOMP_IDS = [
    "1.1", "1.2", "1.3",
    "2.1", "2.2", "2.3", "2.4", "2.5", "2.6",
    "3.1", "3.2", "3.3", "3.4",
    "4.1", "4.2", "4.3", "4.4",
    "5.1", "5.2", "5.3", "5.4",
]


@pytest.fixture(scope="module")
def fw():
    return default_frameworks()


@pytest.fixture()
def raw() -> dict:
    text = resources.files("ssckit.skills").joinpath("data", "frameworks.yaml").read_text("utf-8")
    return yaml.safe_load(text)


# --- DigComp 2.2 ---------------------------------------------------------------------------


def test_five_areas(fw):
    assert [a.id for a in fw.areas] == [1, 2, 3, 4, 5]
    assert [a.key for a in fw.areas] == [
        "information_data_literacy", "communication_collaboration", "digital_content_creation",
        "safety", "problem_solving"]


def test_twenty_one_competences(fw):
    assert len(fw.competences) == 21
    assert list(fw.competence_ids) == DIGCOMP_IDS
    per_area = {a: sum(c.area == a for c in fw.competences) for a in AREA_IDS}
    assert per_area == {1: 3, 2: 6, 3: 4, 4: 4, 5: 4}
    assert fw.competence("3.4").en == "Programming"
    assert fw.competence("2.5").en == "Netiquette"
    for c in fw.competences:
        assert c.en.strip() and c.ru.strip()


def test_eight_levels_in_four_groups(fw):
    assert fw.levels == (1, 2, 3, 4, 5, 6, 7, 8)
    assert [(g.id, g.levels) for g in fw.proficiency_groups] == [
        ("foundation", (1, 2)), ("intermediate", (3, 4)),
        ("advanced", (5, 6)), ("highly_specialised", (7, 8))]
    assert fw.proficiency_group(1).id == "foundation"
    assert fw.proficiency_group(8).id == "highly_specialised"


# --- ITU activities --------------------------------------------------------------------------


def test_pre_2020_list_has_nine_activities_with_itu_classes(fw):
    ids = fw.activity_lists["hh15_until_2019"]
    assert len(ids) == 9
    classes = {a: fw.activities[a].skill_class for a in ids}
    assert sorted(a for a, c in classes.items() if c == "basic") == sorted(
        ["copy_move_file", "copy_paste", "send_attachment", "transfer_files"])
    assert sorted(a for a, c in classes.items() if c == "standard") == sorted(
        ["spreadsheet_formula", "connect_device", "install_software", "presentation"])
    assert [a for a, c in classes.items() if c == "advanced"] == ["programming"]


def test_2020_list_has_eleven_activities(fw):
    old = fw.activity_lists["hh15_until_2019"]
    new = fw.activity_lists["hh15_from_2020"]
    assert len(new) == 11
    assert set(old) < set(new)
    assert set(new) - set(old) == {"privacy_settings", "verify_information"}
    codes = {fw.activities[a].sdg_code for a in new}
    assert len(codes) == 11 and all(c.startswith("SKILL_ICT") for c in codes)


def test_skill_areas_group_activities_into_five_areas(fw):
    assert sorted(fw.skill_areas) == list(AREA_IDS)
    for area, ids in fw.skill_areas.items():
        assert ids
        assert all(fw.activities[a].area == area for a in ids)
    assert len(fw.skill_area_activity_ids) == 22
    assert fw.activities["copy_move_file"].area is None


def test_every_source_named_is_described(raw):
    names = set(raw["sources"])
    assert raw["digcomp"]["source"] in names
    assert raw["itu"]["skill_areas"]["source"] in names
    for lst in raw["itu"]["lists"].values():
        assert lst["source"] in names
    for rule in raw["level_rules"].values():
        if isinstance(rule, dict) and "overall" in rule:
            assert set(rule["source"]) <= names
            assert rule["status"] in {"confirmed", "secondary", "unconfirmed"}


# --- skill levels ----------------------------------------------------------------------------

# One activity of each area, and a second one, taken from the ITU area grouping.
ONE = {1: "verify_information", 2: "send_attachment", 3: "copy_paste", 4: "privacy_settings",
       5: "install_software"}
TWO = {1: "read_news", 2: "social_networks", 3: "spreadsheet_formula", 4: "security_measures",
       5: "transfer_files"}
THREE = {3: "presentation", 5: "connect_device"}


def row(fw, *activity_ids: str) -> np.ndarray:
    cols = fw.skill_area_activity_ids
    r = np.zeros(len(cols), dtype=bool)
    for a in activity_ids:
        r[cols.index(a)] = True
    return r


def hand_made(fw) -> tuple[np.ndarray, list[list[int]], list[str]]:
    """Respondents, and their levels under the ITU rule written out by hand.

    ITU EGH (Facts and Figures 2024 box; EGH 2024 Table 2): an area is basic with one activity,
    above basic with two or more; overall: above basic in all five -> above basic; at least basic
    in all five -> basic; then 4 of 5, 3 of 5, 2 of 5, 0-1 of 5.
    """
    people = [
        (row(fw), [0, 0, 0, 0, 0], "zero_one_of_five"),
        (row(fw, ONE[1]), [1, 0, 0, 0, 0], "zero_one_of_five"),
        (row(fw, ONE[1], ONE[2]), [1, 1, 0, 0, 0], "two_of_five"),
        (row(fw, ONE[1], TWO[1], ONE[3]), [2, 0, 1, 0, 0], "two_of_five"),
        (row(fw, ONE[1], ONE[2], ONE[5]), [1, 1, 0, 0, 1], "three_of_five"),
        (row(fw, *[ONE[a] for a in (1, 2, 3, 4)]), [1, 1, 1, 1, 0], "four_of_five"),
        (row(fw, *ONE.values()), [1, 1, 1, 1, 1], "basic"),
        (row(fw, *ONE.values(), *TWO.values()), [2, 2, 2, 2, 2], "above_basic"),
        (row(fw, *ONE.values(), *[TWO[a] for a in (1, 2, 3, 5)]), [2, 2, 2, 1, 2], "basic"),
        (row(fw, *[a for a in fw.skill_area_activity_ids if fw.activities[a].area != 4]),
         [2, 2, 2, 0, 2], "four_of_five"),
    ]
    return (np.vstack([p[0] for p in people]), [p[1] for p in people], [p[2] for p in people])


def test_itu_levels_on_hand_made_respondents(fw):
    answers, areas, overall = hand_made(fw)
    got = compute_skill_levels(answers)
    assert got.rules.id == "itu_egh_2023"
    assert got.area_levels.tolist() == areas
    assert got.overall_ids == overall
    assert got.area_levels.shape == (len(areas), 5)
    assert got.area_ids()[6] == {1: "basic", 2: "basic", 3: "basic", 4: "basic", 5: "basic"}


def test_dsi_levels_on_hand_made_respondents(fw):
    """Eurostat DSI 2.0 as recorded: areas 1-2 above basic from 2 activities, areas 3-5 from 3."""
    people = [
        (row(fw, *ONE.values()), [1, 1, 1, 1, 1], "basic"),
        (row(fw, *ONE.values(), *TWO.values()), [2, 2, 1, 1, 1], "basic"),
        (row(fw, *ONE.values(), *TWO.values(), *THREE.values()), [2, 2, 2, 1, 2], "basic"),
        (row(fw, *fw.skill_area_activity_ids), [2, 2, 2, 1, 2], "basic"),
        (row(fw, ONE[1], ONE[2], ONE[3], ONE[4]), [1, 1, 1, 1, 0], "low"),
        (row(fw, ONE[1], TWO[1], ONE[3], TWO[3], THREE[3]), [2, 0, 2, 0, 0], "limited"),
        (row(fw, ONE[1], ONE[2], ONE[3]), [1, 1, 1, 0, 0], "narrow"),
        (row(fw, ONE[5], TWO[5]), [0, 0, 0, 0, 1], "none"),
        (row(fw), [0, 0, 0, 0, 0], "none"),
    ]
    got = compute_skill_levels(np.vstack([p[0] for p in people]), rules="eurostat_dsi_2_0")
    assert got.area_levels.tolist() == [p[1] for p in people]
    assert got.overall_ids == [p[2] for p in people]


def test_levels_accept_0_1_integers_and_a_single_respondent(fw):
    answers, areas, overall = hand_made(fw)
    got = compute_skill_levels(answers.astype(int))
    assert got.overall_ids == overall
    single = compute_skill_levels(answers[6])
    assert single.area_levels.tolist() == [areas[6]]


def test_levels_vectorised_match_a_row_by_row_reading_of_the_rule(fw):
    rng = np.random.default_rng(3)
    answers = rng.random((500, 22)) < rng.random((500, 1))
    got = compute_skill_levels(answers)
    cols = fw.skill_area_activity_ids
    for i in range(answers.shape[0]):
        counts = [sum(answers[i, j] for j, a in enumerate(cols) if fw.activities[a].area == area)
                  for area in AREA_IDS]
        levels = [0 if c == 0 else 1 if c == 1 else 2 for c in counts]
        n = sum(lv >= 1 for lv in levels)
        expected = ("above_basic" if all(lv == 2 for lv in levels) else
                    {5: "basic", 4: "four_of_five", 3: "three_of_five", 2: "two_of_five"}.get(
                        n, "zero_one_of_five"))
        assert got.area_levels[i].tolist() == levels
        assert got.overall_ids[i] == expected


def test_levels_from_the_2020_activity_columns(fw):
    cols = fw.activity_lists["hh15_from_2020"]
    answers = np.zeros((2, len(cols)), dtype=bool)
    answers[0, :] = True  # every activity: copy_move_file has no area and is not counted
    answers[1, cols.index("copy_move_file")] = True
    got = compute_skill_levels(answers, cols)
    assert got.counts[0].tolist() == [1, 1, 4, 1, 3]
    assert got.area_levels.tolist() == [[1, 1, 2, 1, 2], [0, 0, 0, 0, 0]]
    assert got.overall_ids == ["basic", "zero_one_of_five"]


def test_not_assessed_respondents(fw):
    answers, _, _ = hand_made(fw)
    mask = np.ones(len(answers), dtype=bool)
    mask[7] = False
    got = compute_skill_levels(answers, assessed=mask)
    assert got.overall[7] == NOT_ASSESSED
    assert (got.area_levels[7] == NOT_ASSESSED).all()
    assert got.overall_ids[7] == "not_assessed"
    assert got.overall_ids[6] == "basic"


@pytest.mark.parametrize(
    ("answers", "kwargs", "where"),
    [
        (np.full((1, 22), 2), {}, "row 0, column 0"),
        (np.zeros((1, 21), dtype=bool), {}, "shape"),
        (np.zeros((1, 2), dtype=bool), {"activity_ids": ["verify_information", "tv_repair"]},
         "column 1 ('tv_repair')"),
        (np.zeros((1, 2), dtype=bool), {"activity_ids": ["read_news", "goods_info"]}, "columns"),
        (np.zeros((1, 22), dtype=bool), {"rules": "nope"}, "option 'rules'"),
        (np.zeros((2, 22), dtype=bool), {"assessed": [True]}, "option 'assessed'"),
    ],
)
def test_bad_answers_are_refused(answers, kwargs, where):
    with pytest.raises(InputError) as e:
        compute_skill_levels(answers, **kwargs)
    assert e.value.location == where


# --- malformed framework files ---------------------------------------------------------------


def test_load_from_a_path(raw, tmp_path: Path):
    p = tmp_path / "fw.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    fw = load_frameworks(p)
    assert len(fw.competences) == 21
    assert fw.source == str(p)


def test_competence_in_the_wrong_area_is_refused(raw):
    raw["digcomp"]["competences"][3]["area"] = 3  # 2.1 claimed by area 3
    with pytest.raises(InputError, match=r"2\.1"):
        parse_frameworks(raw, "fw.yaml")


def test_unknown_activity_in_a_skill_area_is_refused(raw):
    raw["itu"]["skill_areas"]["areas"][4].append("juggling")
    with pytest.raises(InputError, match="juggling"):
        parse_frameworks(raw, "fw.yaml")


def test_activity_area_disagreeing_with_grouping_is_refused(raw):
    for a in raw["itu"]["activities"]:
        if a["id"] == "privacy_settings":
            a["area"] = 2
    with pytest.raises(InputError, match="privacy_settings"):
        parse_frameworks(raw, "fw.yaml")


def test_bad_thresholds_are_refused(raw):
    raw["level_rules"]["itu_egh_2023"]["area_thresholds"]["default"]["above_basic_min"] = 1
    with pytest.raises(InputError) as e:
        parse_frameworks(raw, "fw.yaml")
    assert "itu_egh_2023" in e.value.location


def test_unreadable_file_is_refused(tmp_path: Path):
    p = tmp_path / "broken.yaml"
    p.write_text("digcomp: [unclosed", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_frameworks(p)
    assert e.value.source == str(p)
