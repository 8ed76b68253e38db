"""Agency credits: the line where a story names the news agencies it draws on, as DW closes its stories
("wd/sms (AFP, Reuters, epd)": the writers' and editors' initials, then the agencies).

Extractors drop that line as a byline, rightly: it is not body text, and the extraction benchmarks'
ground truth leaves it out. But the agencies are the story's sources, which downstream users look for
among its organisations. So ingest keeps them as `Article.credits`, and enrich counts them as
organisations.
"""

from __future__ import annotations

import re

# Initials separated by slashes (at least two: one alone is any word), then a bracketed list. Only as a
# whole line, among the last few lines of the page's article text.
CREDIT_LINE = re.compile(r"^[a-z]{1,5}(?:\s*/\s*[a-z]{1,5})+\s*\(([^()]{2,100})\)$")
# An agency: up to three words, no punctuation beyond what names use ("Agence France-Presse", "AP").
AGENCY = re.compile(r"^[^\W\d_][\w.&'-]*(?: [^\W\d_][\w.&'-]*){0,2}$")
TAIL_LINES = 8


def agency_credits(text: str) -> list[str]:
    """The agencies of the article's credit line, in their order; none when it has no such line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines[-TAIL_LINES:]):
        if match := CREDIT_LINE.match(line):
            items = [item.strip() for item in re.split(r",|;|\band\b", match.group(1))]
            if items and all(AGENCY.match(item) for item in items):
                return list(dict.fromkeys(items))
    return []
