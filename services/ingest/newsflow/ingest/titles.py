"""The article's headline, without what publishers add to it in the page's title fields.

A declared title (JSON-LD headline, og:title, <title>) often carries the site's name, a section or the
date: "Ukrainische Gegenoffensive: Ziele, Chancen, Risiken | DW | 28.04.2023", "… - Golem.de". The
page's own <h1> shows the headline as readers see it. So:

1. when an <h1> is a run of the declared title's parts (split at " | ", " - " …), that run is the
   headline: the parts around it are site or section;
2. otherwise, parts at either end that name the site (its name, its domain) or are a date are dropped;
3. a declared title that is nothing but the site's name gives way to the <h1> (without one, to the
   first <h2>), and so does one that begins with the <h1> and adds to it, or one that
   shares less than 70% of its words with it: an SEO title written for search and sharing
   ("Wärmepumpe im Altbau - Wann es sich lohnt") beside the headline readers see ("Eignet sich eine
   Wärmepumpe im Altbau?"). A JSON-LD headline is kept.

Measured with bench/metadata.py (titles exact on the metadata corpus; doc/choices.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from tld import get_fld

from newsflow.ingest.headline_dates import day_of, is_dateline
from newsflow.text import key

# Between a headline and what surrounds it. Not ": ", which separates a kicker that is part of the
# headline as publishers write it ("Kenia: Nairobi von unten").
SEPARATORS = re.compile(r"(\s+[|–—-]\s+|\s*\|\s*|\s+::\s+|\s+//\s+|\s+[»«·•]\s+)")
DATE_PART = re.compile(r"^\s*(?:\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\d{1,2}\.\s*\w+\s+\d{4})\s*$")
# The same, and the colon after a kicker: where a JSON-LD headline and the og:title part ways.
KICKER_SEPARATORS = re.compile(SEPARATORS.pattern[:-1] + r"|:\s+)")
MIN_HEADING_WORDS = 2
CUT_HEADLINE = 60  # characters: a shorter headline that begins another one is not a cut one
# Days written so that they read one way only: day.month.year (as in German, Dutch, Nordic titles), ISO.


def _site_keys(site_names: Iterable[str | None], url: str | None) -> set[str]:
    keys = {key(s) for s in site_names if s}
    host = (urlsplit(url or "").hostname or "").removeprefix("www.")
    if host:
        keys.add(key(host))
        # The registered name under its public suffix: "nationalrail" of nationalrail.co.uk, not "co".
        # Not under a private one: a blog's name on blogspot.com is no suffix to its titles.
        domain = get_fld(url or "", fail_silently=True, search_private=False)
        if domain:
            keys.add(key(domain))
        labels = domain.split(".") if domain else host.split(".")[-2:]
        if len(labels) >= 2:
            keys.add(key(labels[0]))
    return {k for k in keys if len(k) >= 2}


def _names_site(part: str, keys: set[str]) -> bool:
    folded = key(part)
    if not folded:
        return True
    if DATE_PART.match(part):
        return True
    # Containing the name counts only for a part not much longer than it ("National Rail Enquiries" of
    # nationalrail.co.uk, "STERN.de"): a headline that mentions the site ("Python 3.6.0 is now
    # available!" on python.org) is no part naming it.
    return any(
        folded == k
        or (len(k) >= 4 and len(folded) >= 4 and (folded in k or (k in folded and len(folded) <= 2 * len(k))))
        for k in keys
    )


def _run_equal_to(title: str, heading: str, separators: re.Pattern[str] = SEPARATORS) -> str | None:
    """The run of the title's parts that reads as the heading, if there is one."""
    target = key(heading)
    if not target:
        return None
    if key(title) == target:
        return title
    parts = separators.split(title)
    for i in range(0, len(parts), 2):
        for j in range(i, len(parts), 2):
            run = "".join(parts[i : j + 1])
            folded = key(run)
            if folded == target:
                return run.strip()
            if len(folded) > len(target):
                break
    return None


def _banner(title: str, heading: str) -> bool:
    parts = SEPARATORS.split(title)
    if len(parts) < 3 or key(parts[-1]) != key(heading):
        return False
    rest = "".join(parts[:-2])
    return len(rest.split()) >= len(heading.split())


def strip_site(title: str, site_names: Iterable[str | None], url: str | None) -> str:
    """The title without the parts at either end that name the site or a date ("" if that is all)."""
    return _without_site(title, _site_keys(site_names, url))


def _without_site(title: str, keys: set[str]) -> str:
    parts = SEPARATORS.split(title)
    texts = parts[0::2]
    start, end = 0, len(texts)
    while end - start > 0 and _names_site(texts[end - 1], keys):
        end -= 1
    while end - start > 0 and _names_site(texts[start], keys):
        start += 1
    if end - start <= 0:
        return ""
    return "".join(parts[2 * start : 2 * end - 1]).strip()


def days_in_title(*titles: str | None) -> list[str]:
    """Days (YYYY-MM-DD) that a title carries as one of its parts, as DW writes "… | DW | 28.04.2023":
    the page stating its own day, which outranks a day guessed from the text. Slashed days are left out
    (04/05/2023 is April or May by the country)."""
    days = (day_of(part) for title in titles for part in SEPARATORS.split(title or "")[0::2])
    return list(dict.fromkeys(d for d in days if d))


