"""The city scorecard: every U4SSC KPI's value scored against its target, with group totals."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ssckit.core import i18n
from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.kpi.catalogue import Catalogue, Kpi, load_catalogue
from ssckit.kpi.precedence import DEFAULT_PRECEDENCE, Choice, choose_value
from ssckit.kpi.records import current_manual_values
from ssckit.kpi.scoring import achievement_ratio, band_labels, benchmark_points
from ssckit.kpi.settings import kpi_settings


@dataclass
class KpiScore:
    """One KPI's line of the scorecard."""

    code: str
    name: str
    dimension: str
    subdimension: str
    category: str
    core: bool
    unit: str
    higher_is_better: bool | None
    value: float | None
    period: str | None
    target: float | None
    target_source: str | None
    ratio: float | None
    points: int
    band: str
    source: dict[str, Any]
    quality: str | None
    origin: str | None = None
    reason: str = ""
    other: dict[str, Any] | None = None
    status: str | None = None


@dataclass
class GroupScore:
    """Totals for a dimension, sub-dimension or category.

    ``score`` is points earned / points possible over the scored KPIs, and ``score_points`` is
    that share put through the same bands as a single KPI, as the U4SSC factsheets do (9 of
    16 points = 56.25 % -> the 33-66 % band). KPIs without data or target are left out.
    """

    level: str
    key: str
    name: str
    n_kpis: int
    n_with_data: int
    n_scored: int
    completeness: float
    points: int
    max_points: int
    mean_points: float | None
    mean_achievement: float | None
    score: float | None
    score_points: int


@dataclass(frozen=True)
class Headline:
    """The scorecard's headline figures, defined once and shown the same way by the CLI, the
    HTML report, the factsheet and the dashboard.

    As the U4SSC city factsheets report a city (ITU U4SSC "Collection Methodology for KPIs for
    Smart Sustainable Cities", benchmark points 1-4 per KPI), the headline is the **score**:
    benchmark points earned over the points possible for the KPIs scored against a target
    (``points`` of ``max_points``, as a share ``score`` in 0..1), beside the **completeness**:
    KPIs with a value over all KPIs (``n_with_data`` of ``n_kpis``).
    """

    points: int
    max_points: int
    score: float | None
    n_scored: int
    n_with_data: int
    n_kpis: int
    completeness: float

    @classmethod
    def of(cls, g: GroupScore) -> Headline:
        return cls(points=g.points, max_points=g.max_points, score=g.score,
                   n_scored=g.n_scored, n_with_data=g.n_with_data, n_kpis=g.n_kpis,
                   completeness=g.completeness)

    def score_text(self) -> str:
        """``182 of 304 points (60 %)``, in the reader's language."""
        if not self.max_points:
            return i18n.gettext("no KPI scored yet")
        return i18n.gettext("{points} of {max} points ({pct} %)").format(
            points=self.points, max=self.max_points, pct=round(100 * (self.score or 0.0)))

    def completeness_text(self) -> str:
        """``83 of 91 KPIs with a value (91 %)``."""
        return i18n.gettext("{n} of {total} KPIs with a value ({pct} %)").format(
            n=self.n_with_data, total=self.n_kpis, pct=round(100 * self.completeness))

    @property
    def translated(self) -> bool:
        """False where the reader's language has no translation of the headline yet (pages
        then mark it ``lang="en"``)."""
        msg = "Score {score}; {completeness}"
        return i18n.current_language() == "en" or i18n.gettext(msg) != msg

    def text(self) -> str:
        """Both, in one line: the one headline sentence."""
        return i18n.gettext("Score {score}; {completeness}").format(
            score=self.score_text(), completeness=self.completeness_text())


