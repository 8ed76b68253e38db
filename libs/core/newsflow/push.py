"""Putting URLs on news.urls: one code path for the CLI and the HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from newsflow import keys
from newsflow.pipeline import stages
from newsflow.schemas import format_utc, utcnow
from newsflow.settings import Settings
from newsflow.status import group_infos, group_lag
from newsflow.streams import ensure_groups
from newsflow.trace import record
from newsflow.urls import InvalidUrl, id_for_url

# How long a refused or waiting pusher waits before trying again.
RETRY_AFTER_S = 5
CHUNK = 500


class Backpressure(Exception):
    """news.urls holds more unread entries than NEWSFLOW_URLS_MAX_LAG: push later."""

    def __init__(self, lag: int, limit: int):
        super().__init__(f"news.urls has {lag} unread entries (limit {limit}); retry in {RETRY_AFTER_S} s")
        self.lag, self.limit, self.retry_after = lag, limit, RETRY_AFTER_S


@dataclass
class Pushed:
    url: str
    id: str | None = None
    entry_id: str | None = None
    error: str | None = None


async def urls_lag(redis: Redis, settings: Settings) -> int:
    """news.urls entries the first stage's group has not read yet."""
    group = next(iter(stages(settings).values())).group
    for info in await group_infos(redis, settings.stream_urls):
        if info["name"] == group:
            return await group_lag(redis, settings.stream_urls, info, limit=settings.urls_max_lag + 1)
    return 0


async def check_backpressure(redis: Redis, settings: Settings) -> None:
    lag = await urls_lag(redis, settings)
    if lag > settings.urls_max_lag:
        raise Backpressure(lag, settings.urls_max_lag)


async def _room_on_urls(
    redis: Redis, settings: Settings, wait: Callable[[Backpressure], None] | None
) -> None:
    while True:
        try:
            return await check_backpressure(redis, settings)
        except Backpressure as exc:
            if wait is None:
                raise
            wait(exc)
            await asyncio.sleep(exc.retry_after)


async def push_urls(
    redis: Redis,
    settings: Settings,
    urls: list[str],
    *,
    force: bool = False,
    source: str = "cli",
    feed: str | None = None,
    wait: Callable[[Backpressure], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Pushed]:
    """Queue valid URLs; invalid ones come back with their error.

    Above the lag limit, raises Backpressure — or, given `wait`, calls it and waits, chunk by chunk,
    until the ingest workers have caught up (a long `push --file` then paces itself). `progress` is
    called with (queued, total) after each chunk.
    """
    await ensure_groups(redis, settings)
    results: list[Pushed] = []
    valid: list[Pushed] = []
    for url in urls:
        try:
            article_id, _ = id_for_url(url)
        except InvalidUrl as exc:
            results.append(Pushed(url=url, error=str(exc)))
            continue
        item = Pushed(url=url.strip(), id=article_id)
        results.append(item)
        valid.append(item)
    for start in range(0, len(valid), CHUNK):
        chunk = valid[start : start + CHUNK]
        if start == 0 or wait is not None:  # refused before anything is queued, or paced chunk by chunk
            await _room_on_urls(redis, settings, wait)
        # The trace is started before the entries are queued: a worker may take an entry and finish
        # with it (a 404 is dead-lettered within milliseconds) before a later write could land, and
        # that write would then wipe its steps. Only the entry ids are added afterwards.
        at = format_utc(utcnow())
        async with redis.pipeline(transaction=False) as pipe:
            for item in chunk:
                # A new push starts a new trace: the steps of an earlier one would mislead.
                pipe.delete(keys.trace(item.id or ""))
                record(pipe, settings, item.id, {"pushed_at": at, "url": item.url, "source": source})
            await pipe.execute()
        async with redis.pipeline(transaction=False) as pipe:
            for item in chunk:
                fields = {"url": item.url, "source": source}
                if feed:
                    fields["feed"] = feed
                if force:
                    fields["force"] = "1"
                pipe.xadd(settings.stream_urls, fields)
            ids = await pipe.execute()
        async with redis.pipeline(transaction=False) as pipe:
            for item, entry_id in zip(chunk, ids, strict=True):
                item.entry_id = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                record(pipe, settings, item.id, {"pushed_entry": item.entry_id})
            await pipe.execute()
        if progress:
            progress(min(start + CHUNK, len(valid)), len(valid))
    return results
