"""Fairness lint of an item bank: key position, length cue, duplicate stems, reading load.

Test-wise examinees score above their skill on multiple-choice items whose key sits mostly in
one position or is the longest option (Haladyna, Downing & Rodriguez 2002, guidelines 23 and
28: "balance the placement of the correct answer", "keep the length of choices about equal").
:func:`lint_bank` checks a parsed :class:`~ssckit.skills.bank.ItemBank` and returns one
:class:`Finding` per item to change; ``python -m ssckit.skills.banklint [BANK.yaml]`` prints
them one a line and exits 1 when there are any (2 when the file itself is invalid).

References
----------
Haladyna, T. M., Downing, S. M. & Rodriguez, M. C. (2002). A review of multiple-choice
item-writing guidelines for classroom assessment. *Applied Measurement in Education* 15(3),
309-333.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from ssckit.core.errors import InputError
from ssckit.skills.bank import LANGUAGES, Item, ItemBank, load_bank

#: No key position may hold more than this share of the multiple-choice keys.
MAX_KEY_POSITION_SHARE = 0.40
#: Nor may any position hold less than this fraction of its fair share 1/K of the keys.
MIN_KEY_POSITION_RATIO = 0.5
#: The key may be the strictly longest option in at most this share of multiple-choice items
#: (by chance, with four options of equal expected length, it is in about 1/4).
MAX_LONGEST_KEY_SHARE = 1 / 3
#: Longest sentence of a stem [words]; plain-language limit for a public test.
MAX_SENTENCE_WORDS = 25
#: Longest stem [words].
MAX_STEM_WORDS = 40

_SENTENCE = re.compile(r"(?<=[.?!])\s+")
_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Finding:
    """One thing to change in the bank.

    Attributes
    ----------
    check : str
        ``"key_position"``, ``"length_cue"``, ``"duplicate_stem"`` or ``"reading_load"``.
    item : str
        Item id.
    field : str
        Field of the item to change (``"key"``, ``"options"``, ``"stem.en"`` ...).
    message : str
        What is wrong, with the numbers and the allowed range.
    fix : str
        What to change.
    """

    check: str
    item: str
    field: str
    message: str
    fix: str

    def line(self, source: str) -> str:
        """The finding as one line: ``file: item, field: message; fix``."""
        return f"{source}: item {self.item}, field '{self.field}': {self.message}; {self.fix}"


def _multiple_choice(bank: ItemBank) -> list[Item]:
    return [it for it in bank if it.type == "multiple_choice"]


def key_positions(bank: ItemBank) -> np.ndarray:
    """Number of multiple-choice keys in each option position (0 = first), shape (K,)."""
    mc = _multiple_choice(bank)
    k = max((len(it.options) for it in mc), default=0)
    counts = np.zeros(k, dtype=int)
    for it in mc:
        counts[it.option_ids.index(it.key)] += 1  # type: ignore[arg-type]
    return counts


def key_position_findings(bank: ItemBank, max_share: float = MAX_KEY_POSITION_SHARE,
                          min_ratio: float = MIN_KEY_POSITION_RATIO) -> list[Finding]:
    """Items to re-key when one option position holds too many or too few of the keys.

    The bank fails when a position holds more than ``max_share`` of the multiple-choice keys,
    or less than ``min_ratio / K`` (K option positions); every item keyed at a position above
    its fair share 1/K is then named, with the positions to move keys to.

    Notes
    -----
    The share rules decide; the chi-square goodness-of-fit p-value against equal shares
    (Pearson's statistic over the K positions, K - 1 degrees of freedom) is given in the
    message as evidence.
    """
    counts = key_positions(bank)
    total = int(counts.sum())
    if total == 0 or counts.size < 2:
        return []
    shares = counts / total
    fair = 1.0 / counts.size
    if not (shares > max_share).any() and not (shares < min_ratio * fair).any():
        return []
    p = float(stats.chisquare(counts).pvalue)
    letters = [chr(ord("a") + i) for i in range(counts.size)]
    spread = ", ".join(f"{c} {n}" for c, n in zip(letters, counts.tolist(), strict=True))
    under = " or ".join(letters[i] for i in np.flatnonzero(shares < fair))
    out = []
    for it in _multiple_choice(bank):
        pos = it.option_ids.index(it.key)  # type: ignore[arg-type]
        if shares[pos] > fair:
            out.append(Finding(
                "key_position", it.id, "key",
                f"keys by position: {spread} of {total} (each position must hold between "
                f"{min_ratio * fair:.0%} and {max_share:.0%}; chi-square p = {p:.3g}); this "
                f"key is in over-used position {letters[pos]}",
                f"reorder the options so that the key is in position {under}, relabelling "
                f"the ids and the key"))
    return out


def _strictly_longest_key(it: Item, lang: str) -> tuple[int, int] | None:
    """(key length, longest distractor length) [characters] if the key is strictly longest."""
    lengths = {o.id: len(o.text.get(lang)) for o in it.options}
    key = lengths.pop(str(it.key))
    longest = max(lengths.values())
    return (key, longest) if key > longest else None


def length_cue_findings(bank: ItemBank, max_share: float = MAX_LONGEST_KEY_SHARE
                        ) -> list[Finding]:
    """Items whose key is the strictly longest option, when that happens in more than
    ``max_share`` of the multiple-choice items in any bank language."""
    mc = _multiple_choice(bank)
    out = []
    for lang in LANGUAGES:
        cued = [(it, c) for it in mc if (c := _strictly_longest_key(it, lang)) is not None]
        if not mc or len(cued) / len(mc) <= max_share:
            continue
        for it, (key, longest) in cued:
            out.append(Finding(
                "length_cue", it.id, f"options.{lang}",
                f"the key is the longest option ({key} characters, longest distractor "
                f"{longest}) as in {len(cued)} of {len(mc)} items (allowed at most "
                f"{max_share:.0%})",
                "lengthen a distractor (keeping it wrong) or shorten the key"))
    return out


def _normal(text: str) -> str:
    return _NON_WORD.sub(" ", text.casefold()).strip()


def duplicate_stem_findings(bank: ItemBank) -> list[Finding]:
    """Items whose stem, ignoring case, spacing and punctuation, repeats an earlier item's."""
    out = []
    for lang in LANGUAGES:
        first: dict[str, str] = {}
        for it in bank:
            if it.type == "self_rating":
                continue
            key = _normal(it.stem.get(lang))
            if key in first:
                out.append(Finding("duplicate_stem", it.id, f"stem.{lang}",
                                   f"the stem repeats item {first[key]}'s",
                                   "reword the stem or remove one of the two items"))
            else:
                first[key] = it.id
    return out


def reading_load_findings(bank: ItemBank, max_sentence: int = MAX_SENTENCE_WORDS,
                          max_words: int = MAX_STEM_WORDS) -> list[Finding]:
    """Stems with a sentence longer than ``max_sentence`` words or more than ``max_words``."""
    out = []
    for it in bank:
        for lang in LANGUAGES:
            text = it.stem.get(lang)
            words = len(text.split())
            longest = max(len(s.split()) for s in _SENTENCE.split(text))
            if words > max_words or longest > max_sentence:
                out.append(Finding(
                    "reading_load", it.id, f"stem.{lang}",
                    f"{words} words, longest sentence {longest} (allowed at most {max_words} "
                    f"and {max_sentence})", "split long sentences and cut what is not needed"))
    return out


def lint_bank(bank: ItemBank) -> list[Finding]:
    """All findings of the checks above, in check order, then in bank order."""
    findings = (key_position_findings(bank) + length_cue_findings(bank)
                + duplicate_stem_findings(bank) + reading_load_findings(bank))
    order = {it.id: i for i, it in enumerate(bank)}
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_check[f.check].append(f)
    return [f for fs in by_check.values() for f in sorted(fs, key=lambda f: order[f.item])]


def main(argv: list[str] | None = None) -> int:
    """``python -m ssckit.skills.banklint [BANK.yaml]``: print the findings, one a line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        print("usage: python -m ssckit.skills.banklint [BANK.yaml]  (default: the packaged "
              "bank)", file=sys.stderr)
        return 2
    try:
        bank = load_bank(Path(args[0]) if args else None)
    except InputError as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)   # one line
        return 2
    findings = lint_bank(bank)
    for f in findings:
        print(f.line(bank.source))
    mc = len(_multiple_choice(bank))
    print(f"{len(bank)} items ({mc} multiple choice), key positions "
          f"{key_positions(bank).tolist()}: {len(findings)} finding(s)",
          file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
