"""``ssckit access``: WCAG 2.2 audits of web sites and captions for recorded media."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ssckit.core.cli_support import console, err_console, format_option, quiet_option
from ssckit.core.errors import InputError


@click.group(epilog="Example: ssckit access audit https://city.example/ --depth 1")
def access() -> None:
    """Web accessibility (WCAG 2.2 A/AA audits with axe-core) and media captions."""


@access.command(epilog="Example: ssckit access audit http://127.0.0.1:8000/ --depth 2 "
                "--max-pages 30 -w sample-city --screenshots shots")
@click.argument("urls", nargs=-1)
@click.option("--sitemap", help="XML sitemap whose pages are audited too (same origin only).")
@click.option("--depth", type=click.IntRange(0, 20), default=1, show_default=True,
              help="Follow same-origin links this many clicks from the given pages.")
@click.option("--max-pages", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="Most pages audited per site.")
@click.option("--parallel", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Pages audited at once (tabs of one browser).")
@click.option("--workspace", "-w", "workspace_dir",
              type=click.Path(file_okay=False, path_type=Path),
              help="City workspace: store the audit, its indicator values and the comparison "
                   "with the last audit in its store.")
@click.option("--screenshots", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for page screenshots with failing elements outlined "
                   "(default with -w: outputs/access/screenshots).")
@click.option("--no-best-practice", is_flag=True,
              help="Skip axe-core's best-practice rules (advisories, never scored).")
@click.option("--no-documents", is_flag=True,
              help="Skip checking the PDFs linked from the pages (tagged, language, title, "
                   "text layer).")
@format_option("table", "json")
@quiet_option
def audit(urls: tuple[str, ...], sitemap: str | None, depth: int, max_pages: int, parallel: int,
          workspace_dir: Path | None, screenshots: Path | None, no_best_practice: bool,
          no_documents: bool, fmt: str, quiet: bool) -> None:
    """Audit web pages against WCAG 2.2 A/AA with axe-core in headless Chromium.

    Crawls each site (same origin only) from the given URLs. Per page: violations with impact,
    WCAG success criteria and failing elements; checks that need a person's review
    ("incomplete") separately; a score (100 x passes / (passes + impact-weighted violations),
    critical 10, serious 5, moderate 2, minor 1). PDFs linked from the pages (same origin)
    are checked for the machine-checkable basics: tagged (PDF/UA-1 7.1), language (WCAG
    3.1.1), title shown by the viewer (WCAG 2.4.2) and a text layer (not an image-only scan).
    """
    from ssckit.access.audit import AuditSettings, audit_sites
    from ssckit.access.crawl import normalise_url, origin, read_sitemap

    seeds = list(urls)
    if sitemap:
        site = origin(normalise_url(sitemap) or sitemap)
        seeds += [u for u in read_sitemap(sitemap) if origin(u) == site]
    if not seeds:
        raise InputError("URL", None, "give at least one URL or --sitemap")
    ws = store = None
    if workspace_dir is not None:
        from ssckit.core.store import Store
        from ssckit.core.workspace import Workspace

        ws = Workspace.load(workspace_dir)
        if screenshots is None:
            screenshots = ws.output_dir / "access" / "screenshots"
    settings = AuditSettings(depth=depth, max_pages=max_pages, concurrency=parallel,
                             screenshots=screenshots, best_practice=not no_best_practice,
                             documents=not no_documents)

    def progress(page) -> None:
        if not quiet and fmt == "table":
            err_console.print(f"audited {page.url}", highlight=False)

    sites = audit_sites(seeds, settings, progress)
    diffs = {}
    if ws is not None:
        from ssckit.access.history import diff_with_previous, save_audit
        from ssckit.access.indicators import audit_values

        with Store.open(ws.store_path) as store:
            for site in sites:
                audit_id = save_audit(store, site)
                store.write_values(audit_values(site))
                diffs[site.site] = diff_with_previous(store, audit_id)
    if fmt == "json":
        click.echo(json.dumps({"sites": [
            {**s.to_dict(), "changes": d.to_dict() if (d := diffs.get(s.site)) else None}
            for s in sites]}, indent=2, default=str))
        return
    for s in sites:
        _print_site(s, diffs.get(s.site))


def _fmt_score(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"


def _print_site(site, change) -> None:
    t = Table(title=f"WCAG 2.2 A/AA — {site.site} — score {_fmt_score(site.score)}")
    for col in ("page", "score", "violations (impact, criteria, elements)", "review",
                "advisories"):
        t.add_column(col, overflow="fold", justify="right" if col == "score" else "left")
    for p in site.pages:
        if p.error:
            t.add_row(p.url, "—", f"[yellow]{p.error}[/]", "", "")
            continue
        t.add_row(
            p.url, _fmt_score(p.score),
            "\n".join(f"{f.rule} ({f.impact}, {', '.join(f.criteria)}, {len(f.nodes)})"
                      for f in p.violations) or "[green]none[/]",
            ", ".join(f.rule for f in p.incomplete), ", ".join(f.rule for f in p.advisories))
    console.print(t)
    if site.documents:
        _print_documents(site)
    if change is None:
        return
    delta = change.score_change
    console.print(f"since audit {change.before}: score {_fmt_score(change.score_before)} → "
                  f"{_fmt_score(change.score_after)}"
                  + (f" ({delta:+.1f})" if delta is not None else ""))
    for label, items in (("new", change.new), ("fixed", change.fixed)):
        for url, rule in items:
            console.print(f"  {label}: {rule} on {url}", highlight=False)
    for label, items in (("worse", change.worse), ("better", change.better)):
        for url, rule, b, a in items:
            console.print(f"  {label}: {rule} on {url} ({b} → {a} elements)", highlight=False)


def _print_documents(site) -> None:
    """The linked PDFs, one line per document and problem (criterion, what is wrong, the fix)."""
    bad = sum(not d.ok for d in site.documents)
    console.print(f"PDF documents: {bad} of {len(site.documents)} with problems", highlight=False)
    for d in site.documents:
        where = f" (linked from {', '.join(d.linked_from)})"
        if d.error:
            console.print(f"  {d.url}: [yellow]{d.error}[/]{where}", highlight=False,
                          soft_wrap=True)
        elif d.ok:
            console.print(f"  {d.url}: [green]ok[/] (tagged, language {d.language}, title, "
                          "text)", highlight=False, soft_wrap=True)
        else:
            console.print(f"  {d.url}{where}", highlight=False, soft_wrap=True)
            for p in d.problems:
                console.print(f"    [red]{escape(p.line())}[/]", highlight=False, soft_wrap=True)


@access.command(epilog="Example: ssckit access captions council-meeting.mp4 "
                "--model models/whisper-small-ct2 --language en --out captions")
@click.argument("media", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--model", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of a CTranslate2 Whisper model (default: $SSCKIT_WHISPER_MODEL). "
                   "Never downloaded.")
@click.option("--language", help="ISO 639-1 code of the speech (default: detected).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Folder for the caption files.")
@format_option("table", "json")
@quiet_option
def captions(media: Path, model: Path | None, language: str | None, out_dir: Path, fmt: str,
             quiet: bool) -> None:
    """Caption a recording: WebVTT, SRT, cues JSON and an HTML review page for corrections.

    Cues hold at most 2 lines of 42 characters, show for 1 to 7 seconds and never overlap.
    """
    from ssckit.access.captions import caption_media

    with err_console.status("recognising speech", spinner="dots") if not quiet else nullcontext():
        res = caption_media(media, out_dir, model=model, language=language)
    tr = res.transcript
    assert tr is not None
    info = {"media": str(media), "language": tr.language,
            "language_probability": round(tr.language_probability, 3),
            "duration_s": round(tr.duration, 2), "real_time_factor": round(tr.real_time_factor, 3),
            "cues": len(res.cues), "vtt": str(res.vtt), "srt": str(res.srt),
            "json": str(res.json), "review": str(res.review), "problems": res.problems}
    if fmt == "json":
        click.echo(json.dumps(info, indent=2))
        return
    console.print(f"{len(res.cues)} cues, language {tr.language} "
                  f"(p={tr.language_probability:.2f}), {tr.duration:.1f} s of audio in "
                  f"{tr.seconds:.1f} s (real-time factor {tr.real_time_factor:.2f})")
    for key in ("vtt", "srt", "json", "review"):
        console.print(f"  {key}: {info[key]}", highlight=False)
    for p in res.problems:
        console.print(f"  [yellow]{p}[/]")


@access.command("captions-export", epilog="Example: ssckit access captions-export "
                "captions/council-meeting.corrected.cues.json --out captions")
@click.argument("cues_json", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the caption files (default: beside the JSON file).")
def captions_export(cues_json: Path, out_dir: Path | None) -> None:
    """Write WebVTT and SRT from corrected cues (the JSON the review page saves)."""
    from ssckit.access.captions import reexport

    res = reexport(cues_json, out_dir)
    console.print(f"{len(res.cues)} cues → {res.vtt}, {res.srt}", highlight=False)
    for p in res.problems:
        console.print(f"  [yellow]{p}[/]")
