"""Days a page writes for its readers, read in one way everywhere: the day it shows beside its
headline (with its time when shown), the days its text writes, a title part that is a day (titles.py).

The day beside the headline matters where the page declares none.

Many pages declare no publication time in their metadata but show it to readers next to the headline:
"20.12.2022" in a post-date field under the `<h1>`, "13 Oct 2020 18:29" in the line of meta links after
it, "02.02.2022 10:16 Uhr" just above it. htmldate reads the whole page and can take a day from a list
of other stories further down instead. So: the full day (day, month and year; no year or month alone)
written nearest to the headline's `<h1>`, a little above it or further below it, in a text of its own
(a short run of text between tags: a caption's "… January 16, 2020. Julien De Rosa/Reuters" is a
sentence, not a dateline). A time of day written right after that day in the same run ("29.04.2020,
12:01 Uhr", "13 Oct 2020 18:29", "November 8, 2023 9:15 pm") comes with it, as a wall-clock time: the
page says when the story went online, which a newspaper's declared print day may not (dates.py).
Measured in doc/choices.md.
"""

from __future__ import annotations

import re
from datetime import date

from htmldate.extractors import LONG_TEXT_PATTERN, regex_parse

# How far from the headline a shown day is looked for, in characters of markup.
BEFORE_HEADLINE = 300
AFTER_HEADLINE = 2_500
# The longest run of text a dateline is part of ("02.02.2022 10:16 Uhr - 1. Bundesliga - Pressemeldung").
MAX_DATELINE_CHARS = 60

_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.S | re.I)
_MARKUP = re.compile(r"<!--.*?-->|<[^>]*>", re.S)
# Written day first with dots (European), or year first with hyphens (ISO); slashed days are left out
# (04/05/2023 is April or May by the country).
_NUMERIC_DAY = re.compile(
    r"(?<![\d.])(\d{1,2})\.\s?(\d{1,2})\.\s?((?:19|20)\d\d)(?!\d)|(?<!\d)((?:19|20)\d\d)-(\d\d)-(\d\d)(?!\d)"
)
_CUT = "\x00"  # stands for markup, so that offsets stay those of the page
# A time of day right after a day in the same run of text: "12:01 Uhr", "um 12:30", "at 9:15 pm", "à 14h05".
_TIME_AFTER = re.compile(
    r"[\s,]*(?:(?:um|at|à|a las|om|alle|-|–|\|)\s*)?(\d{1,2})[:h](\d{2})(?::\d{2})?(?!\d)(?:\s*([ap])\.?m\b\.?)?",
    re.I,
)


def _words(markup: str) -> str:
    return " ".join(_MARKUP.sub(" ", markup).split()).casefold()


def _headline(html: str, title: str) -> re.Match[str] | None:
    """The `<h1>` that shows the title (the title may have lost a kicker the heading keeps)."""
    wanted = " ".join(title.split()).casefold()
    for m in _H1.finditer(html):
        shown = _words(m.group(1))
        if shown and (shown == wanted or wanted in shown or (len(shown) > 15 and shown in wanted)):
            return m
    return None


def _days(text: str) -> list[tuple[int, int, str]]:
    """(start, end, YYYY-MM-DD) of every full day written in text."""
    found = []
    for m in _NUMERIC_DAY.finditer(text):
        try:
            day = date(int(m[3]), int(m[2]), int(m[1])) if m[1] else date(int(m[4]), int(m[5]), int(m[6]))
        except ValueError:
            continue
        found.append((m.start(), m.end(), day.isoformat()))
    for m in LONG_TEXT_PATTERN.finditer(text):
        if parsed := regex_parse(m.group()):  # month names in many languages ("3. Dezember 2011")
            found.append((m.start(), m.end(), parsed.date().isoformat()))
    return sorted(found)


def _with_time(text: str, end: int, day: str) -> str:
    """The day, or the day and the wall-clock time written right after it (YYYY-MM-DDTHH:MM)."""
    m = _TIME_AFTER.match(text, end)
    if m is None:
        return day
    hour, minute = int(m[1]), int(m[2])
    if m[3]:
        if not 1 <= hour <= 12:
            return day
        hour = hour % 12 + (12 if m[3].lower() == "p" else 0)
    if hour > 23 or minute > 59:
        return day
    return f"{day}T{hour:02d}:{minute:02d}"


def day_of(text: str) -> str | None:
    """The day (YYYY-MM-DD) when the whole text is one full day as above ("28.04.2023", "2023-04-28",
    "3. Dezember 2011"), else None."""
    found = _days(text.strip())
    return found[0][2] if len(found) == 1 and found[0][:2] == (0, len(text.strip())) else None


def is_dateline(text: str) -> bool:
    """The text is one full day, with at most one word more: the weekday of a blog's date heading
    ("Friday, December 23, 2016")."""
    found = _days(text)
    if len(found) != 1:
        return False
    start, end, _ = found[0]
    return len((text[:start] + text[end:]).split()) <= 1


def written_days(html: str) -> list[str]:
    """Every full day (YYYY-MM-DD) the page's text writes, in the order written, in the forms above."""
    return [found for _, _, found in _days(_MARKUP.sub(" ", html))]


def writes_day(html: str, day: str) -> bool:
    """Whether the page's text writes the day (YYYY-MM-DD) in full."""
    return day in written_days(html)


def day_by_headline(html: str, title: str | None) -> str | None:
    """The day (YYYY-MM-DD) shown nearest to the headline, with its time where one follows it
    (YYYY-MM-DDTHH:MM, as written: no offset), or None."""
    headline = _headline(html, title) if title else None
    if headline is None:
        return None
    start = max(0, headline.start() - BEFORE_HEADLINE)
    window = _MARKUP.sub(lambda m: _CUT * len(m.group()), html[start : headline.end() + AFTER_HEADLINE])
    top, bottom = headline.start() - start, headline.end() - start
    best: tuple[int, str] | None = None
    for a, b, day in _days(window):
        if a < bottom and b > top:
            continue  # in the headline itself
        run_start = window.rfind(_CUT, 0, a) + 1
        run_end = window.find(_CUT, b)
        if len(window[run_start : run_end if run_end >= 0 else None].strip()) > MAX_DATELINE_CHARS:
            continue
        distance = a - bottom if a >= bottom else top - b
        if best is None or distance < best[0]:
            best = (distance, _with_time(window, b, day))
    return best[1] if best else None
