"""The digital-skills item bank (data/bank.yaml): bilingual items mapped to DigComp 2.2.

``load_bank()`` reads and checks the packaged bank (or another file); ``parse_bank()`` checks an
already parsed document. Every problem raises ``InputError`` naming the item id and the field.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ssckit.core.errors import InputError
from ssckit.skills.frameworks import Frameworks, default_frameworks

LANGUAGES = ("en", "ru")
ITEM_TYPES = ("multiple_choice", "true_false", "self_rating")
DICHOTOMOUS = ("multiple_choice", "true_false")
IRT_MODELS = ("2pl",)
SCALE_FIRST = "I don't know how"
SCALE_LAST = "I can guide others"
_ID_RE = re.compile(r"^[a-z][a-z0-9]*-\d{2,}$")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_DEFAULT_NAME = "bank.yaml"


@dataclass(frozen=True)
class Text:
    """A text in every bank language."""

    en: str
    ru: str

    def get(self, lang: str) -> str:
        if lang not in LANGUAGES:
            raise KeyError(lang)
        return getattr(self, lang)


@dataclass(frozen=True)
class Option:
    id: str
    text: Text


@dataclass(frozen=True)
class ScalePoint:
    value: int
    text: Text


@dataclass(frozen=True)
class Irt:
    """IRT parameters in slope-intercept form: logit P(correct) = a * theta + d."""

    model: str
    a: float
    d: float
    provisional: bool

    @property
    def b(self) -> float:
        """Difficulty, -d / a."""
        return -self.d / self.a


@dataclass(frozen=True)
class Item:
    id: str
    area: int
    competence: str
    level: int
    type: str
    stem: Text
    options: tuple[Option, ...]
    key: str | bool | None
    irt: Irt | None

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)


@dataclass(frozen=True)
class ItemBank:
    source: str
    items: tuple[Item, ...]
    scale: tuple[ScalePoint, ...]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def get(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)

    def by_area(self, area: int) -> tuple[Item, ...]:
        return tuple(it for it in self.items if it.area == area)

    def by_type(self, item_type: str) -> tuple[Item, ...]:
        return tuple(it for it in self.items if it.type == item_type)

    def counts(self, field: str) -> dict[Any, int]:
        """How many items per value of ``field`` (``'area'``, ``'type'``, ``'level'`` ...)."""
        return dict(Counter(getattr(it, field) for it in self.items))


def provisional_2pl(level: int, a: float = 1.0) -> tuple[float, float]:
    """Prior 2PL (a, d) from a target DigComp level 1-8: b = (level - 4.5) * 4 / 7, d = -a * b."""
    if not 1 <= level <= 8:
        raise ValueError(f"level {level} is outside 1..8")
    b = (level - 4.5) * 4.0 / 7.0
    return a, round(-a * b, 2)


# --------------------------------------------------------------------------------------------
# parsing
# --------------------------------------------------------------------------------------------


def _text(v: Any, src: str, where: str, *, check_script: bool) -> Text:
    if not isinstance(v, Mapping):
        raise InputError(src, where, "needs a text in each language: " + ", ".join(LANGUAGES))
    for lang in LANGUAGES:
        s = v.get(lang)
        if not isinstance(s, str) or not s.strip():
            raise InputError(src, f"{where}.{lang}", f"the {lang} text is missing or empty")
    extra = sorted(set(v) - set(LANGUAGES))
    if extra:
        raise InputError(src, where, f"unknown language(s) {extra}; allowed: {list(LANGUAGES)}")
    if check_script:
        if not _CYRILLIC.search(v["ru"]):
            raise InputError(src, f"{where}.ru", "the Russian text has no Cyrillic letters")
        if _CYRILLIC.search(v["en"]):
            raise InputError(src, f"{where}.en", "the English text contains Cyrillic letters")
    return Text(en=v["en"], ru=v["ru"])


def _parse_scale(v: Any, src: str) -> tuple[ScalePoint, ...]:
    if not isinstance(v, list) or len(v) != 5:
        raise InputError(src, "self_rating_scale", "exactly five scale points are required")
    points = []
    for i, p in enumerate(v):
        where = f"self_rating_scale[{i}]"
        if not isinstance(p, Mapping) or p.get("value") != i + 1:
            raise InputError(src, f"{where}, field 'value'", f"must be {i + 1}")
        texts = {k: t for k, t in p.items() if k != "value"}
        points.append(ScalePoint(i + 1, _text(texts, src, where, check_script=True)))
    if points[0].text.en != SCALE_FIRST or points[-1].text.en != SCALE_LAST:
        raise InputError(src, "self_rating_scale",
                         f"the scale must run from {SCALE_FIRST!r} to {SCALE_LAST!r}")
    return tuple(points)


def _parse_irt(v: Any, item_type: str, src: str, where: str) -> Irt | None:
    if v is None:
        return None
    if not isinstance(v, Mapping):
        raise InputError(src, where, "must be null (not calibrated) or a mapping")
    model = v.get("model")
    if model not in IRT_MODELS:
        raise InputError(src, f"{where}.model", f"{model!r} is not one of {IRT_MODELS}")
    if item_type not in DICHOTOMOUS:
        raise InputError(src, f"{where}.model",
                         f"a {model} model fits only {DICHOTOMOUS} items, not {item_type}")
    a, d = v.get("a"), v.get("d")
    for name, val in (("a", a), ("d", d)):
        if isinstance(val, bool) or not isinstance(val, int | float):
            raise InputError(src, f"{where}.{name}", f"a number is required, got {val!r}")
    if not 0 < a <= 4:
        raise InputError(src, f"{where}.a", f"slope {a} is outside (0, 4]")
    if not -6 <= d <= 6:
        raise InputError(src, f"{where}.d", f"intercept {d} is outside [-6, 6]")
    prov = v.get("provisional")
    if prov is not True:
        raise InputError(src, f"{where}.provisional", "no item is calibrated yet: IRT values "
                         "must be marked 'provisional: true' (or set irt: null)")
    return Irt(str(model), float(a), float(d), True)


def _parse_item(raw: Any, index: int, fw: Frameworks, src: str) -> Item:
    if not isinstance(raw, Mapping):
        raise InputError(src, f"items[{index}]", "an item must be a mapping")
    iid = raw.get("id")
    if not isinstance(iid, str) or not _ID_RE.match(iid):
        raise InputError(src, f"items[{index}], field 'id'",
                         f"{iid!r} is not an item id like 'idl-01'")
    where = f"item {iid}"

    area = raw.get("area")
    area_ids = [a.id for a in fw.areas]
    if isinstance(area, bool) or area not in area_ids:
        raise InputError(src, f"{where}, field 'area'", f"{area!r} is not one of {area_ids}")
    comp = raw.get("competence")
    if comp not in fw.competence_ids:
        raise InputError(src, f"{where}, field 'competence'",
                         f"{comp!r} is not a DigComp competence id "
                         f"({', '.join(fw.competence_ids)})")
    if fw.competence(comp).area != area:
        raise InputError(src, f"{where}, field 'competence'",
                         f"competence {comp} belongs to area {fw.competence(comp).area}, "
                         f"not {area}")
    level = raw.get("level")
    if isinstance(level, bool) or level not in fw.levels:
        raise InputError(src, f"{where}, field 'level'", f"{level!r} is not a level 1..8")
    itype = raw.get("type")
    if itype not in ITEM_TYPES:
        raise InputError(src, f"{where}, field 'type'", f"{itype!r} is not one of {ITEM_TYPES}")
    stem = _text(raw.get("stem"), src, f"{where}, field 'stem'", check_script=True)

    options: tuple[Option, ...] = ()
    key = raw.get("key")
    if itype == "multiple_choice":
        opts = raw.get("options")
        if not isinstance(opts, list) or len(opts) < 2:
            raise InputError(src, f"{where}, field 'options'", "at least two options are required")
        parsed = []
        for j, o in enumerate(opts):
            ow = f"{where}, field 'options[{j}]'"
            if not isinstance(o, Mapping) or not isinstance(o.get("id"), str) or not o["id"]:
                raise InputError(src, ow, "an option needs an 'id' and its texts")
            parsed.append(Option(o["id"], _text({k: v for k, v in o.items() if k != "id"}, src, ow,
                                                check_script=False)))
        ids = [o.id for o in parsed]
        if len(set(ids)) != len(ids):
            raise InputError(src, f"{where}, field 'options'", f"option ids repeat: {ids}")
        for lang in LANGUAGES:
            texts = [o.text.get(lang) for o in parsed]
            if len(set(texts)) != len(texts):
                raise InputError(src, f"{where}, field 'options'",
                                 f"two {lang} options are the same")
        if not isinstance(key, str) or key not in ids:
            raise InputError(src, f"{where}, field 'key'",
                             f"{key!r} is not one of the options {ids}")
        options = tuple(parsed)
    elif itype == "true_false":
        if "options" in raw:
            raise InputError(src, f"{where}, field 'options'", "true_false items take no options")
        if not isinstance(key, bool):
            raise InputError(src, f"{where}, field 'key'", f"must be true or false, got {key!r}")
    else:
        if "options" in raw or key is not None:
            raise InputError(src, f"{where}, field 'key'", "self_rating items use the shared "
                             "self_rating_scale and take no options and no key")

    irt = _parse_irt(raw.get("irt"), itype, src, f"{where}, field 'irt'")
    known = {"id", "area", "competence", "level", "type", "stem", "options", "key", "irt"}
    extra = sorted(set(raw) - known)
    if extra:
        raise InputError(src, f"{where}", f"unknown field(s) {extra}")
    return Item(iid, area, comp, level, itype, stem, options, key, irt)


def parse_bank(
    data: Any, source: str = _DEFAULT_NAME, frameworks: Frameworks | None = None
) -> ItemBank:
    """Check a parsed bank document against ``frameworks`` and build the ``ItemBank``."""
    src = str(source)
    fw = frameworks or default_frameworks()
    if not isinstance(data, Mapping):
        raise InputError(src, "document",
                         "a mapping with 'self_rating_scale' and 'items' is required")
    scale = _parse_scale(data.get("self_rating_scale"), src)
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise InputError(src, "items", "a non-empty list of items is required")
    items: list[Item] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_items):
        item = _parse_item(raw, i, fw, src)
        if item.id in seen:
            raise InputError(src, f"item {item.id}, field 'id'", f"id {item.id} is used twice")
        seen.add(item.id)
        items.append(item)
    return ItemBank(src, tuple(items), scale)


def load_bank(path: str | Path | None = None, frameworks: Frameworks | None = None) -> ItemBank:
    """Read and check an item bank file (the packaged bank.yaml when ``path`` is None)."""
    if path is None and frameworks is None:
        return default_bank()
    if path is None:
        res = resources.files("ssckit.skills").joinpath("data", _DEFAULT_NAME)
        return _parse_text(res.read_text(encoding="utf-8"), _packaged_name(), frameworks)
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(str(p), None, f"cannot be read: {e.strerror or e}") from e
    return _parse_text(text, str(p), frameworks)


def _packaged_name() -> str:
    return f"ssckit/skills/data/{_DEFAULT_NAME}"


def _parse_text(text: str, source: str, frameworks: Frameworks | None) -> ItemBank:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InputError(source, None, f"is not valid YAML: {e}") from e
    return parse_bank(data, source, frameworks)


@cache
def default_bank() -> ItemBank:
    """The packaged bank.yaml, read and checked once."""
    res = resources.files("ssckit.skills").joinpath("data", _DEFAULT_NAME)
    return _parse_text(res.read_text(encoding="utf-8"), _packaged_name(), None)
