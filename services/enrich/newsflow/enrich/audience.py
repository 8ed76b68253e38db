"""The country an English text is written for, read off its conventions: its spelling and its money.

A local story names its town and little else ("the Athens City Council", "Dublin's boards and
commissions"); the gazetteer then prefers the larger namesake abroad. The writer's conventions say
where the readers are: American spelling ("center", "labor"), "percent" in one word and sums in
dollars are written for the United States; British spelling ("centre", "labour"), "per cent" and
pounds for Britain. Canada writes "centre" too but "-ize" and "program", so Britain needs its money or
a form Canada does not write; Canada, Australia and New Zealand write dollars, Ireland and the rest of
Europe euros: those mixes name no one country, and give none. This is a weak prior, for
names the story gives no other evidence on; a site's own country (its domain, its `og:locale`) would
be a stronger one, where the page has it.
"""

from __future__ import annotations

import re

# Word forms of each spelling, American first: what one convention writes and the other never does.
# Canada writes the British forms of these (and "per cent"), so they tell the United States from Canada
# too.
_SPELLINGS = (
    ("center", "centre"),
    ("centers", "centres"),
    ("color", "colour"),
    ("colors", "colours"),
    ("favor", "favour"),
    ("favorite", "favourite"),
    ("honor", "honour"),
    ("honored", "honoured"),
    ("labor", "labour"),
    ("neighbor", "neighbour"),
    ("neighbors", "neighbours"),
    ("neighborhood", "neighbourhood"),
    ("theater", "theatre"),
    ("defense", "defence"),
    ("traveled", "travelled"),
    ("traveling", "travelling"),
    ("canceled", "cancelled"),
    ("jewelry", "jewellery"),
    ("marvelous", "marvellous"),
    ("analyze", "analyse"),
    ("analyzed", "analysed"),
    ("catalog", "catalogue"),
    ("fulfill", "fulfil"),
    ("enroll", "enrol"),
    ("pajamas", "pyjamas"),
    ("aluminum", "aluminium"),
    ("airplane", "aeroplane"),
    ("mold", "mould"),
    ("plow", "plough"),
    ("councilor", "councillor"),
    ("councilors", "councillors"),
    ("percent", "per cent"),
)
# American only: Britain and Canada write "councillor" for both.
_AMERICAN_ONLY = ("councilman", "councilmen", "councilwoman")
# British (and Australian) only: the United States and Canada write "-ize", "program" and "tire".
_BRITISH_ONLY = (
    "programme",
    "programmes",
    "tyre",
    "tyres",
    "organisation",
    "organisations",
    "organised",
    "recognised",
    "realised",
    "apologised",
    "criticised",
)
_AMERICAN = frozenset({us for us, _ in _SPELLINGS} | set(_AMERICAN_ONLY))
_BRITISH = frozenset({gb for _, gb in _SPELLINGS} | set(_BRITISH_ONLY)) - {"per cent"}
_WORD = re.compile(r"[a-z]+")
_PER_CENT = re.compile(r"\bper cent\b")
_DOLLARS = re.compile(r"(?<![A-Za-z])\$\s?\d")  # "$765,000", not "C$" or "A$", which name their country
_POUNDS = re.compile(r"£\s?\d")
_EUROS = re.compile(r"€\s?\d|\d\s?€")

MIN_CUES = 2  # a single word is a quotation or a proper name ("Rockefeller Center")


def audience_country(text: str) -> str | None:
    """The readers' country, US or GB, when the text's conventions agree on it at least twice and never
    point the other way; otherwise None."""
    lower = text.lower()
    american = not_canadian = 0
    british = len(_PER_CENT.findall(lower))  # two words: the only cue not read word by word
    for word in _WORD.findall(lower):
        if word in _AMERICAN:
            american += 1
        elif word in _BRITISH:
            british += 1
            not_canadian += word in _BRITISH_ONLY
    dollars = len(_DOLLARS.findall(text))
    pounds = len(_POUNDS.findall(text))
    if _EUROS.search(text):
        return None
    # Dollars are the United States' only with its spelling: Canada, Australia and others write them too.
    if american and american + dollars >= MIN_CUES and not british and not pounds:
        return "US"
    # Canada writes "centre" and "colour" too, so Britain needs its own money or a form Canada does not
    # write ("organised", "programme"). Australia and New Zealand write those as well: without dollars
    # in the text, they are read as Britain.
    if british + pounds >= MIN_CUES and (pounds or not_canadian) and not american and not dollars:
        return "GB"
    return None
