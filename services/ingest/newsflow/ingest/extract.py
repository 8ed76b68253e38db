"""From page HTML to an Article: three extractors vote on the body, page metadata gives the rest."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from htmldate import find_date
from readability import Document

from newsflow.ingest.authors import (
    DOMAIN,
    as_written,
    byline_authors,
    clean_authors,
    first_and_fuller,
    with_middle_initial,
)
from newsflow.ingest.consensus import choose_body
from newsflow.ingest.credits import agency_credits
from newsflow.ingest.dates import publication_time
from newsflow.ingest.headline_dates import day_by_headline, writes_day, written_days
from newsflow.ingest.metadata import normalize_language, read_metadata
from newsflow.ingest.titles import choose_title, days_in_title
from newsflow.schemas import Article, utcnow
from newsflow.text import key
from newsflow.urls import InvalidUrl, id_for_url


class ExtractionError(Exception):
    """The page holds no article text to speak of."""


MIN_TEXT_CHARS = 200
YEAR_FIRST = re.compile(r"^\d{4}-\d{2}-\d{2}")
# An address that files the story under its year and month, but not its day (WordPress's /2011/12/slug/).
URL_MONTH = re.compile(r"/((?:19|20)\d\d)/(0[1-9]|1[0-2])(?:/(?!\d{1,2}/)|$)")


# Page chrome inside the article's container. Media players: their titles and "does not support
# video" notices are not the story.
PRUNE_XPATH = [
    "//video",
    "//audio",
    "//iframe",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' video-player ')]",
    "//*[contains(@class, 'media-player') or contains(@class, 'audio-player')]",
    # Teasers of other stories placed inside the body (the LA Times' "promo" enhancements), and the
    # author's bio box at its end. Embedded tweets stay: the Zyte benchmark's truth keeps them as part
    # of the story (pruning them cost 0.003 F1 there), Fundus's leaves them out.
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' promo ')]",
    "//*[contains(@class, 'author-bio') or contains(@class, 'about-author') or contains(@class, 'author-box')"
    " or contains(@class, 'author-content') or contains(@class, 'author-info')]",
]
IMAGE_MARKDOWN = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
BLOCK_TAGS = (
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "tr",
    "br",
    "section",
)
# Shorter alt texts are "photo", "logo", file names: not captions.
MIN_CAPTION_CHARS = 25


# A closing heading that announces other stories ("More from The Nation", "You may also like…"): what
# follows it is their teasers. A whole line only; "Read more" is left out, as live blogs link with it.
OTHER_STORIES = re.compile(
    r"^\W*(?:more from\b.*|more stories\b.*|related(?: stories| articles| content| coverage| reading)?"
    r"|recommended(?: for you)?|you (?:may|might) also like|most popular|most read|popular|trending(?: now)?"
    r"|editor'?s picks|mehr zum thema|mehr aus\b.*|weitere artikel|das könnte sie auch interessieren"
    r"|(?:à )?lire aussi|sur le même sujet|te puede interesar|lees ook)\W*$",
    re.IGNORECASE,
)
# The teasers are short lines, and all of them together a small part of the body: a live blog's
# updates under such a line are not cut.
TEASER_LINE_WORDS = 40
HEADING_WORDS = 6
TEASERS_SHARE = 0.3


def _without_other_stories(text: str) -> str:
    lines = text.split("\n")
    total = len(text.split())
    for i in range(len(lines) // 2, len(lines)):
        if len(lines[i].split()) <= HEADING_WORDS and OTHER_STORIES.match(lines[i].strip()):
            rest = [len(line.split()) for line in lines[i + 1 :]]
            if sum(rest) <= TEASERS_SHARE * total and all(n <= TEASER_LINE_WORDS for n in rest):
                return "\n".join(lines[:i]).rstrip()
    return text


def _clean_text(text: str, title: str | None) -> str:
    text = text.replace("\r\n", "\n")
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = _without_other_stories(re.sub(r"\n{3,}", "\n\n", text).strip())
    # The headline is the title field; repeated as the body's first line it would be counted twice.
    if title:
        first, _, rest = text.partition("\n")
        if first.strip().lower() == title.strip().lower():
            text = rest.strip()
    return text


def _readability_text(html: str, url: str | None) -> str:
    """readability-lxml's article, as text with one line per block."""
    try:
        summary = Document(html, url=url).summary(html_partial=True)
    except Exception:  # noqa: BLE001 - readability raises on pages it cannot parse; it is one voter of three
        return ""
    tree = lxml.html.fragment_fromstring(summary, create_parent="div")
    for el in tree.iter(*BLOCK_TAGS):
        el.tail = "\n" + (el.tail or "")
    for el in tree.iter("figure", "figcaption", "img", "video", "audio", "iframe"):
        el.drop_tree()
    return tree.text_content()


def extract_body(html: str, url: str | None) -> tuple[Any, str, list[str], str, list[str]]:
    """(trafilatura's document with its metadata, body text, image captions, which extractor won, the
    agencies of the credit line).

    Three extractions vote (newsflow.ingest.consensus): trafilatura in precision mode, trafilatura in
    its default mode, and readability-lxml. Captions come from the default-mode pass, which keeps the
    content images with their alt text; they stay out of the body, as the benchmarks' ground truth
    leaves them out, but enrich reads them (a caption often names the place).
    """
    common: dict[str, Any] = dict(
        include_comments=False, include_tables=True, prune_xpath=PRUNE_XPATH, deduplicate=False
    )
    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        favor_precision=True,
        **common,
        # trafilatura's date goes unused (extract_article asks htmldate about the whole page): the
        # cheapest search.
        date_extraction_params={"extensive_search": False},
    )
    with_images = trafilatura.extract(html, url=url, include_images=True, **common) or ""
    captions = list(
        dict.fromkeys(
            c
            for m in IMAGE_MARKDOWN.finditer(with_images)
            if len(c := " ".join(m.group(1).split())) >= MIN_CAPTION_CHARS
        )
    )
    default = IMAGE_MARKDOWN.sub("", with_images)
    # readability keeps the agencies' credit line, which both trafilatura modes drop as a byline.
    readable = _readability_text(html, url)
    body, which = choose_body(getattr(doc, "text", None) or "", default, readable)
    return doc, body, captions, which, agency_credits(readable)


