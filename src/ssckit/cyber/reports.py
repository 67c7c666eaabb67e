"""Compliance reports: each organisation's share of met baseline requirements over the stored
scans, the worst services, what to fix first, as data (JSON/CSV) and a chart."""

from __future__ import annotations

import csv
import io
from typing import Any

import plotly.graph_objects as go

from ssckit.core.store import Store
from ssckit.cyber.baseline import Profile, by_organisation, evaluate, fix_first, overall
from ssckit.cyber.store import load_scan, scan_ids

#: Scans shown in "compliance over time" (the latest ones).
HISTORY_SCANS = 30
NO_ORGANISATION = "(no organisation)"


def compliance_report(store: Store, profile: Profile,
                      history: int = HISTORY_SCANS) -> dict[str, Any] | None:
    """The latest scan judged against ``profile`` and the compliance of the last ``history``
    scans, per organisation and overall; ``None`` before the first scan."""
    ids = scan_ids(store)[-history:]
    if not ids:
        return None
    rows: list[dict[str, Any]] = []
    latest: list[Any] = []
    for sid in ids:
        scan = load_scan(store, sid)
        judged = [evaluate(profile, r) for r in scan.results]
        for j in judged:
            j.organisation = j.organisation or NO_ORGANISATION
        when = scan.started_at.isoformat(timespec="minutes")
        for o in [*by_organisation(judged), overall(judged)]:
            rows.append({"scan_id": sid, "started_at": when, "organisation": o.organisation,
                         "share": o.share, "share_services": o.share_services,
                         "services": o.services, "compliant_services": o.compliant_services})
        latest = judged
    weights = {r.id: r.weight for r in profile.requirements}
    services = []
    for j in latest:
        c = j.counts
        counted = c["pass"] + c["fail"] + c["unknown"]
        services.append({
            "service": j.service, "organisation": j.organisation, "compliant": j.compliant,
            "share": round(100.0 * c["pass"] / counted, 1) if counted else None,
            "failing": j.failing, "impact": sum(weights[r] for r in j.failing),
            "results": [r.to_dict() for r in j.results]})
    worst = sorted((s for s in services if s["failing"]),
                   key=lambda s: (-s["impact"], s["share"] if s["share"] is not None else -1,
                                  s["service"]))
    last = ids[-1]
    orgs = [r for r in rows if r["scan_id"] == last and r["organisation"] != "(all)"]
    return {
        "profile": {"id": profile.id, "title": profile.title, "version": profile.version,
                    "sources": {k: v.model_dump() for k, v in profile.sources.items()},
                    "requirements": [{"id": r.id, "title": r.title, "weight": r.weight,
                                      "source": r.source} for r in profile.requirements]},
        "scan_id": last,
        "overall": next(r for r in rows if r["scan_id"] == last
                        and r["organisation"] == "(all)"),
        "organisations": orgs,
        "history": rows,
        "services": services,
        "worst_services": worst[:10],
        "fix_first": fix_first(profile, latest),
    }


def history_csv(report: dict[str, Any]) -> str:
    """Compliance over time, one row per scan and organisation (``(all)``: every service)."""
    out = io.StringIO()
    cols = ["scan_id", "started_at", "organisation", "share", "share_services", "services",
            "compliant_services"]
    w = csv.DictWriter(out, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in report["history"]:
        w.writerow({k: "" if r[k] is None else r[k] for k in cols})
    return out.getvalue()


def services_csv(report: dict[str, Any]) -> str:
    """The latest scan: one row per service and requirement."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["service", "organisation", "requirement", "status", "detail"])
    for s in report["services"]:
        for r in s["results"]:
            w.writerow([s["service"], s["organisation"], r["requirement"], r["status"],
                        r["detail"]])
    return out.getvalue()


def history_figure(report: dict[str, Any]) -> go.Figure:
    """Share of met requirements over time, one line per organisation and one for all."""
    from ssckit.core.i18n import gettext as _

    fig = go.Figure()
    names = sorted({r["organisation"] for r in report["history"]},
                   key=lambda n: (n == "(all)", n))
    for name in names:
        pts = [r for r in report["history"] if r["organisation"] == name]
        fig.add_trace(go.Scatter(
            x=[p["started_at"] for p in pts], y=[p["share"] for p in pts],
            mode="lines+markers", name=_("all services") if name == "(all)" else _(name),
            line={"dash": "dash"} if name == "(all)" else None))
    fig.update_layout(yaxis={"title": _("requirements met [%]"), "range": [0, 100]},
                      xaxis={"title": _("scan (UTC)")}, margin={"l": 60, "r": 20, "t": 20,
                                                              "b": 60},
                      height=360, legend={"orientation": "h"})
    return fig
