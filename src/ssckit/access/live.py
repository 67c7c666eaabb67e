"""Live captions: audio from a file played at real time, standard input or a microphone is cut
by an energy voice-activity detector into phrases, recognised by faster-whisper while it is
spoken (partial captions) and again when the phrase ends (final captions).

Captions are published as JSON lines in ``WORKSPACE/outputs/access/live/current.jsonl``, which
the caption page of ``ssckit serve`` (``/access/live``) streams to its readers as server-sent
events; at the end the transcript is written as WebVTT, SRT and cues JSON into
``outputs/access/captions/`` where the caption review page opens it.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np

from ssckit.access.captions import SAMPLE_RATE, _languages, load_model, write_captions
from ssckit.access.cues import Cue, Word, build_cues
from ssckit.core.errors import InputError

FRAME_S = 0.03        # [s] analysis frame of the voice-activity detector (480 samples)
FRAME = int(SAMPLE_RATE * FRAME_S)
LIVE_DIR = Path("outputs") / "access" / "live"
CURRENT = "current.jsonl"


# -- voice activity ------------------------------------------------------------------------------
def frame_level_db(frame: np.ndarray) -> float:
    """RMS level of one frame of 16-bit samples [dBFS] (full-scale sine: -3 dBFS); -120 for
    digital silence."""
    x = frame.astype(np.float64) / 32768.0
    rms = float(np.sqrt(np.mean(x * x))) if x.size else 0.0
    return 20.0 * np.log10(rms) if rms > 1e-6 else -120.0


@dataclass
class Phrase:
    """A stretch of speech: its place in the stream [s] and its samples (float32, -1..1)."""

    start: float
    end: float
    audio: np.ndarray


@dataclass
class EnergyVad:
    """Energy voice-activity detection with an adaptive noise floor, cutting the stream into
    phrases (the scheme of the classic energy detectors, e.g. ITU-T G.729 Annex B in spirit:
    a frame is speech when its level is ``margin_db`` above the tracked noise floor and above
    ``floor_db``).

    A phrase starts at the first speech frame (with ``pre_roll`` [s] of audio before it) and
    ends after ``hangover`` [s] of non-speech, or is cut at ``max_phrase`` [s] (the sliding
    window: a long stretch without a pause is still captioned in pieces).
    """

    margin_db: float = 12.0     # [dB] above the noise floor
    floor_db: float = -50.0     # [dBFS] never speech below this
    hangover: float = 0.45      # [s] of silence that ends a phrase
    pre_roll: float = 0.2       # [s] kept before the first speech frame
    min_speech: float = 0.15    # [s] shorter bursts are dropped (clicks)
    max_phrase: float = 10.0    # [s]
    noise_db: float = -70.0     # [dBFS] tracked noise floor
    _frames: list[np.ndarray] = field(default_factory=list)
    _pre: list[np.ndarray] = field(default_factory=list)
    _n: int = 0                 # frames seen
    _start: int = -1            # first frame of the open phrase (-1: none)
    _silent: int = 0            # non-speech frames since the last speech frame
    _voiced: int = 0            # speech frames in the open phrase

    @property
    def active(self) -> bool:
        """Whether a phrase is open."""
        return self._start >= 0

    @property
    def trailing_silence(self) -> float:
        """Non-speech at the end of the open phrase [s] (the phrase may be ending)."""
        return self._silent * FRAME_S

    @property
    def time(self) -> float:
        """Stream time of the end of the last frame pushed [s]."""
        return self._n * FRAME_S

    def current(self) -> Phrase | None:
        """The open phrase so far (for partial captions), or None."""
        if not self.active:
            return None
        return self._phrase(self._n)

    def _phrase(self, end_frame: int) -> Phrase:
        audio = np.concatenate(self._frames).astype(np.float32) / 32768.0
        return Phrase(self._start * FRAME_S, end_frame * FRAME_S, audio)

    def push(self, frame: np.ndarray) -> Phrase | None:
        """Feed one frame of ``FRAME`` 16-bit samples; return a phrase when one ends."""
        level = frame_level_db(frame)
        speech = level > max(self.noise_db + self.margin_db, self.floor_db)
        if not speech:  # the floor follows quiet frames quickly, loud ones slowly
            rate = 0.1 if level < self.noise_db + 6 else 0.01
            self.noise_db += rate * (level - self.noise_db)
        self._n += 1
        pre = max(1, int(self.pre_roll / FRAME_S))
        if not self.active:
            self._pre = ([*self._pre, frame])[-pre:]
            if speech:
                self._start = self._n - len(self._pre)
                self._frames, self._pre = list(self._pre), []
                self._silent, self._voiced = 0, 1
            return None
        self._frames.append(frame)
        if speech:
            self._silent = 0
            self._voiced += 1
        else:
            self._silent += 1
        length = (self._n - self._start) * FRAME_S
        if self._silent * FRAME_S >= self.hangover or length >= self.max_phrase:
            keep = self._voiced * FRAME_S >= self.min_speech
            # end at the last speech frame plus a little air
            tail = max(0, self._silent - int(0.15 / FRAME_S))
            if tail:
                del self._frames[-tail:]
            phrase = self._phrase(self._n - tail)
            self._start, self._frames, self._silent, self._voiced = -1, [], 0, 0
            return phrase if keep else None
        return None

    def flush(self) -> Phrase | None:
        """Close the open phrase at the end of the stream."""
        if not self.active:
            return None
        phrase = self._phrase(self._n)
        keep = self._voiced * FRAME_S >= self.min_speech
        self._start, self._frames, self._silent, self._voiced = -1, [], 0, 0
        return phrase if keep else None


# -- audio sources -------------------------------------------------------------------------------
def microphone_input() -> list[str]:
    """ffmpeg input options for the default microphone: PulseAudio/PipeWire when a server
    answers, else the default ALSA capture device when a sound card exists."""
    if shutil.which("pactl") and subprocess.run(
            ["pactl", "info"], capture_output=True, timeout=5, check=False).returncode == 0:
        return ["-f", "pulse", "-i", "default"]
    cards = Path("/proc/asound/cards")
    if cards.is_file() and "no soundcards" not in cards.read_text().lower() \
            and cards.read_text().strip():
        return ["-f", "alsa", "-i", "default"]
    raise InputError("--input mic", None, "no microphone on this machine (no PulseAudio server "
                     "answers and /proc/asound/cards lists no sound card); use --input FILE "
                     "(played at real time) or --input - (audio on standard input)")


def ffmpeg_command(source: str, realtime: bool = True) -> list[str]:
    """The ffmpeg command decoding ``source`` (a media file, ``-`` for standard input or
    ``mic``) to 16 kHz mono 16-bit PCM on standard output; a file is read at its own pace
    (``-re``) when ``realtime``."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise InputError("ffmpeg", None, "ffmpeg is not installed (run scripts/setup --test, "
                         "or apt-get install ffmpeg)")
    if source == "mic":
        inp = microphone_input()
    elif source == "-":
        inp = ["-i", "pipe:0"]
    else:
        if not Path(source).is_file():
            raise InputError(source, None, "no such media file (--input takes a file, - for "
                             "standard input, or mic)")
        inp = [*(["-re"] if realtime else []), "-i", source]
    return [ffmpeg, "-hide_banner", "-loglevel", "error", *(["-nostdin"] if source != "-"
                                                            else []),
            *inp, "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "pipe:1"]


# -- captions ------------------------------------------------------------------------------------
@dataclass
class Caption:
    """One caption event: ``kind`` is ``partial`` (replaced later) or ``final``; ``start`` and
    ``end`` are the phrase's place in the stream [s]; ``at`` is when it was ready, on the
    stream's clock [s] (for a real-time source: latency = ``at - end``)."""

    kind: str
    seq: int
    text: str
    start: float
    end: float
    at: float
    words: list[Word] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("words")
        for k in ("start", "end", "at"):
            d[k] = round(d[k], 3)
        return d


@dataclass
class LiveResult:
    """A finished live session: its final captions, language and (when written) files."""

    captions: list[Caption]
    language: str
    duration: float  # [s] of audio
    cues: list[Cue] = field(default_factory=list)
    files: tuple[Path, Path, Path] | None = None

    @property
    def text(self) -> str:
        return " ".join(c.text for c in self.captions if c.text)


class LiveCaptioner:
    """Recognise phrases as they are spoken.

    ``model``: a CTranslate2 Whisper folder; ``language``: ISO 639-1 code or None (the model
    decides per phrase); ``partial_every`` [s]: how often an open phrase is recognised again
    for a partial caption (only when recognition keeps up); ``on_caption`` gets every event.
    """

    def __init__(self, model: str | Path | None, language: str | None = None,
                 partial_every: float = 1.0, beam_size: int = 1, threads: int = 0,
                 vad: EnergyVad | None = None,
                 on_caption: Callable[[Caption], None] | None = None) -> None:
        self.whisper = load_model(model, threads)
        if language is not None:
            language = language.strip().lower()
            if language == "auto":
                language = None
        if language is not None and not self.whisper.model.is_multilingual and language != "en":
            raise InputError("--language", None, f"{language!r}: this model is English-only; "
                             "point --model at a multilingual Whisper model (CTranslate2 "
                             "format) for other languages")
        if language is not None and language not in _languages(self.whisper):
            raise InputError("--language", None, f"{language!r} is not a language the model "
                             "knows (use auto or an ISO 639-1 code such as en, ru)")
        self.language = language
        self.partial_every = partial_every
        self.beam_size = beam_size
        self.vad = vad or EnergyVad()
        self.on_caption = on_caption
        self.captions: list[Caption] = []
        self.detected: str | None = None
        self._seq = 0
        self._clock0: float | None = None
        # the first recognition is slow (memory, caches): pay for it before the audio starts
        self.recognise(np.zeros(SAMPLE_RATE, dtype=np.float32), final=True)

    def _now(self) -> float:
        return time.monotonic() - (self._clock0 or time.monotonic())

    def recognise(self, audio: np.ndarray, final: bool) -> tuple[str, list[Word], str]:
        """Text, timed words (relative to the phrase) and language of one phrase."""
        segments, info = self.whisper.transcribe(
            audio, language=self.language, beam_size=self.beam_size if final else 1,
            word_timestamps=final, vad_filter=False, condition_on_previous_text=False,
            without_timestamps=not final)
        texts, words = [], []
        for seg in segments:
            texts.append(seg.text.strip())
            words += [Word(w.word.strip(), float(w.start), float(w.end))
                      for w in (seg.words or [])]
        return " ".join(t for t in texts if t), words, info.language

    def _emit(self, kind: str, phrase: Phrase) -> None:
        text, words, lang = self.recognise(phrase.audio, kind == "final")
        self.detected = lang
        cap = Caption(kind, self._seq, text, phrase.start, phrase.end, self._now(),
                      [Word(w.text, w.start + phrase.start, w.end + phrase.start)
                       for w in words])
        if kind == "final":
            self._seq += 1
            if text:
                self.captions.append(cap)
        if self.on_caption and (text or kind == "final"):
            self.on_caption(cap)

    def run(self, pcm: IO[bytes]) -> LiveResult:
        """Caption a stream of 16 kHz mono 16-bit PCM until it ends."""
        chunks: queue.Queue[bytes | None] = queue.Queue()

        def read() -> None:
            first = True
            while data := pcm.read(FRAME * 2 * 4):  # ~0.12 s
                if first:  # the stream's clock starts at its first sample
                    self._clock0 = time.monotonic() - len(data) / 2 / SAMPLE_RATE
                    first = False
                chunks.put(data)
            chunks.put(None)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        buf = b""
        last_partial = 0.0
        ended = False
        while not ended:
            try:
                item = chunks.get(timeout=0.05)
            except queue.Empty:
                item = b""
            items = [item]
            while not chunks.empty():
                items.append(chunks.get_nowait())
            finals: list[Phrase] = []
            for it in items:
                if it is None:
                    ended = True
                    break
                buf += it
                while len(buf) >= FRAME * 2:
                    frame = np.frombuffer(buf[:FRAME * 2], dtype="<i2")
                    buf = buf[FRAME * 2:]
                    if (p := self.vad.push(frame)) is not None:
                        finals.append(p)
            if ended and (p := self.vad.flush()) is not None:
                finals.append(p)
            for p in finals:
                self._emit("final", p)
                last_partial = self._now()
            # no partial when the phrase may be ending: it would delay the final caption
            if not ended and self.vad.active and chunks.empty() \
                    and self.vad.trailing_silence < 0.1 \
                    and self._now() - last_partial >= self.partial_every:
                cur = self.vad.current()
                if cur is not None and cur.end - cur.start >= 0.5:
                    self._emit("partial", cur)
                    last_partial = self._now()
        reader.join(timeout=5)
        lang = self.language or self.detected or "en"
        return LiveResult(self.captions, lang, self.vad.time)


def transcript_cues(captions: list[Caption]) -> list[Cue]:
    """Caption cues (cues.py rules) from the timed words of final captions."""
    words = [w for c in captions for w in c.words if w.text]
    return build_cues(words)


# -- the workspace side --------------------------------------------------------------------------
class EventLog:
    """Caption events as JSON lines in ``outputs/access/live/current.jsonl`` (one session at a
    time: a new session starts the file again), read by the live page's event stream."""

    def __init__(self, workspace_root: Path, session: str) -> None:
        self.dir = workspace_root / LIVE_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / CURRENT
        self.session = session
        tmp = self.dir / f".{CURRENT}.{os.getpid()}"
        tmp.write_text("", encoding="utf-8")
        os.replace(tmp, self.path)  # readers see a new file (new inode): a new session
        self.write({"kind": "start", "session": session})

    def write(self, event: dict[str, Any]) -> None:
        line = json.dumps({"session": self.session, **event}, ensure_ascii=False) + "\n"
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()

    def caption(self, cap: Caption) -> None:
        self.write(cap.to_dict())


def session_name(now: datetime | None = None) -> str:
    """``live-YYYYMMDD-HHMMSS`` (UTC): the stem of the session's caption files."""
    return "live-" + (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")


def caption_live(source: str, model: str | Path | None = None, language: str | None = None,
                 workspace_root: Path | None = None, realtime: bool = True,
                 partial_every: float = 1.0, stdin: IO[bytes] | None = None,
                 on_caption: Callable[[Caption], None] | None = None,
                 session: str | None = None) -> LiveResult:
    """Run a live session on ``source`` (file, ``-`` or ``mic``) until the audio ends (or
    Ctrl+C). With ``workspace_root``: events go to ``outputs/access/live/current.jsonl`` and the
    transcript to ``outputs/access/captions/<session>.{vtt,srt,cues.json}``."""
    cmd = ffmpeg_command(source, realtime)
    session = session or session_name()
    log: EventLog | None = None

    def publish(cap: Caption) -> None:
        if log:
            log.caption(cap)
        if on_caption:
            on_caption(cap)

    captioner = LiveCaptioner(model, language, partial_every=partial_every,
                              on_caption=publish)
    if workspace_root is not None:  # a new session on the page once the model is ready
        log = EventLog(workspace_root, session)
    proc = subprocess.Popen(cmd, stdin=stdin if source == "-" else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        result = captioner.run(proc.stdout)
    except KeyboardInterrupt:
        proc.terminate()
        result = LiveResult(captioner.captions, captioner.language or captioner.detected
                            or "en", captioner.vad.time)
    finally:
        proc.stdout.close()
        err = ""
        if proc.stderr:
            err = proc.stderr.read().decode(errors="replace")
            proc.stderr.close()
        code = proc.wait(timeout=10)
    if code not in (0, -15, 255) and not result.captions:
        raise InputError(source, None, "ffmpeg could not read audio: "
                         + (err.strip().splitlines() or ["unknown error"])[-1])
    result.cues = transcript_cues(result.captions)
    if workspace_root is not None:
        out = workspace_root / "outputs" / "access" / "captions"
        result.files = write_captions(result.cues, out, session, result.language)
        assert log is not None
        log.write({"kind": "end", "stem": session, "cues": len(result.cues)})
    return result


def follow(path: Path, stop: Callable[[], bool], poll: float = 0.2,
           backlog: int = 50) -> Iterator[dict[str, Any] | None]:
    """Events of the current session as they are written: first the last ``backlog`` events
    already there, then new ones; a new session (the file replaced) starts over. Yields None
    when nothing new arrived within ``poll`` [s] (so a caller can send a keep-alive); with
    ``poll=0`` it never sleeps, and an asynchronous caller waits between steps itself."""
    inode, pos = None, 0
    while not stop():
        try:
            st = path.stat()
        except FileNotFoundError:
            yield None
            if poll:
                time.sleep(poll)
            continue
        if st.st_ino != inode or st.st_size < pos:
            inode, pos = st.st_ino, 0
            with path.open("rb") as f:
                lines = f.read().splitlines(keepends=True)
            complete = [ln for ln in lines if ln.endswith(b"\n")]
            pos = sum(len(ln) for ln in complete)
            for ln in complete[:1] + complete[1:][-backlog:]:
                if (ev := _event(ln)) is not None:
                    yield ev
            continue
        if st.st_size > pos:
            with path.open("rb") as f:
                f.seek(pos)
                data = f.read()
            complete = data[:data.rfind(b"\n") + 1]
            pos += len(complete)
            for ln in complete.splitlines():
                if (ev := _event(ln)) is not None:
                    yield ev
            continue
        yield None
        if poll:
            time.sleep(poll)


def _event(line: bytes) -> dict[str, Any] | None:
    try:
        ev = json.loads(line)
    except ValueError:
        return None
    return ev if isinstance(ev, dict) else None