@dataclass
class Scorecard:
    """All KPI scores of one city for one reporting period, with totals and completeness."""

    city: str
    synthetic: bool
    period: str
    kpis: list[KpiScore]
    groups: list[GroupScore]
    bands: list[dict[str, Any]] = field(default_factory=list)
    bands_source: str = ""
    precedence: str = DEFAULT_PRECEDENCE
    verified_only: bool = False

    @property
    def totals(self) -> GroupScore:
        return next(g for g in self.groups if g.level == "total")

    def nested_groups(self) -> list[tuple[GroupScore, int]]:
        """The total, then each dimension followed by its own sub-dimensions, with their depth
        (0 total and dimensions, 1 sub-dimensions): the order every totals table uses."""
        subs = [g for g in self.groups if g.level == "subdimension"]
        out = [(self.totals, 0)]
        for d in (g for g in self.groups if g.level == "dimension"):
            out += [(d, 0)] + [(s, 1) for s in subs if s.key.startswith(d.key + ":")]
        return out

    def headline(self) -> Headline:
        """The headline figures of the whole scorecard (:class:`Headline`)."""
        return Headline.of(self.totals)

    def to_dict(self) -> dict[str, Any]:
        return {
            "city": self.city,
            "synthetic": self.synthetic,
            "period": self.period,
            "completeness": self.totals.completeness,
            "headline": {**asdict(self.headline()), "text": self.headline().text()},
            "bands": self.bands,
            "bands_source": self.bands_source,
            "precedence": self.precedence,
            "verified_only": self.verified_only,
            "totals": asdict(self.totals),
            "dimensions": [asdict(g) for g in self.groups if g.level == "dimension"],
            "subdimensions": [asdict(g) for g in self.groups if g.level == "subdimension"],
            "categories": [asdict(g) for g in self.groups if g.level == "category"],
            "kpis": [asdict(k) for k in self.kpis],
        }


def latest_city_values(store: Store, period: str) -> dict[str, IndicatorValue]:
    """For each indicator, the computed city-wide value (no breakdown) of the latest period in
    or before the year of ``period`` (``2025-06`` counts for 2025)."""
    return {
        v.indicator: v
        for v in store.query_values(entity="city", breakdown={}, latest_until=period[:4])
    }


def latest_manual_values(store: Store, period: str) -> dict[str, IndicatorValue]:
    """For each KPI, the current manual city value of the latest period in or before the year
    of ``period``."""
    return {m.value.indicator: m.value
            for m in current_manual_values(store, entity="city", latest_until=period[:4])}


def city_choices(store: Store, period: str, precedence: str = DEFAULT_PRECEDENCE
                 ) -> dict[str, Choice]:
    """For each KPI with a computed or a manual city value: the value used and why
    (:func:`ssckit.kpi.precedence.choose_value`)."""
    computed = latest_city_values(store, period)
    manual = latest_manual_values(store, period)
    return {code: choose_value(computed.get(code), manual.get(code), precedence)
            for code in sorted(set(computed) | set(manual))}


def build_scorecard(
    catalogue: Catalogue,
    values: dict[str, IndicatorValue],
    *,
    city: str,
    period: str,
    synthetic: bool = False,
    target_overrides: dict[str, float] | None = None,
    choices: dict[str, Choice] | None = None,
    statuses: dict[str, str] | None = None,
    precedence: str = DEFAULT_PRECEDENCE,
    verified_only: bool = False,
) -> Scorecard:
    """Score every KPI of ``catalogue`` from ``values`` (KPI code -> city value); ``choices``
    say where each value came from and why it was used, ``statuses`` its verification status
    (with ``verified_only``, values not verified are left out)."""
    overrides = target_overrides or {}
    choices = choices or {}
    statuses = statuses or {}
    if verified_only:
        values = {c: v for c, v in values.items() if statuses.get(c) == "verified"}
    kpis: list[Kpi] = list(catalogue.kpis)
    n = len(kpis)
    val = np.full(n, np.nan)
    tgt = np.full(n, np.nan)
    hib = np.ones(n, dtype=bool)
    for i, k in enumerate(kpis):
        v = values.get(k.code)
        if v is not None:
            val[i] = v.value
        t = overrides.get(k.code, k.target)
        if t is not None and k.higher_is_better is not None:
            tgt[i] = t
        hib[i] = k.higher_is_better is not False
    ratio = achievement_ratio(val, tgt, hib)
    points = benchmark_points(ratio, catalogue.bands)
    labels = band_labels(points, catalogue.bands)

    scores = []
    for i, k in enumerate(kpis):
        v = values.get(k.code)
        t = overrides.get(k.code, k.target)
        scores.append(
            KpiScore(
                code=k.code, name=k.name, dimension=k.dimension, subdimension=k.subdimension,
                category=k.category, core=k.core, unit=k.unit, higher_is_better=k.higher_is_better,
                value=None if v is None else float(v.value), period=None if v is None else v.period,
                target=t,
                target_source=("city.yaml" if k.code in overrides else k.target_source)
                if t is not None else None,
                ratio=None if np.isnan(ratio[i]) else float(ratio[i]),
                points=int(points[i]), band=labels[i],
                source={} if v is None else v.source, quality=None if v is None else v.quality,
                origin=None if v is None or k.code not in choices else choices[k.code].origin,
                reason="" if v is None or k.code not in choices else choices[k.code].reason,
                other=None if v is None or k.code not in choices
                else choices[k.code].other_dict(),
                status=statuses.get(k.code) if k.code in choices else None,
            )
        )
    groups = _group_totals(catalogue, scores, ratio)
    return Scorecard(
        city=city, synthetic=synthetic, period=period, kpis=scores, groups=groups,
        bands=[asdict(b) for b in catalogue.bands], bands_source=catalogue.bands_source,
        precedence=precedence, verified_only=verified_only,
    )


