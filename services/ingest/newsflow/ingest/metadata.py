"""Page metadata from the places publishers put it: JSON-LD, OpenGraph/meta tags, <link>, <html lang>."""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from bs4 import BeautifulSoup, SoupStrainer

ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "blogposting",
    "opinionnewsarticle",
    "backgroundnewsarticle",
    "liveblogposting",
    "webpage",
}


@dataclass
class PageMetadata:
    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    site_name: str | None = None
    image: str | None = None
    canonical: str | None = None
    language: str | None = None
    section: str | None = None
    keywords: list[str] = field(default_factory=list)
    ld_body: str | None = None
    html_title: str | None = None  # <title>, which usually carries the site name too


# Metadata lives in these elements only: parsing just them is several times faster than the whole page.
METADATA_ONLY = SoupStrainer(["meta", "link", "title", "script", "time"])
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z_-]+)", re.I)


def metadata_soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml", parse_only=METADATA_ONLY)


# Between the names of a byline: commas, and "and" in the languages of European news.
_BYLINE_SEPARATORS = re.compile(r",|\s+(?:and|und|y|et|en|e|&)\s+", re.I)


def _meta_index(soup: BeautifulSoup) -> dict[tuple[str, str], str]:
    """(attribute, key) -> content of the first <meta> with that key, for property, name and itemprop;
    and of the first <time itemprop=... datetime=...>. Keys are lower case, and an attribute holding
    several ("datePublished dateCreated", as the NYT writes it) gives each."""
    index: dict[tuple[str, str], str] = {}
    for tag in soup.find_all(["meta", "time"]):
        content = str(tag.get("datetime" if tag.name == "time" else "content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            keys = tag.get(attr)
            if isinstance(keys, str):
                for key in keys.split():
                    index.setdefault((attr, key.lower()), content)
    return index


def _meta(index: dict[tuple[str, str], str], *keys: str) -> str | None:
    for key in keys:
        for attr in ("property", "name", "itemprop"):
            if (attr, key.lower()) in index:
                return index[(attr, key.lower())]
    return None


def _ld_nodes(soup: BeautifulSoup) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    for script in soup.find_all("script", attrs={"type": re.compile(r"ld\+json", re.I)}):
        try:
            data = json.loads(script.string or script.get_text() or "")
        except (json.JSONDecodeError, TypeError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            node = stack.pop(0)
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                if "@graph" in node:
                    stack.extend(node["@graph"] if isinstance(node["@graph"], list) else [node["@graph"]])
                nodes.append(node)
    return nodes


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("@type", [])
    return {x.lower() for x in (t if isinstance(t, list) else [t]) if isinstance(x, str)}


def _names(value: Any) -> list[str]:
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            out.append(item["name"])
    return [re.sub(r"\s+", " ", x).strip() for x in out if x and x.strip()]


def _image(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value if isinstance(value, str) and value.strip() else None


def _split_keywords(value: Any) -> list[str]:
    # Sites separate keywords with commas, some with semicolons or pipes.
    items = value if isinstance(value, list) else re.split(r"[,;|]", str(value or ""))
    seen: dict[str, None] = {}
    for item in items:
        word = str(item).strip()
        if word and word.lower() not in {k.lower() for k in seen}:
            seen[word] = None
    return list(seen)


def read_metadata(html: str, base_url: str) -> PageMetadata:
    soup = metadata_soup(html)
    metas = _meta_index(soup)
    md = PageMetadata()
    article = next((n for n in _ld_nodes(soup) if _types(n) & (ARTICLE_TYPES - {"webpage"})), None)
    if article:
        md.title = article.get("headline") if isinstance(article.get("headline"), str) else None
        md.description = article.get("description") if isinstance(article.get("description"), str) else None
        md.authors = _names(article.get("author"))
        md.published = article.get("datePublished") if isinstance(article.get("datePublished"), str) else None
        md.modified = article.get("dateModified") if isinstance(article.get("dateModified"), str) else None
        publisher = _names(article.get("publisher"))
        md.site_name = publisher[0] if publisher else None
        md.image = _image(article.get("image"))
        section = article.get("articleSection")
        md.section = (
            section[0]
            if isinstance(section, list) and section
            else section
            if isinstance(section, str)
            else None
        )
        md.keywords = _split_keywords(article.get("keywords")) if article.get("keywords") else []
        body = article.get("articleBody")
        md.ld_body = body if isinstance(body, str) else None

    md.title = md.title or _meta(metas, "og:title", "twitter:title")
    md.html_title = soup.title.string if soup.title and soup.title.string else None
    md.description = md.description or _meta(metas, "og:description", "description", "twitter:description")
    if not md.authors:
        author = _meta(metas, "author", "article:author", "byl", "parsely-author", "sailthru.author")
        if author and not author.startswith("http"):
            md.authors = [
                re.sub(r"^by\s+", "", a.strip(), flags=re.I)
                for a in _BYLINE_SEPARATORS.split(author)
                if a.strip()
            ]
    md.published = md.published or _meta(
        metas,
        "article:published_time",
        "article:published",
        "datePublished",
        "pubdate",
        "publishdate",
        "date",
        "dc.date.issued",
        "sailthru.date",
    )
    md.modified = md.modified or _meta(metas, "article:modified_time", "dateModified", "og:updated_time")
    md.site_name = md.site_name or _meta(metas, "og:site_name", "application-name")
    md.image = md.image or _meta(metas, "og:image", "twitter:image", "og:image:url")
    md.section = md.section or _meta(metas, "article:section", "section")
    if not md.keywords:
        md.keywords = _split_keywords(_meta(metas, "news_keywords", "keywords") or "")

    link = soup.find("link", rel=lambda v: v and "canonical" in (v if isinstance(v, list) else [v]))
    canonical = (link.get("href") if link else None) or _meta(metas, "og:url")
    md.canonical = urljoin(base_url, str(canonical).strip()) if canonical else None
    if md.image:
        md.image = urljoin(base_url, md.image.strip())

    declared = _HTML_LANG.search(html[:20_000])
    lang = (declared.group(1) if declared else None) or _meta(
        metas, "og:locale", "content-language", "language"
    )
    md.language = normalize_language(lang)
    # JSON-LD strings often carry HTML entities ("GOP&#8217;s", "&nbsp;"): publishers encode them twice.
    for attr in ("title", "description", "site_name", "section"):
        value = getattr(md, attr)
        if isinstance(value, str):
            setattr(md, attr, re.sub(r"\s+", " ", html_lib.unescape(value)).strip() or None)
    md.authors = [re.sub(r"\s+", " ", html_lib.unescape(a)).strip() for a in md.authors]
    return md


def normalize_language(value: str | None) -> str | None:
    if not value:
        return None
    code = re.split(r"[-_]", value.strip())[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 and the common near-ISO forms; anything unparseable is None, never a guess."""
    if not value:
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)  # RFC 2822, as in some <meta name="date">
    except (TypeError, ValueError, IndexError):
        pass
    import dateparser  # slow to import; only the odd formats need it

    return dateparser.parse(text, languages=["en"], settings={"STRICT_PARSING": True})
