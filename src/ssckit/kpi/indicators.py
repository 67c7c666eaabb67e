"""The kpi module's pipeline steps: the manual KPI values the workspace names
(``settings.kpi.values``, recorded in the kpi tables), and the scorecard report of everything
stored."""

from __future__ import annotations

from ssckit.core.indicators import IndicatorValue
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace
from ssckit.kpi.catalogue import load_catalogue
from ssckit.kpi.io import read_values_csv
from ssckit.kpi.records import record_manual_values
from ssckit.kpi.settings import kpi_settings


def compute(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """Every file of ``settings.kpi.values`` read and checked against the U4SSC catalogue (all
    rows of all files are checked before anything is recorded), then recorded as manual values
    where a row differs from what was last recorded from its file (see
    :func:`ssckit.kpi.records.record_manual_values`). Manual values are not indicator values:
    they are kept beside the computed ones, so nothing is returned for the run to publish."""
    cat = load_catalogue()
    out: list[IndicatorValue] = []
    for rel in kpi_settings(ws).values:
        out += read_values_csv(ws.path(rel), cat, str(ws.config.year))
    for v in out:
        v.source["module"] = "kpi.values"
    record_manual_values(store, out, "settings", "city.yaml", only_changed_in_file=True)
    return []


def write_scorecard(ws: Workspace, store: Store) -> list[IndicatorValue]:
    """The last step: the U4SSC scorecard of everything stored, written to
    ``outputs/scorecard.html`` (self-contained report) and ``outputs/scorecard.json``."""
    from ssckit.kpi.io import scorecard_json
    from ssckit.kpi.maps import card_maps
    from ssckit.kpi.report import write_html_report
    from ssckit.kpi.review import reset_changed_reviews
    from ssckit.kpi.scorecard import city_choices, workspace_scorecard

    # A run that changed a reviewed value makes it a draft again (with a line in the audit log).
    reset_changed_reviews(store, city_choices(store, str(ws.config.year),
                                              kpi_settings(ws).precedence))
    card = workspace_scorecard(ws, store)
    write_html_report(card, ws.output_dir / "scorecard.html", card_maps(ws, store, card))
    (ws.output_dir / "scorecard.json").write_text(scorecard_json(card), encoding="utf-8")
    return []
