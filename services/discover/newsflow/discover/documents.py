"""What a source's body lists: article URLs (with a title and a date where given) and child sitemaps.

Feeds (RSS 0.9x/1.0/2.0, Atom) go to feedparser, which has met every malformed feed there is. Sitemaps
(urlset, sitemapindex, Google News, gzipped or not, plain-text lists) are read here with lxml's
incremental parser: a 50 MB file is read element by element, nothing from the network is resolved, and
reading stops at the protocol's 50,000 URLs. Ultimate-sitemap-parser does the same but is GPL-3.0 and
fetches by itself; trafilatura's sitemap reader uses regular expressions and drops Google News dates
(doc/choices.md, "Discover").

Anything else gets a reason: an HTML page, an empty body, XML that is not a feed or sitemap. A body cut
short keeps what was read before the cut, with the cut said in `problems`.
"""

from __future__ import annotations

import calendar
import io
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urljoin

import feedparser
from lxml import etree

# The sitemap protocol's own limits (sitemaps.org): 50,000 URLs and 50 MB uncompressed per file.
MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
# A date further ahead than this is a publisher's error (or a time zone read wrongly), not news.
FUTURE_SLACK = timedelta(days=1)

Kind = Literal["rss", "atom", "rdf", "sitemap", "sitemapindex", "text"]


class NotASource(Exception):
    """The body lists nothing newsflow can follow: the reason, in words, for the source's status."""


@dataclass
class Item:
    url: str
    title: str | None = None
    published: datetime | None = None


@dataclass
class Listing:
    kind: Kind
    items: list[Item] = field(default_factory=list)
    sitemaps: list[Item] = field(default_factory=list)  # a sitemap index's children, with their lastmod
    problems: list[str] = field(default_factory=list)  # what was wrong but did not stop the reading


def _unzip(body: bytes) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    out = io.BytesIO()
    reader = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        # Decompressed a bounded piece at a time: a small bomb never becomes a large buffer.
        data = body
        while data:
            out.write(reader.decompress(data, MAX_BYTES + 1 - out.tell()))
            if out.tell() > MAX_BYTES:
                raise NotASource(f"too large: more than {MAX_BYTES // 2**20} MB once decompressed")
            data = reader.unconsumed_tail
    except zlib.error as exc:
        if not out.tell():
            raise NotASource(f"broken gzip: {exc}") from exc
    return out.getvalue()


_ROOT = re.compile(rb"\s*<\s*(?:[\w.-]+:)?([A-Za-z_][\w.-]*)")
_SKIP = re.compile(rb"\s*(<\?[^>]*\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(\[.*?\])?\s*>)", re.S | re.I)
_DECLARED = re.compile(rb"""\s*<\?xml[^>]*encoding=["']([\w.-]+)""")


def _root_name(body: bytes) -> str | None:
    """The local name of the first element, read past a BOM, declarations, comments and a doctype."""
    head = body[:8192].lstrip(b"\xef\xbb\xbf")
    pos = 0
    while m := _SKIP.match(head, pos):
        pos = m.end()
    m = _ROOT.match(head, pos)
    return m.group(1).decode().lower() if m else None


def _as_declared(data: bytes, problems: list[str]) -> bytes:
    """XML that says (or, saying nothing, means) UTF-8 but is not: read as windows-1252, as browsers do."""
    declared = _DECLARED.match(data.lstrip(b"\xef\xbb\xbf"))
    if declared and declared.group(1).decode().lower().replace("_", "-") not in ("utf-8", "utf8"):
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append("declared UTF-8 but is not: read as windows-1252")
        return data.decode("cp1252", "replace").encode("utf-8")
    return data


