"""``ssckit access``: WCAG 2.2 audits of web sites and captions for recorded media."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from ssckit.core.cli_support import (
    console,
    err_console,
    format_option,
    quiet_option,
    with_store,
)
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


# -- manual review and the accessibility statement ---------------------------------------------
@access.group(epilog="Example: ssckit access review list http://www.city.test -w sample-city")
def review() -> None:
    """Manual review: WCAG 2.2 A/AA criteria axe-core cannot decide, and its undecided elements.

    Verdicts (pass, fail, na) carry over to later audits and expire when the page's content
    changes.
    """


@review.command("list", epilog="Example: ssckit access review list http://www.city.test "
                "--status open --page http://www.city.test/news.html -w sample-city")
@click.argument("site", required=False)
@click.option("--page", "page_url", help="Only this page (its URL as audited).")
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["open", "expired", "pass", "fail", "na"]),
              help="Only items with this status (repeatable; default: all).")
@format_option("table", "json")
@with_store
def review_list(site: str | None, page_url: str | None, statuses: tuple[str, ...], fmt: str,
                ws, store) -> None:
    """The review checklist of SITE's latest audit (every audited site when not given)."""
    from ssckit.access.manual import audited_sites, checklist

    sites = [site] if site else audited_sites(store)
    if not sites:
        raise InputError(str(ws.store_path), None, "no stored audit; run ssckit access audit "
                         "URL -w WORKSPACE first")
    reviews = [checklist(store, s) for s in sites]
    for r in reviews:
        if page_url:
            if r.page(page_url) is None:
                raise InputError("--page", None, f"{page_url} is not a page of the latest audit "
                                 f"of {r.site}; pages: {', '.join(p.url for p in r.pages)}")
            r.pages = [p for p in r.pages if p.url == page_url]
        if statuses:
            for p in r.pages:
                p.items = [i for i in p.items if i.status in statuses]
    if fmt == "json":
        click.echo(json.dumps({"sites": [r.to_dict() for r in reviews]}, indent=2,
                              ensure_ascii=False))
        return
    for r in reviews:
        c = r.counts()
        t = Table(title=f"Manual review — {r.site} — audit {r.audit_id}: {c['total']} items, "
                        f"{c['open']} open, {c['expired']} expired, {c['pass']} pass, "
                        f"{c['fail']} fail, {c['na']} n/a")
        for col in ("page", "item", "element", "status", "what to check"):
            t.add_column(col, overflow="fold")
        for p in r.pages:
            for i in p.items:
                what = i.title if i.kind == "rule" else f"{i.title} ({i.level})"
                status = i.status + (f" ({i.verdict.reviewer})" if i.verdict else "")
                t.add_row(p.url, i.item, i.selector or "—", status, escape(what))
        console.print(t)


@review.command("set", epilog="Example: ssckit access review set "
                "http://www.city.test/news.html 2.4.7 fail --note 'no focus ring on the menu' "
                "--evidence focus.png -w sample-city")
@click.argument("page_url", metavar="PAGE")
@click.argument("item")
@click.argument("verdict", type=click.Choice(["pass", "fail", "na"]))
@click.option("--selector", default="", help="Element (CSS selector as axe-core reported it), "
              "for an element a rule left undecided.")
@click.option("--note", default="", help="What was checked or found (required for fail).")
@click.option("--evidence", "evidence", type=click.Path(dir_okay=False, path_type=Path),
              help="A file (screenshot, recording) kept with the verdict and its SHA-256.")
@click.option("--evidence-url", help="A link to the evidence instead of a file.")
@click.option("--reviewer", help="Who reviewed (default: the login name).")
@with_store
def review_set(page_url: str, item: str, verdict: str, selector: str, note: str,
               evidence: Path | None, evidence_url: str | None, reviewer: str | None,
               ws, store) -> None:
    """Record a verdict on ITEM of PAGE: a WCAG criterion (1.4.10) or, with --selector, an
    axe-core rule (color-contrast) for one element it could not decide."""
    import getpass

    from ssckit.access.crawl import origin
    from ssckit.access.manual import read_evidence, record_verdict

    kind = "criterion" if item[:1].isdigit() else "rule"
    if kind == "rule" and not selector:
        raise InputError("--selector", None, f"rule {item!r} needs the element: give "
                         "--selector as listed by ssckit access review list")
    kept = (read_evidence(evidence), evidence.name) if evidence is not None else None
    v = record_verdict(store, origin(page_url), page_url, kind, item, verdict,
                       reviewer or getpass.getuser(), selector=selector, note=note,
                       evidence=kept, outputs=ws.output_dir, evidence_url=evidence_url)
    console.print(f"{v.verdict}: {v.item}{' ' + v.selector if v.selector else ''} on {v.url} "
                  f"(verdict {v.id}, page {v.page_hash[:12]})"
                  + (f", evidence {v.evidence_file} sha256 {v.evidence_sha256}"
                     if v.evidence_file else ""), highlight=False)


