"""Choosing the body among extractors by their agreement.

trafilatura in precision mode is the best single extractor on news pages, but now and then it drops
most of a story (a live blog, an unusual template) or keeps a block of chrome. Its default mode and
readability-lxml fail on other pages than it does. When those two agree with each other clearly better
than either agrees with the precision output, the precision output is the odd one out, and the
readability text is taken instead. Agreement is measured on word 4-gram shingles, as the extraction
benchmarks score bodies.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

_WORD = re.compile(r"\w+")
# How much better the other two must agree with each other than with the precision output.
MARGIN = 0.1


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    words = _WORD.findall(text)
    return Counter(tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1)) if words[i:i + n])


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


def choose_body(precise: str, default: str, readable: Callable[[], str]) -> tuple[str, str]:
    """(body, which): the precision-mode text unless the other two outvote it.

    `readable` is called only when its vote can matter: agreement is at most 1.0, so when the two
    trafilatura texts agree within MARGIN of that, readability cannot outvote the precision text.
    """
    settled = agreement(precise, default)
    if settled >= 1.0 - MARGIN:
        return precise, "trafilatura"
    third = readable()
    if agreement(default, third) > max(settled, agreement(precise, third)) + MARGIN:
        return third, "readability"
    return precise, "trafilatura"