def parse(body: bytes, url: str, now: datetime | None = None) -> Listing:
    """The listing of a fetched source body; NotASource when there is none."""
    now = now or datetime.now(UTC)
    if len(body) > MAX_BYTES:
        raise NotASource(f"too large: {len(body) // 2**20} MB (the sitemap protocol's limit is 50 MB)")
    data = _unzip(body)
    if not data.strip():
        raise NotASource("empty body")
    root = _root_name(data)
    if root in ("urlset", "sitemapindex"):
        problems: list[str] = []
        listing = _sitemap(_as_declared(data, problems), root, url)
        listing.problems[:0] = problems
    elif root in ("rss", "feed", "rdf"):
        listing = _feed(data, root, url)
    elif root in ("html", "head", "body") or (root is None and b"<html" in data[:4096].lower()):
        raise NotASource("an HTML page, not a feed or sitemap")
    elif root is None and data.lstrip()[:4].lower() == b"http":
        listing = _text(data)
    else:
        raise NotASource(f"not a feed or sitemap: the document is <{root}>" if root else "not XML")
    _drop_future_dates(listing, now)
    if not listing.items and not listing.sitemaps and listing.problems:
        raise NotASource("; ".join(listing.problems))
    return listing


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _date(text: str | None) -> datetime | None:
    if not text or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _sitemap(data: bytes, root: str, base: str) -> Listing:
    listing = Listing(kind="sitemapindex" if root == "sitemapindex" else "sitemap")
    entries = listing.sitemaps if root == "sitemapindex" else listing.items
    parser = etree.iterparse(
        io.BytesIO(data), events=("end",), resolve_entities=False, no_network=True, huge_tree=False
    )
    try:
        for _, element in parser:
            name = _local(element.tag)
            if name not in ("url", "sitemap"):
                continue
            loc, title, published = None, None, None
            for child in element.iter():
                child_name = _local(child.tag)
                text = (child.text or "").strip()
                if child_name == "loc" and loc is None:
                    loc = text
                elif child_name == "publication_date":  # Google News: the article's own date
                    published = _date(text) or published
                elif child_name == "lastmod" and published is None:
                    published = _date(text)
                elif child_name == "title" and text:
                    title = text
            element.clear()
            if loc:
                entries.append(Item(urljoin(base, loc), title, published))
            if len(entries) >= MAX_URLS:
                listing.problems.append(f"more than {MAX_URLS} entries: the rest were not read")
                break
    except etree.XMLSyntaxError as exc:
        listing.problems.append(
            f"malformed XML ({exc.msg}, line {exc.lineno}): kept the {len(entries)} entries before it"
        )
    return listing


def _feed(data: bytes, root: str, base: str) -> Listing:
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    version = parsed.get("version", "") or ""
    kind: Kind = "atom" if version.startswith("atom") or root == "feed" else "rdf" if root == "rdf" else "rss"
    listing = Listing(kind=kind)
    for entry in parsed.entries[:MAX_URLS]:
        link = entry.get("link") or next(
            (x.get("href") for x in entry.get("links", []) if x.get("rel", "alternate") == "alternate"), None
        )
        if not link:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
        title = (entry.get("title") or "").strip() or None
        listing.items.append(Item(urljoin(base, link.strip()), title, published))
    if parsed.get("bozo") and (problem := parsed.get("bozo_exception")):
        what = type(problem).__name__
        if not isinstance(problem, feedparser.CharacterEncodingOverride):
            listing.problems.append(f"malformed feed ({what}: {problem})")
        else:
            listing.problems.append(f"declared encoding wrong, read as {parsed.get('encoding')}")
    return listing


def _text(data: bytes) -> Listing:
    listing = Listing(kind="text")
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith(("http://", "https://")):
            listing.items.append(Item(line))
            if len(listing.items) >= MAX_URLS:
                break
    return listing


def _drop_future_dates(listing: Listing, now: datetime) -> None:
    late = 0
    for item in (*listing.items, *listing.sitemaps):
        if item.published and item.published > now + FUTURE_SLACK:
            item.published = None
            late += 1
    if late:
        listing.problems.append(f"{late} dated in the future: those dates ignored")
