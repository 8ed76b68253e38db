"""From page HTML to an Article: trafilatura for the body, page metadata for the rest."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

import trafilatura
from bs4 import BeautifulSoup

from newsflow.ingest.metadata import normalize_language, parse_datetime, read_metadata
from newsflow.schemas import Article, utcnow
from newsflow.urls import InvalidUrl, id_for_url


class ExtractionError(Exception):
    """The page holds no article text to speak of."""


MIN_TEXT_CHARS = 200


# Media players are page chrome: their titles and "does not support video" notices are not the story.
PRUNE_XPATH = [
    "//video", "//audio", "//iframe",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' video-player ')]",
    "//*[contains(@class, 'media-player') or contains(@class, 'audio-player')]",
]
IMAGE_MARKDOWN = re.compile(r"!\[([^\]]*)\]\([^)]*\)")


def _clean_text(text: str, title: str | None) -> str:
    # Images come out as ![alt](src); the alt text is the picture's caption and stays, the URL goes.
    text = IMAGE_MARKDOWN.sub(lambda m: m.group(1).strip(), text)
    text = text.replace("\r\n", "\n")
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    # The headline is the title field; repeated as the body's first line it would be counted twice.
    if title:
        first, _, rest = text.partition("\n")
        if first.strip().lower() == title.strip().lower():
            text = rest.strip()
    return text


def extract_article(
    html: str,
    url: str | None,
    *,
    final_url: str | None = None,
    fetched_at: datetime | None = None,
    min_text_chars: int = MIN_TEXT_CHARS,
) -> Article:
    base = final_url or url or ""
    doc = trafilatura.bare_extraction(
        html,
        url=base or None,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=True,
        prune_xpath=PRUNE_XPATH,
        deduplicate=False,
        # trafilatura's own date search fills `date`; ours (metadata first) takes precedence below.
        date_extraction_params={"extensive_search": True, "original_date": True},
    )
    if doc is None:
        raise ExtractionError("no article text found (nothing extracted)")
    soup = BeautifulSoup(html, "lxml")
    md = read_metadata(soup, base)
    # Declared headlines first; trafilatura's title (which strips "| Site") before the raw <title>.
    title = md.title or getattr(doc, "title", None) or md.html_title
    text = _clean_text(getattr(doc, "text", None) or "", title)
    if len(text) < min_text_chars:
        raise ExtractionError(f"no article text found ({len(text)} characters extracted)")

    if url:
        try:
            article_id, canonical = id_for_url(url)
        except InvalidUrl:
            article_id, canonical = hashlib.sha256(html.encode()).hexdigest()[:20], url
    else:
        article_id, canonical = hashlib.sha256(html.encode()).hexdigest()[:20], ""
    published = parse_datetime(md.published) or parse_datetime(getattr(doc, "date", None))
    authors = md.authors or [a.strip() for a in re.split(r";|\band\b", getattr(doc, "author", None) or "") if a.strip()]
    return Article(
        id=article_id,
        url=url or "",
        canonical_url=md.canonical or canonical,
        final_url=final_url,
        title=title,
        text=text,
        description=md.description or getattr(doc, "description", None),
        authors=authors,
        published_at=published,
        modified_at=parse_datetime(md.modified),
        language=md.language or normalize_language(getattr(doc, "language", None)),
        site_name=md.site_name or getattr(doc, "sitename", None),
        image_url=md.image or getattr(doc, "image", None),
        section=md.section,
        page_keywords=md.keywords,
        fetched_at=fetched_at or utcnow(),
    )
