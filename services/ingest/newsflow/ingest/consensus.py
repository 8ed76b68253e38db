"""Choosing the body among extractors by their agreement, then trimming what only one of them kept.

trafilatura in precision mode is the best single extractor on news pages, but now and then it drops
most of a story (a live blog, an unusual template), stops half-way through a long one, or keeps a
block of chrome at the end. Its default mode and readability-lxml fail on other pages than it does.
Three checks, each on word 4-gram shingles (as the extraction benchmarks score bodies):

- Outvoted: when the default-mode and readability texts agree with each other clearly better than
  either agrees with the precision text, and the precision text is not simply a cleaner part of
  readability's, the precision text is the odd one out: readability's is taken.
- Cut short: when readability's text holds the chosen body and half as much again, and what it adds
  is prose (long paragraphs, not link lists), trafilatura stopped early: readability's is taken.
- Tail chrome: short closing lines of the chosen body that readability did not see as part of the
  article ("Like this story? Share it", related headlines, tag lists) are dropped.

Measured with bench/extraction.py (doc/choices.md has the figures of each check).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter

_WORD = re.compile(r"\w+")
# How much better the other two must agree with each other than with the precision output.
MARGIN = 0.1
# A text this much inside another is a part of it, not a different reading of the page.
CONTAINED = 0.9
# "Cut short": readability at least this many times longer, its extra paragraphs this long on average.
CUT_SHORT_RATIO = 1.5
PROSE_WORDS = 30
# "Tail chrome": closing lines up to this many words, when readability covers this much of the body.
TAIL_LINE_WORDS = 25
TAIL_COVER = 0.5


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    words = _WORD.findall(text)
    return Counter(tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1)) if words[i : i + n])


def agreement(a: str, b: str) -> float:
    """F1 of the shingles of b against those of a: 1.0 for the same words in the same order."""
    sa, sb = _shingles(a), _shingles(b)
    if not sa or not sb:
        return 0.0
    common = sum((sa & sb).values())
    if not common:
        return 0.0
    precision, recall = common / sum(sb.values()), common / sum(sa.values())
    return 2 * precision * recall / (precision + recall)


def contained(a: str, b: str) -> float:
    """The share of a's shingles that b has too."""
    sa = _shingles(a)
    if not sa:
        return 0.0
    return sum((sa & _shingles(b)).values()) / sum(sa.values())


def _seen_in(line: str, other: Counter[tuple[str, ...]], other_text: str) -> bool:
    if len(_WORD.findall(line)) < 4:  # no 4-gram: look for the words themselves
        return line.strip().lower() in other_text.lower()
    shingles = _shingles(line)
    return sum((shingles & other).values()) >= 0.5 * sum(shingles.values())


def _lines_missing_from(text: str, other: str) -> list[str]:
    sb = _shingles(other)
    return [line for line in text.split("\n") if line.split() and not _seen_in(line, sb, other)]


def _cut_short(body: str, third: str) -> bool:
    if len(third.split()) < CUT_SHORT_RATIO * len(body.split()) or contained(body, third) < CONTAINED:
        return False
    extra = _lines_missing_from(third, body)
    return bool(extra) and statistics.mean(len(line.split()) for line in extra) >= PROSE_WORDS


def _trim_tail(body: str, third: str) -> str:
    if contained(body, third) < TAIL_COVER:
        return body
    lines, other = body.split("\n"), _shingles(third)
    while len(lines) > 1:
        last = lines[-1]
        if not last.strip() or (len(last.split()) <= TAIL_LINE_WORDS and not _seen_in(last, other, third)):
            lines.pop()
            continue
        break
    return "\n".join(lines)


def choose_body(precise: str, default: str, third: str) -> tuple[str, str]:
    """(body, which): the precision-mode text, unless the checks above say otherwise; `third` is
    readability-lxml's text."""
    if (
        agreement(default, third) > max(agreement(precise, default), agreement(precise, third)) + MARGIN
        and contained(precise, third) < CONTAINED
    ):
        return third, "readability"
    if _cut_short(precise, third):
        return third, "readability (trafilatura cut short)"
    trimmed = _trim_tail(precise, third)
    return trimmed, "trafilatura" if trimmed == precise else "trafilatura (tail trimmed)"
