"""The city factsheet, in the spirit of the U4SSC city factsheets: the headline, points per
dimension and sub-dimension as bars, how many values are verified, and what changed since the
previous year. HTML (self-contained, no script) or PDF (fpdf2).

:func:`build_factsheet` is pure (two scorecards in, plain data out); the renderers only lay
that data out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ssckit import __version__
from ssckit.core import i18n
from ssckit.core.fonts import unicode_font
from ssckit.kpi.scorecard import GroupScore, Headline, Scorecard


@dataclass(frozen=True)
class Change:
    """A KPI whose value or points differ from the previous year's."""

    code: str
    name: str
    unit: str
    before: float | None
    after: float | None
    points_before: int
    points_after: int


@dataclass
class Factsheet:
    """What the factsheet shows."""

    city: str
    period: str
    previous_period: str | None
    synthetic: bool
    headline: Headline
    groups: list[tuple[GroupScore, int]]  # dimensions and their sub-dimensions, with depth
    n_verified: int
    n_with_value: int
    status_counts: dict[str, int]
    changes: list[Change] = field(default_factory=list)


def build_factsheet(card: Scorecard, previous: Scorecard | None = None) -> Factsheet:
    """The factsheet of ``card``, with the changes since ``previous`` (same catalogue)."""
    statuses: dict[str, int] = {}
    for k in card.kpis:
        if k.value is not None:
            statuses[k.status or "draft"] = statuses.get(k.status or "draft", 0) + 1
    changes = []
    if previous is not None:
        before = {k.code: k for k in previous.kpis}
        for k in card.kpis:
            b = before.get(k.code)
            if b is None or (b.value == k.value and b.points == k.points):
                continue
            changes.append(Change(k.code, k.name, k.unit, b.value, k.value, b.points, k.points))
    return Factsheet(
        city=card.city, period=card.period,
        previous_period=None if previous is None else previous.period,
        synthetic=card.synthetic, headline=card.headline(),
        groups=[(g, d) for g, d in card.nested_groups() if g.level != "total"],
        n_verified=statuses.get("verified", 0), n_with_value=card.totals.n_with_data,
        status_counts=statuses, changes=changes,
    )


def previous_period(period: str) -> str:
    """The year before ``period`` (``2026`` -> ``2025``)."""
    return str(int(period[:4]) - 1)


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"


# -- HTML -------------------------------------------------------------------------------------
def render_factsheet_html(fs: Factsheet) -> str:
    """A self-contained HTML page (no script; bars are drawn by CSS, each with its number)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("ssckit.kpi", "data"),
                      autoescape=select_autoescape(["html", "j2"]),
                      extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.template_gettext, i18n.ngettext, newstyle=True)
    env.policies["ext.i18n.trimmed"] = True
    return env.get_template("factsheet.html.j2").render(
        fs=fs, fmt=_fmt, lang=i18n.current_language(), version=__version__,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


# -- PDF --------------------------------------------------------------------------------------
def render_factsheet_pdf(fs: Factsheet, *, core_font: bool = False,
                         compress: bool = True) -> bytes:
    """The factsheet as PDF bytes (A4 portrait): headline, bars of the score per dimension and
    sub-dimension, verification status, the year's changes. DejaVu Sans where installed (any
    language), else (or with ``core_font``) Helvetica with Latin-1 text; ``compress=False``
    leaves the page's text readable in the file."""
    from fpdf import FPDF

    _ = i18n.gettext
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_auto_page_break(True, margin=15)
    font = None if core_font else unicode_font()
    if font is not None:
        pdf.add_font("DejaVu", "", str(font[0]))
        pdf.add_font("DejaVu", "B", str(font[1]))
        family = "DejaVu"
    else:  # core font: Latin-1 only
        family = "Helvetica"

    def text(s: str) -> str:
        return s if font is not None else s.encode("latin-1", "replace").decode("latin-1")

    pdf.set_title(text(f"{fs.city} {fs.period}: U4SSC factsheet"))
    pdf.set_creator(f"ssckit {__version__}")
    pdf.add_page()
    pdf.set_font(family, "B", 18)
    pdf.cell(0, 10, text(f"{fs.city} — U4SSC {fs.period}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    if fs.synthetic:
        pdf.set_fill_color(255, 243, 205)
        pdf.multi_cell(0, 6, text(_("Synthetic sample data: this city and every number in "
                                    "this factsheet are generated for demonstration.")),
                       fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(family, "B", 12)
    pdf.multi_cell(0, 7, text(fs.headline.text()), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 10)
    pdf.multi_cell(0, 6, text(_("{verified} of {n} values verified").format(
        verified=fs.n_verified, n=fs.n_with_value) + " (" + ", ".join(
        f"{k} {v}" for k, v in sorted(fs.status_counts.items())) + ")"),
        new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(family, "B", 12)
    pdf.cell(0, 8, text(_("Score by dimension and sub-dimension")), new_x="LMARGIN",
             new_y="NEXT")
    label_w, bar_w, h = 80.0, 80.0, 6.0
    for g, depth in fs.groups:
        pdf.set_font(family, "B" if depth == 0 else "", 9)
        x, y = pdf.l_margin, pdf.get_y()
        pdf.set_xy(x + 4 * depth, y)
        pdf.cell(label_w - 4 * depth, h, text(g.name[:48]))
        share = g.score or 0.0
        pdf.set_draw_color(120, 120, 120)
        pdf.rect(x + label_w, y + 1, bar_w, h - 2)
        if share > 0:
            pdf.set_fill_color(0, 114, 178)  # Okabe-Ito blue, as the scorecard's charts
            pdf.rect(x + label_w, y + 1, bar_w * min(share, 1.0), h - 2, style="F")
        pdf.set_xy(x + label_w + bar_w + 2, y)
        pdf.cell(0, h, text(f"{g.points}/{g.max_points}"
                            + ("" if g.score is None else f" ({round(100 * g.score)} %)")),
                 new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(family, "B", 12)
    title = (_("Changes since {year}").format(year=fs.previous_period)
             if fs.previous_period else _("Changes"))
    pdf.cell(0, 8, text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    if not fs.changes:
        pdf.cell(0, 6, text(_("No value changed.")), new_x="LMARGIN", new_y="NEXT")
    for c in fs.changes:
        pdf.multi_cell(0, 5, text(f"{c.code}  {c.name}: {_fmt(c.before)} -> {_fmt(c.after)} "
                                  f"{c.unit}; " + _("points") +
                                  f" {c.points_before} -> {c.points_after}"),
                       new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write_factsheet(fs: Factsheet, path: Path, fmt: str) -> Path:
    """Write the factsheet (``html`` or ``pdf``) to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    if fmt == "pdf":
        tmp.write_bytes(render_factsheet_pdf(fs))
    else:
        tmp.write_text(render_factsheet_html(fs), encoding="utf-8")
    tmp.replace(path)
    return path
