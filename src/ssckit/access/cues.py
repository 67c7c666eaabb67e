"""Caption cues from timed words: line breaking, timing rules, WebVTT and SRT, and WER.

Pure functions: words with times in, cues and caption text out.

The rules follow common broadcast and web captioning practice (e.g. the BBC Subtitle
Guidelines and the W3C WebVTT format): at most two lines of at most 42 characters per cue,
each cue shown for at least 1 s and at most 7 s, cues never overlapping, a new cue after a
sentence end or a pause.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ssckit.core.errors import InputError
from ssckit.core.i18n import gettext as _

MAX_CHARS = 42      # characters per line
MAX_LINES = 2       # lines per cue
MIN_DURATION = 1.0  # [s]
MAX_DURATION = 7.0  # [s]
PAUSE = 1.0         # [s] a silence this long between words starts a new cue
MIN_GAP = 0.04      # [s] kept between a cue's end and the next cue's start when extending

_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


@dataclass(frozen=True)
class Word:
    """One recognised word and its time span [s]."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Cue:
    """One caption: its time span [s] and its text, lines separated by ``\\n``."""

    start: float
    end: float
    text: str

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def to_dict(self) -> dict[str, float | str]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "text": self.text}


def wrap(text: str, max_chars: int = MAX_CHARS, max_lines: int = MAX_LINES) -> list[str]:
    """Break ``text`` into lines of at most ``max_chars``: one line if it fits, else two lines
    as balanced as possible; if two are not enough, greedy lines (as many as needed)."""
    words = text.split()
    one = " ".join(words)
    if len(one) <= max_chars:
        return [one] if one else []
    if max_lines >= 2:
        best: tuple[int, list[str]] | None = None
        for i in range(1, len(words)):
            a, b = " ".join(words[:i]), " ".join(words[i:])
            if len(a) <= max_chars and len(b) <= max_chars:
                longest = max(len(a), len(b))
                if best is None or longest < best[0]:
                    best = (longest, [a, b])
        if best is not None:
            return best[1]
    lines: list[str] = []
    for w in words:
        if lines and len(lines[-1]) + 1 + len(w) <= max_chars:
            lines[-1] += " " + w
        else:
            lines.append(w)
    return lines


def fits(text: str, max_chars: int = MAX_CHARS, max_lines: int = MAX_LINES) -> bool:
    """True when ``text`` wraps into at most ``max_lines`` lines of at most ``max_chars``."""
    lines = wrap(text, max_chars, max_lines)
    return len(lines) <= max_lines and all(len(line) <= max_chars for line in lines)


def build_cues(words: Iterable[Word], max_chars: int = MAX_CHARS, max_lines: int = MAX_LINES,
               min_duration: float = MIN_DURATION, max_duration: float = MAX_DURATION,
               pause: float = PAUSE) -> list[Cue]:
    """Group timed words into cues.

    A cue closes before a word that would not fit in ``max_lines`` lines of ``max_chars``, that
    would make the cue last longer than ``max_duration`` [s], or that follows a silence of at
    least ``pause`` [s]; and after a word that ends a sentence. Then each cue is held on screen
    for at least ``min_duration`` [s] where the next cue leaves room, and none overlaps the
    next.
    """
    groups: list[list[Word]] = []
    cur: list[Word] = []
    for w in words:
        text = w.text.strip()
        if not text:
            continue
        w = Word(text, float(w.start), max(float(w.end), float(w.start)))
        if cur:
            candidate = " ".join(x.text for x in cur) + " " + text
            if (not fits(candidate, max_chars, max_lines)
                    or w.end - cur[0].start > max_duration
                    or w.start - cur[-1].end >= pause):
                groups.append(cur)
                cur = []
        cur.append(w)
        if _SENTENCE_END.search(text):
            groups.append(cur)
            cur = []
    if cur:
        groups.append(cur)

    cues: list[Cue] = []
    for i, g in enumerate(groups):
        start, end = g[0].start, g[-1].end
        nxt = groups[i + 1][0].start if i + 1 < len(groups) else None
        end = min(max(end, start + min_duration), start + max_duration)
        if nxt is not None:
            end = min(end, max(g[-1].end, nxt - MIN_GAP), nxt)
        if cues and start < cues[-1].end:
            start = cues[-1].end
        end = max(end, start + 0.001)
        text = "\n".join(wrap(" ".join(x.text for x in g), max_chars, max_lines))
        cues.append(Cue(round(start, 3), round(end, 3), text))
    return cues