def _group_totals(catalogue: Catalogue, scores: list[KpiScore], ratio: np.ndarray
                  ) -> list[GroupScore]:
    has_data = np.array([s.value is not None for s in scores])
    scored = np.array([s.points > 0 for s in scores])
    points = np.array([s.points for s in scores])
    capped = np.minimum(np.nan_to_num(ratio, nan=0.0, posinf=1.0), 1.0)
    max_band = max(b.points for b in catalogue.bands)

    def total(level: str, key: str, name: str, mask: np.ndarray) -> GroupScore:
        n_scored = int((mask & scored).sum())
        score = float(points[mask].sum() / (max_band * n_scored)) if n_scored else None
        return GroupScore(
            level=level, key=key, name=name, n_kpis=int(mask.sum()),
            n_with_data=int((mask & has_data).sum()), n_scored=n_scored,
            completeness=float((mask & has_data).sum() / mask.sum()) if mask.any() else 0.0,
            points=int(points[mask].sum()), max_points=max_band * n_scored,
            mean_points=float(points[mask & scored].mean()) if n_scored else None,
            mean_achievement=float(capped[mask & scored].mean()) if n_scored else None,
            score=score,
            score_points=0 if score is None else int(benchmark_points(score, catalogue.bands)),
        )

    dims = np.array([s.dimension for s in scores])
    subs = np.array([f"{s.dimension}:{s.subdimension}" for s in scores])
    cats = np.array([f"{s.dimension}:{s.subdimension}:{s.category}" for s in scores])
    out = [total("total", "all", i18n.gettext("All KPIs"), np.ones(len(scores), dtype=bool))]
    out += [total("dimension", d, catalogue.dimensions.get(d, d), dims == d)
            for d in dict.fromkeys(dims)]
    out += [total("subdimension", s, catalogue.subdimensions.get(s, s), subs == s)
            for s in dict.fromkeys(subs)]
    out += [total("category", c, catalogue.categories.get(c, c), cats == c)
            for c in dict.fromkeys(cats)]
    return out


def workspace_scorecard(ws: Workspace, store: Store, period: str | None = None,
                        lang: str = "en", verified_only: bool = False) -> Scorecard:
    """The scorecard of a workspace's city for ``period`` (default: its reporting year), with
    names in ``lang`` (en, ru, be): each KPI's computed and manual values weighed by
    ``settings.kpi.precedence``; with ``verified_only`` only verified values count."""
    from ssckit.kpi.review import review_statuses

    period = period or str(ws.config.year)
    settings = kpi_settings(ws)
    catalogue = load_catalogue(lang)
    choices = city_choices(store, period, settings.precedence)
    values = {c: ch.value for c, ch in choices.items() if ch.value is not None}
    with i18n.language(lang):
        return build_scorecard(
            catalogue, values, city=ws.config.name, period=period,
            synthetic=ws.config.synthetic, target_overrides=settings.targets, choices=choices,
            statuses=review_statuses(store, "city", choices), precedence=settings.precedence,
            verified_only=verified_only,
        )
