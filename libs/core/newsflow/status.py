"""What the pipeline is doing: streams (length; per group pending, lag, consumers), live workers per stage,
entries handled in the last minute per stage, dead letters and articles in the store."""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from newsflow import keys, rates
from newsflow.pipeline import data_streams, stages
from newsflow.settings import Settings

LAG_COUNT_LIMIT = 10_000


def _s(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


async def group_lag(redis: Redis, stream: str, info: dict[str, Any], limit: int = LAG_COUNT_LIMIT) -> int:
    """Entries the group has not read yet, from XINFO GROUPS `info` (counted up to `limit` when unreported)."""
    reported = info.get("lag")
    if reported is not None:
        return int(reported)
    # Redis < 7 reports no lag, nor does 7 after some deletions: count what lies after the last delivered id.
    rows = await redis.xrange(stream, min=f"({info['last-delivered-id']}", count=limit)
    return len(rows)


async def group_infos(redis: Redis, stream: str) -> list[dict[str, Any]]:
    """XINFO GROUPS with str keys and values; empty when the stream does not exist."""
    try:
        infos = await redis.xinfo_groups(stream)
    except ResponseError:  # no such stream yet
        return []
    return [{_s(k): _s(v) for k, v in info.items()} for info in infos]


async def stream_status(redis: Redis, stream: str) -> dict[str, Any]:
    length = int(await redis.xlen(stream))
    groups: dict[str, Any] = {}
    for info in await group_infos(redis, stream):
        name = info["name"]
        consumers = []
        for c in await redis.xinfo_consumers(stream, name):
            c = {_s(k): _s(v) for k, v in c.items()}
            consumers.append({"name": c["name"], "pending": int(c["pending"]), "idle_ms": int(c["idle"])})
        groups[name] = {
            "pending": int(info["pending"]),
            "lag": await group_lag(redis, stream, info),
            "last_delivered_id": info["last-delivered-id"],
            "consumers": consumers,
        }
    return {"length": length, "groups": groups}


async def sources_status(redis: Redis, settings: Settings) -> dict[str, int]:
    """The discover stage's sources by state, read from its keys (newsflow.discover.sources writes them):
    followed, ok, failing (failed polls in a row), disabled, and due now."""
    counts = {"followed": 0, "ok": 0, "failing": 0, "disabled": 0}
    for raw in await redis.hvals(keys.sources(settings.stream_urls)):
        source = json.loads(raw)
        counts["followed"] += 1
        state = "disabled" if source.get("disabled") else "failing" if source.get("failures") else "ok"
        counts[state] += 1
    counts["due"] = int(await redis.zcount(keys.sources_due(settings.stream_urls), "-inf", time.time()))
    return counts


async def collect_status(redis: Redis, settings: Settings, store_count: int | None) -> dict[str, Any]:
    streams = {}
    for stream in data_streams(settings):
        streams[stream] = await stream_status(redis, stream)
    names = list(stages(settings))
    workers: dict[str, int] = dict.fromkeys(names, 0)
    async for key in redis.scan_iter(match=keys.HEARTBEAT_PATTERN, count=1000):
        stage = keys.stage_of_heartbeat(_s(key))
        workers[stage] = workers.get(stage, 0) + 1
    return {
        "store": {"url": redact(settings.effective_store_url), "articles": store_count},
        "dead_letters": int(await redis.xlen(settings.stream_dlq)),
        "workers": workers,
        "last_minute": await rates.last_minute(redis, names),
        "streams": streams,
        "sources": await sources_status(redis, settings),
    }


def redact(url: str) -> str:
    """A URL fit for printing: any password replaced."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{creds}@{host}"