def _timestamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_webvtt(cues: Sequence[Cue], language: str | None = None) -> str:
    """The cues as a WebVTT file (W3C WebVTT: header, blank-line separated cues, ``.`` ms)."""
    head = "WEBVTT" + (f"\nLanguage: {language}" if language else "")
    body = [f"{i}\n{_timestamp(c.start, '.')} --> {_timestamp(c.end, '.')}\n{_vtt_text(c.text)}"
            for i, c in enumerate(cues, 1)]
    return "\n\n".join([head, *body]) + "\n"


def _vtt_text(text: str) -> str:
    # In WebVTT cue text, & and < start entities/tags, and "-->" may not appear.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_srt(cues: Sequence[Cue]) -> str:
    """The cues as a SubRip (SRT) file (numbered cues, ``,`` before the milliseconds)."""
    return "\n".join(f"{i}\n{_timestamp(c.start, ',')} --> {_timestamp(c.end, ',')}\n{c.text}\n"
                     for i, c in enumerate(cues, 1))


def cues_from_json(data: object, source: str = "cues JSON") -> list[Cue]:
    """Cues from corrected JSON (a list of ``{"start", "end", "text"}``, or an object with a
    ``"cues"`` list); text is re-wrapped to the line rules. Bad entries raise InputError."""
    items = data.get("cues") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise InputError(source, None, _('expected a list of cues {"start", "end", "text"}'))
    cues: list[Cue] = []
    for i, item in enumerate(items):
        where = _("cue {n}").format(n=i + 1)
        if not isinstance(item, dict):
            raise InputError(source, where, _('expected an object {"start", "end", "text"}'))
        try:
            start, end = float(item["start"]), float(item["end"])
            text = str(item["text"])
        except (KeyError, TypeError, ValueError):
            raise InputError(source, where, _('needs numeric "start", "end" [s] and "text"')
                             ) from None
        if not 0 <= start < end:
            raise InputError(source, where, _("start {start} must be >= 0 and before end "
                                              "{end}").format(start=start, end=end))
        if cues and start < cues[-1].end:
            raise InputError(source, where, _("starts at {start} s, before the previous cue "
                                              "ends ({end} s); cues may not overlap").format(
                                                  start=start, end=cues[-1].end))
        text = "\n".join(wrap(" ".join(text.split())))
        if text:
            cues.append(Cue(start, end, text))
    return cues


def problems(cues: Sequence[Cue], max_chars: int = MAX_CHARS, max_lines: int = MAX_LINES,
             min_duration: float = MIN_DURATION, max_duration: float = MAX_DURATION,
             ) -> list[str]:
    """Where cues break the line and timing rules (empty when they all hold)."""
    out = []
    for i, c in enumerate(cues, 1):
        if len(c.lines) > max_lines or any(len(line) > max_chars for line in c.lines):
            out.append(_("cue {i}: more than {lines} lines of {chars} characters").format(
                i=i, lines=max_lines, chars=max_chars))
        if c.end - c.start > max_duration + 1e-9:
            out.append(_("cue {i}: shown {s} s, over {limit} s").format(
                i=i, s=f"{c.end - c.start:.2f}", limit=max_duration))
        nxt = cues[i].start if i < len(cues) else None
        if c.end - c.start < min_duration - 1e-9 and (nxt is None or c.end < nxt - MIN_GAP):
            out.append(_("cue {i}: shown {s} s, under {limit} s").format(
                i=i, s=f"{c.end - c.start:.2f}", limit=min_duration))
        if nxt is not None and c.end > nxt + 1e-9:
            out.append(_("cue {i}: overlaps the next cue").format(i=i))
    return out


# -- word error rate ----------------------------------------------------------------------------
def normalise_text(text: str) -> list[str]:
    """Words for WER: Unicode NFKC, lower case, punctuation removed (apostrophes inside words
    and hyphens joining words kept as part of the word), split on white space."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = re.sub(r"[^\w\s'-]", " ", text)
    text = re.sub(r"(?<!\w)['-]|['-](?!\w)", " ", text)
    return text.split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate (S + D + I) / N of ``hypothesis`` against ``reference``.

    Notes
    -----
    Levenshtein distance over the words of :func:`normalise_text`: substitutions S, deletions D
    and insertions I of the minimum edit, N the number of reference words. 0 is perfect; it can
    exceed 1 when the hypothesis has many extra words. An empty reference gives 0 for an empty
    hypothesis and 1 otherwise.
    """
    ref, hyp = normalise_text(reference), normalise_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
