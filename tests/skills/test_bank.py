"""bank.yaml: size and coverage, bilingual and valid items, provisional IRT priors, refusals."""

from __future__ import annotations

import copy
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from ssckit.core.errors import InputError
from ssckit.skills.bank import (
    ITEM_TYPES,
    LANGUAGES,
    SCALE_FIRST,
    SCALE_LAST,
    default_bank,
    load_bank,
    parse_bank,
    provisional_2pl,
)
from ssckit.skills.frameworks import default_frameworks

CYRILLIC = re.compile(r"[\u0400-\u04FF]")


@pytest.fixture(scope="module")
def bank():
    return default_bank()


@pytest.fixture()
def raw() -> dict:
    text = resources.files("ssckit.skills").joinpath("data", "bank.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _item(raw: dict, item_id: str) -> dict:
    return next(it for it in raw["items"] if it["id"] == item_id)


# --- size and coverage -----------------------------------------------------------------------


def test_at_least_sixty_items(bank):
    assert len(bank) >= 60


def test_at_least_ten_items_in_every_area(bank):
    counts = bank.counts("area")
    assert sorted(counts) == [1, 2, 3, 4, 5]
    assert min(counts.values()) >= 10


def test_at_least_fifteen_self_rating_items(bank):
    assert len(bank.by_type("self_rating")) >= 15
    assert set(bank.counts("type")) == set(ITEM_TYPES)


def test_levels_span_all_four_proficiency_groups(bank):
    fw = default_frameworks()
    groups = {fw.proficiency_group(it.level).id for it in bank}
    assert groups == {"foundation", "intermediate", "advanced", "highly_specialised"}
    assert len(bank.counts("level")) >= 6


def test_every_area_uses_several_competences(bank):
    for area in range(1, 6):
        assert len({it.competence for it in bank.by_area(area)}) >= 3


# --- every item valid and bilingual ----------------------------------------------------------


def test_ids_are_unique(bank):
    ids = [it.id for it in bank]
    assert len(ids) == len(set(ids))


def test_every_item_is_bilingual(bank):
    for it in bank:
        for lang in LANGUAGES:
            assert it.stem.get(lang).strip(), it.id
        assert CYRILLIC.search(it.stem.ru), it.id
        assert not CYRILLIC.search(it.stem.en), it.id
        for o in it.options:
            assert o.text.en.strip() and o.text.ru.strip(), (it.id, o.id)


def test_every_item_maps_to_a_digcomp_competence_of_its_area(bank):
    fw = default_frameworks()
    for it in bank:
        assert it.competence in fw.competence_ids, it.id
        assert fw.competence(it.competence).area == it.area, it.id
        assert 1 <= it.level <= 8, it.id


def test_keys_fit_the_item_type(bank):
    for it in bank:
        if it.type == "multiple_choice":
            assert len(it.options) >= 3, it.id
            assert it.key in it.option_ids, it.id
        elif it.type == "true_false":
            assert isinstance(it.key, bool) and not it.options, it.id
        else:
            assert it.key is None and not it.options, it.id


def test_answer_keys_are_not_all_in_one_position(bank):
    keys = [it.key for it in bank.by_type("multiple_choice")]
    assert len(set(keys)) == 4
    tf = [it.key for it in bank.by_type("true_false")]
    assert True in tf and False in tf


def test_self_rating_scale(bank):
    assert [p.value for p in bank.scale] == [1, 2, 3, 4, 5]
    assert bank.scale[0].text.en == SCALE_FIRST
    assert bank.scale[-1].text.en == SCALE_LAST
    assert all(CYRILLIC.search(p.text.ru) for p in bank.scale)


def test_no_item_needs_audio(bank):
    audio = re.compile(r"\b(listen|audio|podcast|ringtone you hear|sound of)\b", re.IGNORECASE)
    for it in bank:
        texts = [it.stem.en] + [o.text.en for o in it.options if o.id == it.key]
        assert not any(audio.search(t) for t in texts), it.id


def test_irt_is_null_or_a_marked_provisional_prior(bank):
    n_prior = 0
    for it in bank:
        if it.type == "self_rating":
            assert it.irt is None, it.id
            continue
        if it.irt is None:
            continue
        n_prior += 1
        assert it.irt.model == "2pl" and it.irt.provisional, it.id
        assert (it.irt.a, it.irt.d) == provisional_2pl(it.level), it.id
    assert n_prior > 0


def test_provisional_prior_orders_difficulty_by_level():
    ds = [provisional_2pl(level)[1] for level in range(1, 9)]
    assert ds == sorted(ds, reverse=True)
    assert ds[0] == 2.0 and ds[-1] == -2.0
    with pytest.raises(ValueError):
        provisional_2pl(9)


def test_lookup_helpers(bank):
    it = bank.get("cc-02")
    assert it.area == 2 and it.competence == "2.1"
    with pytest.raises(KeyError):
        bank.get("zz-99")


# --- malformed banks are refused with the item id named --------------------------------------


def _refused(raw: dict, item_id: str, field: str | None = None) -> InputError:
    with pytest.raises(InputError) as e:
        parse_bank(raw, "bank.yaml")
    assert item_id in (e.value.location or ""), e.value
    if field:
        assert field in e.value.location, e.value
    return e.value


def test_missing_russian_stem(raw):
    del _item(raw, "idl-05")["stem"]["ru"]
    _refused(raw, "idl-05", "stem")


def test_russian_stem_not_in_russian(raw):
    _item(raw, "saf-03")["stem"]["ru"] = "What does two-step verification add?"
    _refused(raw, "saf-03", "stem")


def test_missing_option_translation(raw):
    del _item(raw, "dcc-03")["options"][2]["ru"]
    _refused(raw, "dcc-03", "options")


def test_key_not_among_the_options(raw):
    _item(raw, "ps-01")["key"] = "e"
    _refused(raw, "ps-01", "key")


def test_true_false_key_must_be_boolean(raw):
    _item(raw, "idl-04")["key"] = "false"
    _refused(raw, "idl-04", "key")


def test_self_rating_takes_no_key(raw):
    _item(raw, "cc-11")["key"] = "a"
    _refused(raw, "cc-11", "key")


def test_unknown_competence(raw):
    _item(raw, "cc-05")["competence"] = "2.9"
    _refused(raw, "cc-05", "competence")


def test_competence_of_another_area(raw):
    _item(raw, "saf-07")["competence"] = "5.1"
    _refused(raw, "saf-07", "competence")


def test_bad_area_and_level(raw):
    bad = copy.deepcopy(raw)
    _item(bad, "ps-04")["area"] = 6
    _refused(bad, "ps-04", "area")
    _item(raw, "ps-04")["level"] = 9
    _refused(raw, "ps-04", "level")


def test_duplicate_id(raw):
    raw["items"][5]["id"] = raw["items"][0]["id"]
    _refused(raw, raw["items"][0]["id"], "id")


def test_irt_must_be_marked_provisional(raw):
    _item(raw, "dcc-08")["irt"]["provisional"] = False
    _refused(raw, "dcc-08", "irt")


def test_no_2pl_prior_on_self_rating(raw):
    _item(raw, "ps-13")["irt"] = {"model": "2pl", "a": 1.0, "d": 0.0, "provisional": True}
    _refused(raw, "ps-13", "irt")


def test_unknown_item_type(raw):
    _item(raw, "idl-02")["type"] = "essay"
    _refused(raw, "idl-02", "type")


def test_bad_id_is_refused_by_position(raw):
    raw["items"][3]["id"] = "Item 4"
    with pytest.raises(InputError) as e:
        parse_bank(raw, "bank.yaml")
    assert e.value.location == "items[3], field 'id'"


def test_scale_must_run_to_guiding_others(raw):
    raw["self_rating_scale"][4]["en"] = "I am an expert"
    with pytest.raises(InputError) as e:
        parse_bank(raw, "bank.yaml")
    assert e.value.location == "self_rating_scale"


def test_load_from_a_file_names_the_file(raw, tmp_path: Path):
    good = tmp_path / "bank.yaml"
    good.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert len(load_bank(good)) == len(raw["items"])
    del _item(raw, "ps-09")["stem"]["en"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_bank(bad)
    assert e.value.source == str(bad)
    assert "ps-09" in e.value.location
    assert "ps-09" in str(e.value)


def test_invalid_yaml_file(tmp_path: Path):
    p = tmp_path / "broken.yaml"
    p.write_text("items: [ {id: x", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_bank(p)
    assert e.value.source == str(p)