# Below this share of common words, a declared title and the page's <h1> are two different headlines
# (an SEO title for search and sharing, and the one readers see), and the <h1> is taken.
OVERLAP = 0.7
# A kicker is a label of a few words ("Corona-Lockerungen", "Live-Ticker zum Nahost-Krieg").
MAX_KICKER_WORDS = 5


def _overlap(a: str, b: str) -> float:
    """Words in common, as a share of the shorter one's."""
    wa, wb = set(re.findall(r"\w+", a.casefold())), set(re.findall(r"\w+", b.casefold()))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def _after_kicker(title: str, heading: str) -> bool:
    """The title is a kicker, a colon, then the heading."""
    head, _, tail = title.rpartition(": ")
    return bool(head) and key(tail) == key(heading) and len(head.split()) <= MAX_KICKER_WORDS


def choose_title(
    declared: str | None,
    html_title: str | None,
    headings: list[str],
    site_names: Iterable[str | None],
    url: str | None,
    *,
    headline: bool = False,
    og_title: str | None = None,
    kicked: Iterable[str] = (),
    subheadings: Iterable[str] = (),
) -> str | None:
    """`headline`: `declared` is the article's JSON-LD headline, whose kicker ("Opinion | …") is the
    publisher's own choice: only the site's name is taken off it, unless the page's og:title shows the
    headline without the kicker or a section ("Neue Leipziger Schule: Judy Lybke…" and "Judy Lybke…";
    "… | Sport" and "…"): the parts that og:title leaves out are not the headline. `kicked`: the headings
    whose marked kicker was taken off (metadata). `subheadings`: the first <h2>s, where a page sets its
    headline under an <h1> that names the site or the section."""
    sites = list(site_names)
    if headline and declared:
        shared = strip_site(og_title, sites, url) or og_title if og_title else None
        if shared and (run := _run_equal_to(declared, shared, KICKER_SEPARATORS)):
            return run
        own = strip_site(declared, sites, url) or declared
        # Publishers cut JSON-LD headlines to Google's 110 characters; the og:title or <h1> that goes
        # on where it stops is the whole headline.
        for whole in (shared, *headings[:1]):
            if whole and len(own) >= CUT_HEADLINE and len(key(whole)) > len(key(own)):
                # Not when the headline is whole parts of it ("… | The Gateway Pundit | by …").
                if key(whole).startswith(key(own)) and not _run_equal_to(whole, own, KICKER_SEPARATORS):
                    return whole
        return own
    headings = [h for h in (" ".join(h.split()) for h in headings) if len(h.split()) >= MIN_HEADING_WORDS]
    # An <h1> that is the last part of the title after a part of as many words or more is the site's
    # banner ("Rinderleber-Geschnetzeltes mit Apfel und Zwiebel | Liebe geht durch den Magen", the blog's
    # name in its <h1>), not the headline; after a shorter part it is the headline ("Opinion | …").
    sites += [h for h in headings[:3] for t in (declared, html_title) if t and _banner(t, h)]
    keys = _site_keys(sites, url)
    # An <h1> may carry the site's name as a part too ("… | Umweltbundesamt").
    shown = [_without_site(h, keys) or h for h in headings[:3] if not _names_site(h, keys)]
    subheads = [
        h
        for h in subheadings
        if len(h.split()) >= MIN_HEADING_WORDS and not _names_site(h, keys) and not is_dateline(h)
    ]
    for title in (declared, html_title):
        if not title:
            continue
        # A heading that is the site's name (a blog's banner in an <h1>) is a part to drop, not the run.
        for heading in (h for h in headings[:3] if key(h) not in keys):
            if run := _run_equal_to(title, heading):
                return run
        # Under an <h1> that is no part of the title (the section, "Literatur"), an <h2> that opens it
        # is the headline: "30.11. | Buch der Woche" of "30.11. | Buch der Woche - Nikole Hannah-Jones".
        # Not one that is the whole title: an interview's first question may be its og:title.
        for heading in subheads:
            run = _run_equal_to(title, heading)
            if run and key(run) != key(title) and key(title).startswith(key(run)):
                return run
        if stripped := _without_site(title, keys):
            if shown and _overlap(stripped, shown[0]) < OVERLAP:
                return shown[0]
            # One begins the other: the <h1> goes on where the title stops ("…vom Blech" and "…vom
            # Blech: einfach köstlich!", the title shortened for the tab), or the title adds to the <h1>
            # what the tab and search want ("Ferienhaus Feinen (40222) - Ferienhaus Lierfeld", a
            # listing's number and town). Either way the <h1> is the headline.
            if (
                shown
                and (h1 := key(shown[0])) != (told := key(stripped))
                and (h1.startswith(told) or told.startswith(h1))
            ):
                return shown[0]
            # The title keeps the kicker the <h1> sets apart ("Corona-Lockerungen: Autohäuser rechnen …"
            # beside an <h1> "Autohäuser rechnen …" under its own kicker): the <h1> is the headline.
            if shown and shown[0] in kicked and _after_kicker(stripped, shown[0]):
                return shown[0]
            return stripped
    # A title that names only the site ("National Rail Enquiries -") gives way to the <h1>; without one,
    # to the first <h2> that names no site either.
    return headings[0] if headings else subheads[0] if subheads else declared or html_title