@access.command(epilog="Example: ssckit access statement http://www.city.test --format pdf "
                "-o statement.pdf -w sample-city")
@click.argument("site")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "json"]), default="html",
              show_default=True, help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write.")
@click.option("--language", type=click.Choice(["en", "ru", "be"]),
              help="Language of the statement (default: the site's, from the statement file, "
                   "else its pages' lang, else city.yaml's).")
@with_store
def statement(site: str, fmt: str, output: Path, language: str | None, ws, store) -> None:
    """Write SITE's accessibility statement (EU model, Decision (EU) 2018/1523) from its latest
    audit, the manual review and the workspace's statement file (inputs.access.statement)."""
    from ssckit.access.statement import build_statement, render_html, render_pdf

    st = build_statement(ws, store, site, language=language)
    if fmt == "pdf":
        data = render_pdf(st)
    elif fmt == "html":
        data = render_html(st).encode("utf-8")
    else:
        data = json.dumps(st.to_dict(), indent=2, ensure_ascii=False).encode("utf-8")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    console.print(f"{output}: {st.status} compliance, {len(st.non_compliance)} criteria not "
                  f"met, {len(st.not_checked)} not yet checked by a person, language "
                  f"{st.language}", highlight=False)


@access.command(epilog="Example: ssckit access live --input mic --model models/whisper-small-ct2 "
                "--language ru -w sample-city   (readers open /access/live of ssckit serve)")
@click.option("--input", "source", default="mic", show_default=True,
              help="Audio: a media file (played at real time), - (audio on standard input, any "
                   "format ffmpeg reads) or mic (PulseAudio or the default ALSA device).")
@click.option("--model", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of a CTranslate2 Whisper model (default: $SSCKIT_WHISPER_MODEL). "
                   "Never downloaded.")
@click.option("--language", default="auto", show_default=True,
              help="auto (the model decides per phrase) or an ISO 639-1 code: en, ru, … "
                   "(English-only .en models take en only).")
@click.option("--workspace", "-w", "workspace_dir",
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="City workspace: captions go to its /access/live page while spoken and the "
                   "transcript to outputs/access/captions/ (default: the current folder when "
                   "it holds city.yaml).")
@click.option("--partial-every", type=click.FloatRange(0.2, 30.0), default=1.0,
              show_default=True, help="Seconds between partial captions of an open phrase.")
@click.option("--fast", is_flag=True, help="Read a file as fast as possible, not at real time.")
@format_option("table", "json")
@quiet_option
def live(source: str, model: Path | None, language: str, workspace_dir: Path | None,
         partial_every: float, fast: bool, fmt: str, quiet: bool) -> None:
    """Live captions: speech recognised while it is spoken, for a caption page.

    Voice-activity detection cuts the audio into phrases; an open phrase is shown as a partial
    caption and replaced by the final one when the phrase ends. Stop with Ctrl+C; the
    transcript opens in the caption review page (/access/captions) afterwards.
    """
    import sys

    from ssckit.access.live import Caption, caption_live

    if workspace_dir is None and Path("city.yaml").is_file():
        workspace_dir = Path(".")
    if workspace_dir is not None:
        from ssckit.core.workspace import Workspace

        workspace_dir = Workspace.load(workspace_dir).root

    def show(cap: Caption) -> None:
        if quiet or fmt == "json":
            return
        if cap.kind == "partial":
            err_console.print(f"[dim]… {escape(cap.text)}[/]", highlight=False, soft_wrap=True)
        else:
            console.print(cap.text, highlight=False, soft_wrap=True)

    res = caption_live(source, model=model, language=language, workspace_root=workspace_dir,
                       realtime=not fast, partial_every=partial_every,
                       stdin=sys.stdin.buffer if source == "-" else None, on_caption=show)
    info = {"language": res.language, "duration_s": round(res.duration, 2),
            "captions": [c.to_dict() for c in res.captions], "cues": len(res.cues),
            "files": [str(p) for p in res.files] if res.files else []}
    if fmt == "json":
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
    elif not quiet:
        console.print(f"{len(res.captions)} phrases, {res.duration:.1f} s of audio, language "
                      f"{res.language}", highlight=False)
        for p in info["files"]:
            console.print(f"  {p}", highlight=False)
