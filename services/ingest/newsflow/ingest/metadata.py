"""Page metadata from the places publishers put it: JSON-LD, OpenGraph/meta tags, <link>, <html lang>."""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from bs4 import BeautifulSoup, SoupStrainer

from newsflow.ingest.authors import AGENCIES, clean_authors, first_and_fuller

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
# Other works whose author is the page's: where no article node names one.
AUTHORED_TYPES = {"webpage", "recipe", "review", "howto", "creativework"}


@dataclass
class PageMetadata:
    title: str | None = None
    description: str | None = None
    authors: list[str] = field(default_factory=list)
    author_values: list[str] = field(default_factory=list)  # the author fields as written, kept or not
    published: str | None = None
    modified: str | None = None
    site_name: str | None = None
    image: str | None = None
    canonical: str | None = None
    language: str | None = None
    section: str | None = None
    keywords: list[str] = field(default_factory=list)
    ld_body: str | None = None
    og_title: str | None = None
    html_title: str | None = None  # <title>, which usually carries the site name too
    headings: list[str] = field(default_factory=list)  # the page's <h1>s: the headline as shown
    kicked_headings: list[str] = field(default_factory=list)  # those that had a marked kicker taken off
    subheadings: list[str] = field(default_factory=list)  # the first <h2>s: a headline under a site's <h1>
    published_all: list[str] = field(default_factory=list)  # every declared publication value, in order
    published_hint: list[str] = field(default_factory=list)  # may give the time of a day found elsewhere
    page_times: list[str] = field(default_factory=list)  # other times the page writes (dates.py)
    shown_times: list[str] = field(default_factory=list)  # the <time datetime> values, in page order
    headline_declared: bool = False  # title is the article's JSON-LD headline, not a page title


# Metadata lives in these elements only: parsing just them is several times faster than the whole page.
METADATA_ONLY = SoupStrainer(["meta", "link", "title", "script", "time", "h1", "h2"])
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z_-]+)", re.I)


def metadata_soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml", parse_only=METADATA_ONLY)


# Tags that hold authors' names; several of one kind (dc.creator) are one name each.
AUTHOR_METAS = (
    "author",
    "article:author",
    "byl",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "citation_author",
)


# Yoast's sharing labels: `twitter:label1` "Written by" (in the site's language) beside `twitter:data1`.
_WRITTEN_BY = re.compile(
    r"^(?:written by|verfasst von|geschrieben von|écrit par|rédigé par|escrito por|scritto da|"
    r"geschreven door|skrevet af|skrivet av|kirjoittanut|napisane przez|autor|author|auteur|autore)$",
    re.I,
)


def _yoast_author(metas: dict[tuple[str, str], str]) -> list[str]:
    """The author Yoast names in its sharing labels, where a page declares none otherwise."""
    for n in range(1, 5):
        label = _meta(metas, f"twitter:label{n}")
        if label is None:
            break
        if _WRITTEN_BY.match(label.strip()) and (name := _meta(metas, f"twitter:data{n}")):
            return [name]
    return []


# An <h1>'s kicker, marked as such: `<span class="dachzeile">Nach Corona-Lockerungen</span>`, "overline".
_KICKER_CLASS = re.compile(
    r"kicker|dachzeile|overline|topline|roofline|eyebrow|supertitle|superline|pretitle|spitzmarke", re.I
)


def _headline_of(h1: Any) -> tuple[str, bool]:
    """The <h1>'s text without its marked kicker, which is a label above the headline, not part of it;
    and whether it had one."""
    kickers = [el for el in h1.find_all(True) if _KICKER_CLASS.search(" ".join(el.get("class") or []))]
    text = " ".join(h1.get_text(" ").split())
    for kicker in kickers:
        words = " ".join(kicker.get_text(" ").split())
        if words and text.startswith(words) and len(text) > len(words):
            return text[len(words) :].lstrip(" :-–|"), True
    return text, False


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


