"""A site's sources, found from its address: what `newsflow sources add SITE` follows.

A URL that is itself a feed or sitemap is that source. Otherwise the page's `<link rel="alternate">`
feeds (trafilatura's finder, which also reads feed-like `<a>` links), else the common feed paths, and the
news sitemaps that the site's robots.txt names (all its sitemaps when it has no feed). Every step is a
fetch by the fetcher's rules (robots.txt, pacing, the address guard).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from protego import Protego
from trafilatura.feeds import FeedParameters, determine_feed

from newsflow.discover.documents import NotASource, parse
from newsflow.discover.poll import refuse_type
from newsflow.discover.sources import Registry, Source
from newsflow.ingest.fetch import Fetcher, FetchError, decode_html
from newsflow.ingest.polite import ROBOTS_MAX_BYTES
from newsflow.urls import InvalidUrl, canonicalize

COMMON_FEED_PATHS = (
    "/feed",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feeds/posts/default",
)


@dataclass
class Found:
    sources: list[str] = field(default_factory=list)  # what to follow, in the order found
    notes: list[str] = field(default_factory=list)  # what was looked at, for the user


@dataclass
class Followed:
    notes: list[str]
    sources: list[tuple[Source, bool]]  # each source, and whether it is new (False: followed already)


async def follow(registry: Registry, fetcher: Fetcher, address: str, *, exact: bool = False) -> Followed:
    """What `newsflow sources add` and POST /v1/sources do: the address as given (exact), or the sources
    found from it, each added to the registry."""
    found = Found(sources=[address]) if exact else await find_sources(fetcher, address)
    return Followed(found.notes, [await registry.add(url) for url in found.sources])


async def _listing_kind(fetcher: Fetcher, url: str) -> str | None:
    """The kind of listing at url, or None when it is not one (or not reachable)."""
    try:
        doc = await fetcher.fetch_document(url, refuse=refuse_type)
        return parse(doc.body, doc.final_url).kind
    except (FetchError, NotASource):
        return None


async def find_sources(fetcher: Fetcher, address: str) -> Found:
    found = Found()
    url = canonicalize(address if "://" in address else f"https://{address}")
    try:
        doc = await fetcher.fetch_document(url, refuse=refuse_type)
    except FetchError as exc:
        found.notes.append(f"{url}: {exc.reason}")
        return found
    try:
        listing = parse(doc.body, doc.final_url)
        found.sources.append(url)
        found.notes.append(
            f"{url} is a {listing.kind} listing {len(listing.items) or len(listing.sitemaps)} entries"
        )
        return found
    except NotASource:
        pass
    html, _ = decode_html(doc.body, doc.charset)
    parts = urlsplit(doc.final_url)
    site = f"{parts.scheme}://{parts.netloc}"
    feeds = determine_feed(html, FeedParameters(doc.final_url, parts.netloc, doc.final_url))
    if feeds:
        found.notes.append(f"the page links {len(feeds)} feeds")
    else:
        for path in COMMON_FEED_PATHS:
            candidate = urljoin(site, path)
            if await _listing_kind(fetcher, candidate) in ("rss", "atom", "rdf"):
                feeds.append(candidate)
                found.notes.append(f"a feed at the common path {path}")
                break
        else:
            found.notes.append("no feed linked from the page nor at the common paths")
    for feed in feeds:
        kind = await _listing_kind(fetcher, feed)
        if kind is None:
            found.notes.append(f"{feed}: linked, but not a readable feed")
        elif feed not in found.sources:
            found.sources.append(feed)
    sitemaps = await _robots_sitemaps(fetcher, site)
    if sitemaps:
        news = [s for s in sitemaps if "news" in s.lower()]
        chosen = news or ([] if found.sources else sitemaps)
        found.notes.append(
            f"robots.txt names {len(sitemaps)} sitemaps"
            + (f", {len(news)} of them news sitemaps" if news else "")
            + ("" if chosen else " (not followed: the feeds list new articles sooner)")
        )
        found.sources += [s for s in chosen if s not in found.sources]
    return found


async def _robots_sitemaps(fetcher: Fetcher, site: str) -> list[str]:
    try:
        doc = await fetcher.fetch_document(f"{site}/robots.txt", max_bytes=ROBOTS_MAX_BYTES)
    except FetchError:
        return []
    sitemaps = []
    for line in Protego.parse(doc.body.decode("utf-8", "replace")).sitemaps:
        try:
            sitemaps.append(canonicalize(urljoin(site, line)))
        except InvalidUrl:
            continue
    return sitemaps