def _htmldate(html: str, url: str | None) -> str | None:
    try:
        day = find_date(html, url=url, extensive_search=True, original_date=True, outputformat="%Y-%m-%d")
    except Exception:  # noqa: BLE001 - htmldate is the last reading: a page it cannot read has no date from it
        return None
    # Where it finds nothing else, htmldate makes 1 January of the copyright line's year ("© 2022 DLG
    # e.V." gave 2022-01-01 to a story of 20 January; "1998-01-01" to one of 2020): a placeholder, unless
    # the page writes that day.
    if day and day.endswith("-01-01") and not writes_day(html, day):
        return None
    # htmldate can take a day from a link in the body (pbrunst.de's /news/2011/12/ story got 2010-06-01
    # from a link to /news/2010/06/). The page's own address says the month: then the first day the
    # page writes in that month, or none.
    month = URL_MONTH.search(urlsplit(url or "").path)
    if day and month and not day.startswith(f"{month[1]}-{month[2]}-"):
        return next((d for d in written_days(html) if d.startswith(f"{month[1]}-{month[2]}-")), None)
    return day


def extract_article(
    html: str,
    url: str | None,
    *,
    final_url: str | None = None,
    fetched_at: datetime | None = None,
    min_text_chars: int = MIN_TEXT_CHARS,
) -> Article:
    base = final_url or url or ""
    doc, body, captions, _, credits = extract_body(html, base or None)
    md = read_metadata(html, base)
    sites = [md.site_name, getattr(doc, "sitename", None)]
    # Declared headlines first, then trafilatura's; either without the site's name (titles.py).
    title = choose_title(
        md.title or getattr(doc, "title", None),
        md.html_title,
        md.headings,
        [md.site_name],
        md.canonical or base,
        headline=md.headline_declared,
        og_title=md.og_title,
        kicked=md.kicked_headings,
        subheadings=md.subheadings,
    )
    text = _clean_text(body, title)
    if len(text) < min_text_chars:
        raise ExtractionError(f"no article text found ({len(text)} characters extracted)")

    if url:
        try:
            article_id, canonical = id_for_url(url)
        except InvalidUrl:
            article_id, canonical = hashlib.sha256(html.encode()).hexdigest()[:20], url
    else:
        article_id, canonical = hashlib.sha256(html.encode()).hexdigest()[:20], ""
    where = md.canonical or base
    # htmldate's reading of the whole page, not trafilatura's date: trafilatura runs it on the tree it
    # has cleaned (a Japanese blog's day went with the cleaning), and only when it keeps a body.
    text_day = _htmldate(html, where)
    # Below what the page declares as its publication time, and above a day found in its text: the day
    # its own title carries, then its only <time datetime> (several are a list of other stories) when
    # written as HTML requires, year first ("01-11-2023 10:29" is January or November by the country),
    # then the day it shows beside its headline, with its time where shown (headline_dates; that time
    # also outranks a declared bare day of another day, dates.py).
    stated = days_in_title(md.title, md.html_title)
    shown = (
        md.shown_times[:1] if len(set(md.shown_times)) == 1 and YEAR_FIRST.match(md.shown_times[0]) else []
    )
    beside_headline = day_by_headline(html, title)
    published = publication_time(
        md.published_all,
        md.page_times,
        where,
        day_hint=stated[0] if stated else text_day,
        shown_online=beside_headline,
        fallback=[*stated, *shown, beside_headline or "", text_day or "", *md.published_hint],
    )
    modified = publication_time([md.modified or ""], md.page_times, where)
    # trafilatura's guess, where nothing else names anyone; not a domain the page's author fields hold
    # ("symple.ch" comes back from it as "Symple Ch"). Other names turned down above it may bring back
    # rightly: a blogger's first name alone ("mady"), the name of a site named after its author
    # ("Helge Fahrnberger" on helge.at).
    turned_down = {key(v) for v in md.author_values if DOMAIN.search(v)}
    authors = first_and_fuller([md.authors, byline_authors(html, sites, md.canonical or base)]) or [
        as_written(name, html)
        for name in clean_authors(
            [getattr(doc, "author", None) or ""], sites, md.canonical or base, declared=True
        )
        if key(name) not in turned_down
    ]
    authors = [with_middle_initial(name, text) for name in authors]
    return Article(
        id=article_id,
        url=url or "",
        canonical_url=md.canonical or canonical,
        final_url=final_url,
        title=title,
        text=text,
        captions=captions,
        description=md.description or getattr(doc, "description", None),
        authors=authors,
        credits=credits,
        published_at=published.utc if published else None,
        published_local=published.local if published else None,
        published_time_known=published.time_known if published else None,
        modified_at=modified.utc if modified else None,
        language=md.language or normalize_language(getattr(doc, "language", None)),
        site_name=md.site_name or getattr(doc, "sitename", None),
        image_url=md.image or getattr(doc, "image", None),
        section=md.section,
        page_keywords=md.keywords,
        fetched_at=fetched_at or utcnow(),
    )
