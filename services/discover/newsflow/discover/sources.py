"""The sources the discover stage polls, kept in Redis, and when each is polled next.

    newsflow:sources:<urls stream>                 hash: source id -> the Source as JSON
    newsflow:sources:due:<urls stream>             sorted set: source id -> next poll (epoch seconds);
                                                   a disabled source is not in it
    newsflow:sources:lease:<urls stream>:<id>      held by the replica polling the source (SET NX EX)
(newsflow.keys names them.)

Redis, not the store: every replica already shares it, and the due set plus a lease per source is the
whole of the coordination (doc/choices.md, "Discover"). The keys are named after the URLs stream that
the sources feed, so two deployments on one Redis keep apart.

The interval adapts the way feed fetchers do: halved when most listed URLs were new (the source
publishes faster than it is polled), 1.5 times longer when none was, within the settings' bounds. A
failed poll backs off exponentially (or as long as Retry-After asks) and after
NEWSFLOW_DISCOVER_MAX_FAILURES failures in a row the source is disabled until it is added again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from newsflow import keys
from newsflow.schemas import utcnow
from newsflow.settings import Settings
from newsflow.urls import InvalidUrl, canonicalize

HISTORY = 10  # new URLs of the last polls, shown by `sources list`


class Source(BaseModel):
    id: str
    url: str = Field(description="the feed or sitemap, canonical")
    site: str = Field(description="scheme and host the source belongs to")
    kind: str | None = Field(
        default=None, description="rss, atom, rdf, sitemap, sitemapindex, text: once polled"
    )
    added_at: datetime
    interval_s: float
    next_poll_at: datetime
    last_poll_at: datetime | None = None
    last_ok_at: datetime | None = None
    polls: int = 0
    failures: int = Field(default=0, description="failed polls in a row")
    last_error: str | None = None
    problems: list[str] = Field(default_factory=list, description="what the last poll read past")
    disabled: bool = False
    etag: str | None = None
    last_modified: str | None = None
    listed: int = Field(default=0, description="URLs the last poll listed")
    new: list[int] = Field(default_factory=list, description="new URLs pushed by each of the last polls")
    pushed: int = Field(default=0, description="URLs pushed since the source was added")


def source_id(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


class Registry:
    def __init__(self, redis: Redis, settings: Settings):
        self.redis = redis
        self.settings = settings
        self.table = keys.sources(settings.stream_urls)
        self.due = keys.sources_due(settings.stream_urls)

    def lease_key(self, sid: str) -> str:
        return keys.source_lease(self.settings.stream_urls, sid)

    async def add(self, url: str) -> tuple[Source, bool]:
        """The source for this URL, due now; (source, False) if it was there already. Adding a disabled
        source again enables it, with its failures forgotten."""
        canonical = canonicalize(url)
        sid = source_id(canonical)
        now = utcnow()
        known = await self.get(sid)
        if known is not None and not known.disabled:
            return known, False
        parts = canonical.split("/", 3)
        source = (
            known
            or Source(
                id=sid,
                url=canonical,
                site="/".join(parts[:3]),
                added_at=now,
                interval_s=self.settings.discover_interval_s,
                next_poll_at=now,
            )
        ).model_copy(update={"disabled": False, "failures": 0, "next_poll_at": now})
        await self.save(source)
        return source, known is None

    async def get(self, sid: str) -> Source | None:
        raw = await self.redis.hget(self.table, sid)
        return Source.model_validate_json(raw) if raw else None

    async def find(self, url_or_id: str) -> Source | None:
        """By id, or by any spelling of its URL."""
        found = await self.get(url_or_id)
        if found is None:
            try:
                found = await self.get(source_id(canonicalize(url_or_id)))
            except InvalidUrl:
                return None
        return found

    async def all(self) -> list[Source]:
        rows = await self.redis.hvals(self.table)
        return sorted((Source.model_validate_json(r) for r in rows), key=lambda s: s.url)

    async def remove(self, sid: str) -> bool:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self.table, sid).zrem(self.due, sid).delete(self.lease_key(sid))
            removed, *_ = await pipe.execute()
        return bool(removed)

    async def save(self, source: Source) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.table, source.id, source.model_dump_json())
            if source.disabled:
                pipe.zrem(self.due, source.id)
            else:
                pipe.zadd(self.due, {source.id: source.next_poll_at.timestamp()})
            await pipe.execute()

    async def claim_due(self, now: datetime, limit: int, holder: str) -> list[Source]:
        """Sources due by `now` that this replica now holds the lease of. Another replica that read the
        same ids either fails to take the lease or, taking it after this one finished, finds the source
        no longer due: so a source is never polled twice at once, nor twice for one due time."""
        ids = await self.redis.zrangebyscore(self.due, "-inf", now.timestamp(), start=0, num=limit)
        claimed = []
        for raw in ids:
            sid = raw.decode() if isinstance(raw, bytes) else raw
            if not await self.redis.set(
                self.lease_key(sid), holder, nx=True, ex=self.settings.discover_lease_s
            ):
                continue
            score = await self.redis.zscore(self.due, sid)
            source = await self.get(sid)
            if score is None or score > now.timestamp() or source is None or source.disabled:
                await self.release(sid, holder)
                continue
            claimed.append(source)
        return claimed

    async def release(self, sid: str, holder: str) -> None:
        key = self.lease_key(sid)
        if (await self.redis.get(key)) in (holder, holder.encode()):
            await self.redis.delete(key)

    async def finish(self, source: Source, holder: str) -> None:
        """Saves the polled source (its next poll time set) and gives its lease back."""
        await self.save(source)
        await self.release(source.id, holder)

    # --- scheduling ---

    def after_success(self, source: Source, listed: int, new: int, now: datetime, **fields: object) -> Source:
        s = self.settings
        interval = source.interval_s
        if listed and new * 2 >= listed:
            interval /= 2  # most of what it lists is new: it publishes faster than it is polled
        elif new == 0:
            interval *= 1.5
        interval = min(max(interval, s.discover_min_interval_s), s.discover_max_interval_s)
        return source.model_copy(
            update={
                **fields,
                "interval_s": interval,
                "next_poll_at": now + timedelta(seconds=interval),
                "last_poll_at": now,
                "last_ok_at": now,
                "polls": source.polls + 1,
                "failures": 0,
                "last_error": None,
                "listed": listed,
                "new": [*source.new, new][-HISTORY:],
                "pushed": source.pushed + new,
            }
        )

    def after_failure(
        self, source: Source, reason: str, now: datetime, retry_after_s: float | None
    ) -> Source:
        s = self.settings
        failures = source.failures + 1
        wait = min(source.interval_s * 2**failures, s.discover_max_interval_s)
        if retry_after_s is not None:
            wait = min(max(wait, retry_after_s), s.discover_max_interval_s)
        return source.model_copy(
            update={
                "next_poll_at": now + timedelta(seconds=wait),
                "last_poll_at": now,
                "polls": source.polls + 1,
                "failures": failures,
                "last_error": reason,
                "disabled": failures >= s.discover_max_failures,
            }
        )
