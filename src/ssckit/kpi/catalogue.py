"""The U4SSC KPI catalogue (ITU-T Y.4903): 91 KPIs read from the package's data file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

CODE_RE = re.compile(r"^(?P<dim>[A-Z]+):(?P<sub>[A-Z]+):(?P<cat>[A-Z]+):(?P<num>\d+)(?P<ca>[CA])$")

#: Kinds of value and the range each allows (inclusive); ``None`` means unbounded.
KIND_RANGES: dict[str, tuple[float | None, float | None]] = {
    "percentage": (0.0, 100.0),
    "yes_no": (0.0, 1.0),
    "rate": (0.0, None),
    "count": (0.0, None),
    "ratio": (0.0, None),
    "amount": (0.0, None),
    "index": (0.0, None),
}


@dataclass(frozen=True)
class KpiCode:
    """A U4SSC KPI code split into its parts: ``EC:ICT:ICT:1C``."""

    dimension: str
    subdimension: str
    category: str
    number: int
    core: bool

    @classmethod
    def parse(cls, code: str) -> KpiCode:
        m = CODE_RE.match(code)
        if not m:
            raise ValueError(f"{code!r} is not a U4SSC KPI code (DIM:SUB:CAT:<n>C|A)")
        return cls(m["dim"], m["sub"], m["cat"], int(m["num"]), m["ca"] == "C")


@dataclass(frozen=True)
class Kpi:
    """One U4SSC KPI as the catalogue describes it."""

    code: str
    name: str
    dimension: str
    subdimension: str
    category: str
    core: bool
    type: str | None
    unit: str
    kind: str
    higher_is_better: bool | None
    formula: str
    sdg_targets: tuple[str, ...]
    target: float | None
    target_source: str | None
    confirmed: bool
    note: str | None = None
    #: (min, max) a value may take, inclusive (None: unbounded): the kind's range
    #: (:data:`KIND_RANGES`) unless the catalogue entry gives its own ``range``.
    value_range: tuple[float | None, float | None] = (None, None)

    @property
    def subdimension_key(self) -> str:
        return f"{self.dimension}:{self.subdimension}"

    @property
    def category_key(self) -> str:
        return f"{self.dimension}:{self.subdimension}:{self.category}"

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["sdg_targets"] = list(self.sdg_targets)
        return d


@dataclass(frozen=True)
class Band:
    """A benchmark band: achievement ratio >= ``min_ratio`` earns ``points``."""

    min_ratio: float
    points: int
    label: str


@dataclass(frozen=True)
class Catalogue:
    """All KPIs with the names of their dimensions, sub-dimensions and categories."""

    kpis: tuple[Kpi, ...]
    dimensions: dict[str, str]
    subdimensions: dict[str, str]
    categories: dict[str, str]
    bands: tuple[Band, ...]
    bands_source: str
    sources: tuple[dict[str, Any], ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {k.code: k for k in self.kpis})

    def get(self, code: str) -> Kpi | None:
        return self._by_code.get(code)  # type: ignore[attr-defined]

    def __contains__(self, code: object) -> bool:
        return code in self._by_code  # type: ignore[attr-defined]

    def __len__(self) -> int:
        return len(self.kpis)


def _value_range(raw: dict[str, Any]) -> tuple[float | None, float | None]:
    """An entry's own ``range: [min, max]`` (null: unbounded), else its kind's range."""
    if "range" not in raw:
        return KIND_RANGES.get(raw["kind"], (None, None))
    lo, hi = raw["range"]
    return (None if lo is None else float(lo), None if hi is None else float(hi))


def _parse(data: dict[str, Any]) -> Catalogue:
    kpis = []
    for raw in data["kpis"]:
        kpis.append(
            Kpi(
                code=raw["code"], name=raw["name"], dimension=raw["dimension"],
                subdimension=raw["subdimension"], category=raw["category"],
                core=bool(raw["core"]), type=raw.get("type"), unit=str(raw["unit"]),
                kind=raw["kind"], higher_is_better=raw.get("higher_is_better"),
                formula=raw.get("formula", ""), sdg_targets=tuple(raw.get("sdg_targets") or ()),
                target=None if raw.get("target") is None else float(raw["target"]),
                target_source=raw.get("target_source"), confirmed=bool(raw.get("confirmed", True)),
                note=raw.get("note"), value_range=_value_range(raw),
            )
        )
    bands_raw = data["benchmark_bands"]
    bands = tuple(
        sorted(
            (Band(float(b["min_ratio"]), int(b["points"]), str(b.get("label", ""))) for b in
             bands_raw["bands"]),
            key=lambda b: b.min_ratio,
        )
    )

    def _names(d: dict[str, Any]) -> dict[str, str]:
        return {k: (v["name"] if isinstance(v, dict) else str(v)) for k, v in d.items()}

    return Catalogue(
        kpis=tuple(kpis),
        dimensions=_names(data["dimensions"]),
        subdimensions=_names(data["subdimensions"]),
        categories=_names(data["categories"]),
        bands=bands,
        bands_source=str(bands_raw.get("source", "")),
        sources=tuple(data.get("source") or ()),
    )


#: Languages of the catalogue's names besides English (``data/u4ssc_kpis.i18n.yaml``).
NAME_LANGUAGES = ("ru", "be")


@cache
def catalogue_translations() -> dict[str, dict[str, Any]]:
    """Names in other languages: ``{lang: {"dimensions", "subdimensions", "categories",
    "bands" (points -> label), "units" (English unit -> unit), "kpis" (code -> name)}}``."""
    text = resources.files("ssckit.kpi").joinpath("data/u4ssc_kpis.i18n.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@cache
def load_catalogue(lang: str = "en") -> Catalogue:
    """The U4SSC catalogue shipped with ssckit (``ssckit/kpi/data/u4ssc_kpis.yaml``), with
    the names of KPIs, dimensions, sub-dimensions, categories, bands and units in ``lang``
    (English, Russian or Belarusian; another language gives English)."""
    if lang != "en" and lang in NAME_LANGUAGES:
        return _translated(load_catalogue("en"), catalogue_translations()[lang])
    text = resources.files("ssckit.kpi").joinpath("data/u4ssc_kpis.yaml").read_text("utf-8")
    return _parse(yaml.safe_load(text))


def _translated(cat: Catalogue, names: dict[str, Any]) -> Catalogue:
    from dataclasses import replace

    units = names.get("units", {})
    bands = names.get("bands", {})
    kpi_names = names.get("kpis", {})
    return replace(
        cat,
        kpis=tuple(replace(k, name=kpi_names.get(k.code, k.name), unit=units.get(k.unit, k.unit))
                   for k in cat.kpis),
        dimensions={k: names["dimensions"].get(k, v) for k, v in cat.dimensions.items()},
        subdimensions={k: names["subdimensions"].get(k, v) for k, v in cat.subdimensions.items()},
        categories={k: names["categories"].get(k, v) for k, v in cat.categories.items()},
        bands=tuple(replace(b, label=bands.get(b.points, b.label)) for b in cat.bands),
    )
