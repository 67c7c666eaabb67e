"""Captions for recorded media: ffmpeg audio, faster-whisper speech recognition, WebVTT/SRT files
and an HTML page where staff correct the text before re-exporting.

The speech model is a CTranslate2 Whisper model in a local folder (``--model PATH`` or the
environment variable ``SSCKIT_WHISPER_MODEL``); it is never downloaded at run time.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssckit.access.cues import Cue, Word, build_cues, cues_from_json, problems, to_srt, to_webvtt
from ssckit.core.errors import InputError

MODEL_ENV = "SSCKIT_WHISPER_MODEL"
SAMPLE_RATE = 16_000  # [Hz] what Whisper models take


def resolve_model(path: str | Path | None) -> Path:
    """The local model folder: ``path``, else ``$SSCKIT_WHISPER_MODEL``; it must hold a
    CTranslate2 Whisper model (``model.bin`` and ``config.json``)."""
    raw = path or os.environ.get(MODEL_ENV)
    if not raw:
        raise InputError("--model", None, f"no speech model: pass --model PATH (a folder with a "
                         f"CTranslate2 Whisper model) or set {MODEL_ENV}")
    folder = Path(raw).expanduser()
    missing = [f for f in ("model.bin", "config.json") if not (folder / f).is_file()]
    if missing:
        raise InputError(str(folder), None, f"not a CTranslate2 Whisper model folder (missing "
                         f"{', '.join(missing)})")
    return folder


def extract_audio(media: str | Path, out: str | Path) -> Path:
    """Decode the first audio stream of ``media`` to 16 kHz mono 16-bit WAV with ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise InputError("ffmpeg", None, "ffmpeg is not installed (run scripts/setup --test, "
                         "or apt-get install ffmpeg)")
    media = Path(media)
    if not media.is_file():
        raise InputError(str(media), None, "no such media file")
    proc = subprocess.run(
        [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(media),
         "-vn", "-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le",
         str(out)],
        capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise InputError(str(media), None, "ffmpeg could not read an audio stream: "
                         + (proc.stderr.strip().splitlines() or ["unknown error"])[-1])
    return Path(out)


@dataclass
class Transcript:
    """What the recogniser heard: language, timed words and the plain text."""

    language: str
    language_probability: float
    duration: float  # [s] of audio
    words: list[Word]
    text: str
    seconds: float = 0.0  # [s] wall time of recognition (for the real-time factor)

    @property
    def real_time_factor(self) -> float:
        """Processing time / audio duration (below 1 is faster than real time)."""
        return self.seconds / self.duration if self.duration else float("nan")


_MODELS: dict[tuple[str, int], Any] = {}


def load_model(path: str | Path, threads: int = 0) -> Any:
    """A faster-whisper ``WhisperModel`` on the CPU (int8) from a local folder; cached."""
    from faster_whisper import WhisperModel

    folder = resolve_model(path)
    key = (str(folder.resolve()), threads)
    if key not in _MODELS:
        try:
            _MODELS[key] = WhisperModel(str(folder), device="cpu", compute_type="int8",
                                        cpu_threads=threads, local_files_only=True)
        except (RuntimeError, ValueError, OSError) as exc:   # CTranslate2 / tokenizer errors
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise InputError(str(folder), None, f"cannot load this Whisper model ({first}); "
                             "point --model (or SSCKIT_WHISPER_MODEL) at an intact CTranslate2 "
                             "Whisper folder, e.g. convert or download the model again") from exc
    return _MODELS[key]


def transcribe(media: str | Path, model: str | Path | None = None,
               language: str | None = None, beam_size: int = 5, threads: int = 0) -> Transcript:
    """Recognise the speech in ``media`` with word timestamps.

    ``language`` is an ISO 639-1 code (``"en"``); None detects it (an English-only ``.en``
    model always gives ``"en"`` and refuses any other language). ``threads`` is the number of
    CPU threads (0: CTranslate2's default).
    """
    whisper = load_model(model, threads)
    if language is not None:
        language = language.strip().lower()
        if not whisper.model.is_multilingual and language != "en":
            raise InputError("--language", None, f"{language!r}: this model is English-only")
        if language not in _languages(whisper):
            raise InputError("--language", None, f"{language!r} is not a language the model "
                             "knows (use an ISO 639-1 code such as en, fr, es)")
    with tempfile.TemporaryDirectory(prefix="ssckit-audio-") as tmp:
        wav = extract_audio(media, Path(tmp) / "audio.wav")
        t0 = time.perf_counter()
        segments, info = whisper.transcribe(str(wav), language=language, beam_size=beam_size,
                                            word_timestamps=True, vad_filter=False,
                                            condition_on_previous_text=False)
        words: list[Word] = []
        texts: list[str] = []
        for seg in segments:
            texts.append(seg.text.strip())
            if seg.words:
                words += [Word(w.word.strip(), float(w.start), float(w.end)) for w in seg.words]
            else:  # no word times: spread the segment's words evenly over it
                parts = seg.text.split()
                step = (seg.end - seg.start) / max(1, len(parts))
                words += [Word(p, seg.start + i * step, seg.start + (i + 1) * step)
                          for i, p in enumerate(parts)]
        seconds = time.perf_counter() - t0
    return Transcript(language=info.language, language_probability=info.language_probability,
                      duration=float(info.duration), words=words, text=" ".join(texts),
                      seconds=seconds)


def _languages(whisper: Any) -> set[str]:
    try:
        return set(whisper.supported_languages)
    except AttributeError:  # older faster-whisper
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        return set(_LANGUAGE_CODES)


# -- files -------------------------------------------------------------------------------------
@dataclass
class CaptionFiles:
    """The files written for one media file, the cues and the transcript they came from."""

    vtt: Path
    srt: Path
    json: Path
    review: Path | None
    cues: list[Cue]
    transcript: Transcript | None = None
    problems: list[str] = field(default_factory=list)


def write_captions(cues: list[Cue], out_dir: str | Path, stem: str,
                   language: str | None = None) -> tuple[Path, Path, Path]:
    """Write ``stem.vtt``, ``stem.srt`` and ``stem.cues.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    vtt, srt, js = out / f"{stem}.vtt", out / f"{stem}.srt", out / f"{stem}.cues.json"
    vtt.write_text(to_webvtt(cues, language), encoding="utf-8")
    srt.write_text(to_srt(cues), encoding="utf-8")
    js.write_text(json.dumps({"language": language, "cues": [c.to_dict() for c in cues]},
                             indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return vtt, srt, js


def caption_media(media: str | Path, out_dir: str | Path, model: str | Path | None = None,
                  language: str | None = None,
                  progress: Callable[[str], None] | None = None) -> CaptionFiles:
    """Caption ``media``: recognise, cut into cues, write VTT, SRT, cues JSON and the review
    page (``<stem>.review.html``) into ``out_dir``."""
    media = Path(media)
    if progress:
        progress("recognising speech")
    tr = transcribe(media, model, language)
    cues = build_cues(tr.words)
    vtt, srt, js = write_captions(cues, out_dir, media.stem, tr.language)
    review = Path(out_dir) / f"{media.stem}.review.html"
    review.write_text(review_page(cues, title=media.name, language=tr.language,
                                  media_src=os.path.relpath(media.resolve(), Path(out_dir)
                                                            .resolve())), encoding="utf-8")
    return CaptionFiles(vtt, srt, js, review, cues, tr, problems(cues))


def reexport(cues_json: str | Path, out_dir: str | Path | None = None,
             stem: str | None = None) -> CaptionFiles:
    """Write VTT and SRT again from corrected cues JSON (as the review page downloads it)."""
    path = Path(cues_json)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), None, f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"line {exc.lineno}", f"not JSON: {exc.msg}") from None
    cues = cues_from_json(data, str(path))
    language = data.get("language") if isinstance(data, dict) else None
    if stem is None:
        stem = path.name.removesuffix(".json").removesuffix(".cues").removesuffix(".corrected")
    vtt, srt, js = write_captions(cues, out_dir or path.parent, stem, language)
    return CaptionFiles(vtt, srt, js, None, cues, None, problems(cues))


# -- review page -------------------------------------------------------------------------------
_REVIEW_CSS = """
body{font:1rem/1.5 system-ui,sans-serif;max-width:50rem;margin:0 auto;padding:1rem;color:#1a1a1a}
form.cue{border:1px solid #767676;border-radius:.3rem;padding:.5rem .75rem;margin:.75rem 0}
form.cue:focus-within{outline:3px solid #0b5fff;outline-offset:2px}
.times{display:flex;gap:1rem;flex-wrap:wrap}
label{font-weight:600;display:block}
input,textarea,button{font:inherit}
textarea{width:100%;box-sizing:border-box;font-family:ui-monospace,monospace}
button{min-height:2.75rem;padding:.25rem 1rem}
.warn{color:#a40000}
"""

_REVIEW_JS = """
const MAX = 42;
function check(form) {
  const lines = form.elements.text.value.split('\\n');
  const bad = lines.length > 2 || lines.some(l => l.length > MAX);
  form.querySelector('.warn').textContent = bad ? 'More than 2 lines of 42 characters.' : '';
}
document.querySelectorAll('form.cue').forEach(f => {
  f.addEventListener('input', () => check(f));
  f.addEventListener('submit', e => e.preventDefault());
  const play = f.querySelector('button.play');
  const media = document.getElementById('media');
  if (play && media) play.addEventListener('click', () => {
    media.currentTime = parseFloat(f.elements.start.value); media.play(); });
});
document.getElementById('export').addEventListener('click', () => {
  const cues = [...document.querySelectorAll('form.cue')].map(f => ({
    start: parseFloat(f.elements.start.value), end: parseFloat(f.elements.end.value),
    text: f.elements.text.value}));
  const data = {language: document.documentElement.lang, cues: cues};
  const blob = new Blob([JSON.stringify(data, null, 1)], {type: 'application/json'});
  const a = document.getElementById('download');
  a.href = URL.createObjectURL(blob);
  a.hidden = false;
  a.focus();
});
"""


def review_page(cues: list[Cue], title: str, language: str | None = None,
                media_src: str | None = None) -> str:
    """A self-contained HTML page (no external files but the media itself) with one form per
    cue; "Prepare corrected cues" offers the corrections as ``*.corrected.cues.json`` for
    :func:`reexport` (``ssckit access captions-export``)."""
    esc = html.escape
    lang = esc(language or "en")
    forms = []
    for i, c in enumerate(cues, 1):
        forms.append(f"""<form class="cue" aria-labelledby="h{i}">
<h2 id="h{i}">Cue {i}</h2>
<div class="times">
<div><label for="s{i}">Start (s)</label>
<input id="s{i}" name="start" type="number" step="0.001" min="0" value="{c.start:.3f}"></div>
<div><label for="e{i}">End (s)</label>
<input id="e{i}" name="end" type="number" step="0.001" min="0" value="{c.end:.3f}"></div>
</div>
<label for="t{i}">Text (at most 2 lines of 42 characters)</label>
<textarea id="t{i}" name="text" rows="2" cols="44">{esc(c.text)}</textarea>
<p class="warn" aria-live="polite"></p>
{'<button type="button" class="play">Play from start of cue ' + str(i) + '</button>'
 if media_src else ''}
</form>""")
    player = (f'<video id="media" controls src="{esc(media_src)}" style="max-width:100%">'
              '</video>' if media_src else "")
    return f"""<!doctype html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Review captions: {esc(title)}</title>
<style>{_REVIEW_CSS}</style></head>
<body>
<main>
<h1>Review captions: {esc(title)}</h1>
<p>Correct the text of each cue, then prepare the corrected cues and save the file. Export it
with <code>ssckit access captions-export FILE.corrected.cues.json</code>.</p>
{player}
{''.join(forms)}
<p><button type="button" id="export">Prepare corrected cues</button>
<a id="download" hidden download="{esc(Path(title).stem)}.corrected.cues.json">Save corrected
cues (JSON)</a></p>
</main>
<script>{_REVIEW_JS}</script>
</body>
</html>
"""
