"""One poll of one source: fetch it (conditionally), read its listing, follow a sitemap index to its newest
children, keep the recent items no source listed before, and push them onto news.urls.

What the poll decides about its source (next poll time, failures, disabled) is the Registry's; this
module only says what happened. Every failure is a reason in words, kept on the source.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog
from redis.asyncio import Redis

from newsflow import keys
from newsflow.discover.documents import MAX_BYTES, Item, Listing, NotASource, parse
from newsflow.discover.sources import Registry, Source
from newsflow.ingest.fetch import Document, Fetcher, FetchError
from newsflow.push import Backpressure, push_urls
from newsflow.settings import Settings
from newsflow.text import key
from newsflow.urls import InvalidUrl, canonicalize, id_for_url

log = structlog.get_logger()

SITEMAP_KINDS = ("sitemap", "sitemapindex", "text")
# An index whose children are indexes is followed this deep, no deeper.
MAX_DEPTH = 2
# Claims and pushes go to Redis in chunks of this many URLs.
CHUNK = 1000
# Types that are never a feed or a sitemap. (Feeds are served as text/html and sitemaps as
# application/octet-stream often enough that only these are refused before the body is read.)
REFUSED_TYPES = ("image/", "audio/", "video/", "font/", "application/pdf")


def refuse_type(mime: str, body: bytes) -> str | None:
    if mime.startswith(REFUSED_TYPES):
        return f"not a feed or sitemap: content-type {mime}"
    return None


@dataclass
class Outcome:
    """What one poll found: the items it kept, those it pushed, what it read past."""

    kind: str | None = None
    listed: int = 0
    pushed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    not_modified: bool = False


class Poller:
    def __init__(self, redis: Redis, settings: Settings, fetcher: Fetcher):
        self.redis = redis
        self.settings = settings
        self.fetcher = fetcher
        self.registry = Registry(redis, settings)

    async def poll(self, source: Source, now: datetime) -> tuple[Source, Outcome]:
        """The source as it stands after one poll (next poll time set), and what the poll found."""
        outcome = Outcome()
        headers = {}
        if source.etag:
            headers["If-None-Match"] = source.etag
        if source.last_modified:
            headers["If-Modified-Since"] = source.last_modified
        try:
            doc = await self._fetch(source.url, headers)
            if doc.status == 304:
                outcome.not_modified = True
                return self.registry.after_success(source, source.listed, 0, now), outcome
            listing = parse(doc.body, doc.final_url, now)
        except FetchError as exc:
            return self.registry.after_failure(source, exc.reason, now, exc.retry_after_s), outcome
        except NotASource as exc:
            return self.registry.after_failure(source, str(exc), now, None), outcome
        outcome.kind = listing.kind
        outcome.problems = list(listing.problems)
        items = list(listing.items)
        if listing.sitemaps:
            items += await self._children(listing, {source.url, doc.final_url}, now, outcome.problems, 1)
        # A sitemap lists a site's whole past, mostly undated: its first poll learns what is there
        # without pushing it, and later polls push what appeared since.
        baseline = source.last_ok_at is None and listing.kind in SITEMAP_KINDS
        recent = self._recent(items, now)
        outcome.listed = len(recent)
        try:
            outcome.pushed = await self._push_new(source, recent, baseline, outcome.problems)
        except Backpressure as exc:
            # Not the source's fault: polled again once ingest has caught up, nothing claimed.
            retry = now + timedelta(seconds=exc.retry_after)
            return source.model_copy(update={"next_poll_at": retry, "last_error": str(exc)}), outcome
        updated = self.registry.after_success(
            source,
            outcome.listed,
            len(outcome.pushed),
            now,
            kind=listing.kind,
            problems=outcome.problems,
            etag=doc.etag,
            last_modified=doc.last_modified,
        )
        return updated, outcome

    async def _fetch(self, url: str, headers: dict[str, str] | None = None) -> Document:
        return await self.fetcher.fetch_document(
            url, refuse=refuse_type, headers=headers, max_bytes=MAX_BYTES
        )

    async def _children(
        self, listing: Listing, visited: set[str], now: datetime, problems: list[str], depth: int
    ) -> list[Item]:
        """The items of the index's newest children (at most NEWSFLOW_DISCOVER_MAX_CHILDREN, none older
        than the age limit), each fetched once per poll: an index that lists itself is read once."""
        oldest = self._oldest(now)
        children = [c for c in listing.sitemaps if not (oldest and c.published and c.published < oldest)]
        children.sort(key=lambda c: c.published.timestamp() if c.published else 0.0, reverse=True)
        items: list[Item] = []
        for child in children[: self.settings.discover_max_children]:
            try:
                url = canonicalize(child.url)
            except InvalidUrl as exc:
                problems.append(f"child sitemap {child.url!r}: {exc}")
                continue
            if url in visited:
                problems.append(f"child sitemap {url} was already read (a loop)")
                continue
            visited.add(url)
            try:
                doc = await self._fetch(url)
                sub = parse(doc.body, doc.final_url, now)
            except (FetchError, NotASource) as exc:
                problems.append(f"child sitemap {url}: {exc}")
                continue
            problems += [f"child sitemap {url}: {p}" for p in sub.problems]
            items += sub.items
            if sub.sitemaps:
                if depth >= MAX_DEPTH:
                    problems.append(f"child sitemap {url} is an index {depth + 1} levels deep: not followed")
                else:
                    items += await self._children(sub, visited, now, problems, depth + 1)
        return items

    def _oldest(self, now: datetime) -> datetime | None:
        age = self.settings.discover_max_age_s
        return now - timedelta(seconds=age) if age else None

    def _recent(self, items: list[Item], now: datetime) -> list[Item]:
        oldest = self._oldest(now)
        return [i for i in items if not (oldest and i.published and i.published < oldest)]

    async def _push_new(
        self, source: Source, items: list[Item], baseline: bool, problems: list[str]
    ) -> list[str]:
        """Claims each item's article id (and its title, for this source) for the dedup window; pushes
        those no source listed before, and no article was ingested under, in list order."""
        s = self.settings
        window = s.dedup_window_s or max(s.discover_max_age_s, 86_400)
        stream = s.stream_urls
        ids: list[tuple[Item, str]] = []
        invalid = 0
        for item in dict((i.url, i) for i in items).values():
            try:
                ids.append((item, id_for_url(item.url)[0]))
            except InvalidUrl:
                invalid += 1
        if invalid:
            problems.append(f"{invalid} listed URLs are not valid http(s) URLs: skipped")
        fresh: list[tuple[Item, str]] = []
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            async with self.redis.pipeline(transaction=False) as pipe:
                for _, aid in chunk:
                    pipe.set(keys.discovered(stream, aid), source.id, nx=True, ex=window)
                    pipe.exists(keys.ingested(s.stream_articles, aid))
                replies = await pipe.execute()
            for n, (item, aid) in enumerate(chunk):
                claimed, ingested = replies[2 * n], replies[2 * n + 1]
                if claimed and not ingested:
                    fresh.append((item, aid))
        if baseline:
            fresh = [(i, aid) for i, aid in fresh if i.published is not None]
        fresh = await self._new_titles(source, fresh, window)
        urls = [item.url for item, _ in fresh]
        try:
            for start in range(0, len(urls), CHUNK):
                await push_urls(
                    self.redis,
                    s,
                    urls[start : start + CHUNK],
                    source=f"discover {source.url}",
                    feed=source.url,
                )
        except Backpressure:
            await self.redis.delete(*(keys.discovered(stream, aid) for _, aid in fresh[start:]))
            raise
        return urls

    async def _new_titles(
        self, source: Source, fresh: list[tuple[Item, str]], window: int
    ) -> list[tuple[Item, str]]:
        """Without the items whose title this source listed within the window under another URL:
        syndication and tracking variants of one story."""
        titled = [(i, aid, key(i.title)) for i, aid in fresh if i.title and len(key(i.title)) >= 12]
        if not titled:
            return fresh
        async with self.redis.pipeline(transaction=False) as pipe:
            for _, aid, folded in titled:
                digest = hashlib.sha256(folded.encode()).hexdigest()[:16]
                pipe.set(
                    keys.discovered_title(self.settings.stream_urls, source.id, digest),
                    aid,
                    nx=True,
                    ex=window,
                )
            replies = await pipe.execute()
        repeated = {aid for (_, aid, _), ok in zip(titled, replies, strict=True) if not ok}
        return [(i, aid) for i, aid in fresh if aid not in repeated]
