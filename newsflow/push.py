"""Putting URLs on news.urls: one code path for the CLI and the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from newsflow.settings import Settings
from newsflow.streams import ensure_groups
from newsflow.urls import InvalidUrl, id_for_url


@dataclass
class Pushed:
    url: str
    id: str | None = None
    entry_id: str | None = None
    error: str | None = None


async def push_urls(redis: Redis, settings: Settings, urls: list[str], *, force: bool = False,
                    source: str = "cli") -> list[Pushed]:
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
    async with redis.pipeline(transaction=False) as pipe:
        for item in valid:
            fields = {"url": item.url, "source": source}
            if force:
                fields["force"] = "1"
            pipe.xadd(settings.stream_urls, fields, maxlen=settings.stream_maxlen, approximate=True)
        ids = await pipe.execute()
    for item, entry_id in zip(valid, ids, strict=True):
        item.entry_id = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
    return results