# Microdata puts a machine-readable value in `content` on any element, the shown text beside it:
# <p itemprop="datePublished" content="2022-01-14 10:31:00">Januar 2022</p> (Handwerksblatt). The
# metadata soup parses only the elements metadata usually lives in, so these start tags are read off
# the page itself.
_ITEMPROP_TAG = re.compile(r"<(?!meta\b|time\b)[a-z][a-z0-9]*\s[^>]*(?<![\w-])itemprop\s*=[^>]*>", re.I)
# Not data-content= or data-itemprop=: a name of its own, not the end of another.
_ATTRIBUTE = re.compile(r"""(?<![\w-])(itemprop|content)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def _microdata_index(html: str, index: dict[tuple[str, str], str]) -> None:
    if "itemprop" not in html:
        return
    for tag in _ITEMPROP_TAG.finditer(html):
        attrs = {
            m.group(1).lower(): html_lib.unescape(m.group(2) or m.group(3) or m.group(4) or "")
            for m in _ATTRIBUTE.finditer(tag.group())
        }
        content = attrs.get("content", "").strip()
        if content:
            for key in attrs.get("itemprop", "").split():
                index.setdefault(("itemprop", key.lower()), content)


def _meta(index: dict[tuple[str, str], str], *keys: str) -> str | None:
    for key in keys:
        for attr in ("property", "name", "itemprop"):
            if (attr, key.lower()) in index:
                return index[(attr, key.lower())]
    return None


_COPYRIGHT_WORDS = re.compile(r"copyright|\(c\)|©|\b(?:19|20)\d\d\b|all rights reserved\.?", re.I)


def _copyright_holder(value: str | None) -> str | None:
    """The holder a copyright meta tag names ("Copyright (c) Condé Nast 2023"): the publisher, whom
    some pages also put in the author tag."""
    if not value:
        return None
    holder = " ".join(_COPYRIGHT_WORDS.sub(" ", value).split()).strip(" .,-–")
    return holder if 2 < len(holder) <= 60 else None


def _meta_all(soup: BeautifulSoup, keys: tuple[str, ...]) -> list[str]:
    """The contents of every <meta> named one of keys, in page order (authors come one tag each). Not
    itemprops: those belong to their microdata item, which may be a cited article."""
    wanted = set(keys)
    out = []
    for tag in soup.find_all("meta"):
        names = " ".join(str(tag.get(a) or "") for a in ("name", "property")).lower().split()
        content = str(tag.get("content") or "").strip()
        if content and wanted & set(names) and not content.startswith("http"):
            out.append(content)
    return list(dict.fromkeys(out))


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
                # A WebPage that holds its article (Nature's "mainEntity": {"@type": "NewsArticle"}).
                for key in ("mainEntity", "mainEntityOfPage"):
                    if isinstance(node.get(key), dict) and "@type" in node[key]:
                        stack.append(node[key])
                nodes.append(node)
    return nodes


def _types(node: dict[str, Any]) -> set[str]:
    """Lower-case type names, without a vocabulary's URL ("https://schema.org/NewsArticle")."""
    t = node.get("@type", [])
    return {x.rsplit("/", 1)[-1].lower() for x in (t if isinstance(t, list) else [t]) if isinstance(x, str)}


# Publishers' own names for the publication time ("vr:published-time", "parsely-pub-date"); not
# modification, expiry or embargo times.
_PUBLISHED_NAME = re.compile(r"publish|pub-?date", re.I)
_NOT_PUBLISHED = re.compile(r"modif|updat|expir|embargo|revis", re.I)
# <time> elements that say they hold the publication time (WordPress "entry-date published").
_PUBLISHED_TIME = re.compile(r"publish|entry-date|pubdate|datePublished", re.I)


def _published_elsewhere(soup: BeautifulSoup) -> tuple[list[str], list[str]]:
    """Publication times the page declares under names newsflow does not list: meta tags named like
    one, then <time> elements marked as one; and the hint described below."""
    out = []
    for tag in soup.find_all("meta"):
        name = " ".join(str(tag.get(a) or "") for a in ("name", "property", "itemprop"))
        if _PUBLISHED_NAME.search(name) and not _NOT_PUBLISHED.search(name) and tag.get("content"):
            out.append(str(tag["content"]).strip())
    times = []
    for tag in soup.find_all("time"):
        marks = " ".join(str(v) for k, v in tag.attrs.items() if k != "datetime")
        if tag.get("datetime") and (_PUBLISHED_TIME.search(marks) or "pubdate" in tag.attrs):
            times.append(str(tag["datetime"]).strip())
    # Many marked times are a list of posts (a blog's sidebar) beside the article's own, which comes
    # first: then the first only refines a day found otherwise (published_hint).
    return out + (times[:1] if len(set(times)) <= 2 else []), (times[:1] if len(set(times)) > 2 else [])


# Analytics variables in inline scripts ("var publication_date = "2020-02-17 21:18:11"", a dataLayer's
# "publishDate"): often the newsroom's wall-clock time beside a UTC meta tag, so they tell the page's
# offset (dates._local_offset). Only full times, and never taken as the publication time themselves.
_SCRIPT_PUBLISHED = re.compile(
    r"""(?i)["']?\b(?:publication|published|publish|pub)[_-]?(?:date|time|datetime)["']?\s*[:=]\s*["']"""
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)[\"']"
)


def _script_publication_times(soup: BeautifulSoup) -> list[str]:
    out = []
    for script in soup.find_all("script"):
        if re.search(r"ld\+json", str(script.get("type") or ""), re.I):
            continue
        out += _SCRIPT_PUBLISHED.findall(script.string or "")
    return list(dict.fromkeys(out))


def _names(value: Any, by_id: dict[str, dict[str, Any]] | None = None, *, people: bool = False) -> list[str]:
    """Names of the things value holds or points to (`{"@id": ...}`, as Yoast's graphs write authors);
    `people`: only those not typed as something other than a Person (an Organization as author), or
    that are a news agency."""
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and "name" not in item and by_id and isinstance(item.get("@id"), str):
            item = by_id.get(item["@id"], item)
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            # A news agency typed Organization wrote the wire story it is the author of.
            if (
                people
                and _types(item)
                and "person" not in _types(item)
                and item["name"].casefold() not in AGENCIES
            ):
                continue
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
    _microdata_index(html, metas)
    md = PageMetadata()
    nodes = _ld_nodes(soup)
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    article = next((n for n in nodes if _types(n) & (ARTICLE_TYPES - {"webpage"})), None)
    ld_authors: list[str] = []
    if article:
        md.title = article.get("headline") if isinstance(article.get("headline"), str) else None
        md.description = article.get("description") if isinstance(article.get("description"), str) else None
        ld_authors = _names(article.get("author"), by_id, people=True)
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
    if not ld_authors:
        # A page that is no article in its structured data may still name who wrote it: Yoast's older
        # graphs on the WebPage, a recipe or a review on its own node.
        work = next((n for n in nodes if _types(n) & AUTHORED_TYPES and n.get("author")), None)
        ld_authors = _names(work.get("author"), by_id, people=True) if work else []

    md.headline_declared = bool(md.title)
    md.title = md.title or _meta(metas, "og:title", "twitter:title")
    md.og_title = _meta(metas, "og:title")
    md.html_title = soup.title.string if soup.title and soup.title.string else None
    for h1 in soup.find_all("h1"):
        headline, kicker = _headline_of(h1)
        md.headings.append(headline)
        if kicker:
            md.kicked_headings.append(headline)
    md.subheadings = [" ".join(h2.get_text(" ").split()) for h2 in soup.find_all("h2", limit=3)]
    md.description = md.description or _meta(metas, "og:description", "description", "twitter:description")
    elsewhere, md.published_hint = _published_elsewhere(soup)
    md.published_all = [
        v
        for v in (
            md.published,
            *(
                _meta(metas, key)
                for key in (
                    "article:published_time",
                    "article:published",
                    "datePublished",
                    "pubdate",
                    "publishdate",
                    "date",
                    "dc.date.issued",
                    "dc.date",
                    "sailthru.date",
                )
            ),
            *elsewhere,
        )
        if v
    ]
    md.published = md.published_all[0] if md.published_all else None
    md.shown_times = [str(t.get("datetime")).strip() for t in soup.find_all("time") if t.get("datetime")]
    md.page_times = [
        *md.shown_times,
        *(v for v in (md.modified, _meta(metas, "article:modified_time", "og:updated_time")) if v),
        *_script_publication_times(soup),
    ]
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
    for attr in ("title", "og_title", "html_title", "description", "site_name", "section"):
        value = getattr(md, attr)
        if isinstance(value, str):
            setattr(md, attr, re.sub(r"\s+", " ", html_lib.unescape(value)).strip() or None)
    sites = [
        md.site_name,
        _meta(metas, "og:site_name"),
        _meta(metas, "publisher"),
        *_names(article.get("publisher") if article else None, by_id),
        _copyright_holder(_meta(metas, "copyright")),
    ]
    meta_authors = [html_lib.unescape(a) for a in _meta_all(soup, AUTHOR_METAS)]
    md.author_values = [*ld_authors, *meta_authors]
    md.authors = first_and_fuller(
        [
            clean_authors(
                [html_lib.unescape(a) for a in ld_authors], sites, md.canonical or base_url, declared=True
            ),
            clean_authors(
                meta_authors,
                sites,
                md.canonical or base_url,
                one_name_each=len(meta_authors) > 1,
                declared=True,
            ),
            clean_authors(
                [html_lib.unescape(a) for a in _yoast_author(metas)],
                sites,
                md.canonical or base_url,
                declared=True,
            ),
        ]
    )
    return md


def normalize_language(value: str | None) -> str | None:
    if not value:
        return None
    code = re.split(r"[-_]", value.strip())[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None
