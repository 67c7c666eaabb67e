"""Audit history in the store: what got better or worse since the last audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssckit.access.audit import AuditSettings, audit_sites
from ssckit.access.history import audit_ids, diff_with_previous, save_audit
from ssckit.access.indicators import audit_values, latest_values
from ssckit.core.store import Store
from ssckit.core.workspace import Workspace

from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]


def test_history_diff(site_copy: tuple[Path, str], workspace: Path) -> None:
    root, url = site_copy
    seeds = [url + p for p in ("clean.html", "form.html", "missing-alt.html", "contrast.html")]
    settings = AuditSettings(depth=0)
    ws = Workspace.load(workspace)
    with Store.open(ws.store_path) as store:
        [first] = audit_sites(seeds, settings)
        id1 = save_audit(store, first)
        store.write_values(audit_values(first))
        assert diff_with_previous(store, id1) is None

        # fix the form, break the clean page, drop the contrast page, add a new one
        form = root / "form.html"
        form.write_text(form.read_text().replace(
            '<input type="text" name="email">',
            '<label for="e">Email</label> <input id="e" type="text" name="email">'))
        clean = root / "clean.html"
        clean.write_text(clean.read_text().replace(' alt="City library logo"', ""))
        [second] = audit_sites(seeds[:3] + [url + "nolang.html"], settings)
        id2 = save_audit(store, second)
        store.write_values(audit_values(second))

        change = diff_with_previous(store, id2)
        assert change is not None and (change.before, change.after) == (id1, id2)
        assert change.new == [(url + "clean.html", "image-alt")]
        assert change.fixed == [(url + "form.html", "label")]
        assert change.worse == [] and change.better == []
        assert change.pages_added == [url + "nolang.html"]
        assert change.pages_removed == [url + "contrast.html"]
        assert set(change.page_scores) == {url + "clean.html", url + "form.html"}
        assert change.page_scores[url + "clean.html"][0] == 100.0
        assert change.page_scores[url + "form.html"][1] == 100.0
        assert change.score_change == pytest.approx(second.score - first.score)
        assert audit_ids(store, first.site) == [id1, id2]

        values = {(v.indicator, v.breakdown.get("page")): v.value
                  for v in latest_values(ws, store)}
        assert values[("access:score", None)] == pytest.approx(second.score)
        assert values[("access:violations", None)] == 3
        assert values[("access:pages", None)] == 4
        assert values[("access:violations", url + "clean.html")] == 1
        assert values[("access:score", url + "form.html")] == 100.0
        stored = store.query_values(indicator="access:score", entity=f"site:{first.site}",
                                    breakdown={})
        assert stored and stored[-1].value == pytest.approx(second.score)
