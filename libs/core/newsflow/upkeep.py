"""Stream upkeep every worker does for its input stream: groups, trimming, dead consumers; and the
dead-letter stream's limits (age and count).

Trimming never drops an entry that a group still needs. For each group the oldest entry it may still
need is its oldest pending entry or, with nothing pending, the entry after its last-delivered id; the
stream is trimmed (XTRIM MINID) below the oldest of those across every group — downstream teams'
groups included — and never below the retention window (`NEWSFLOW_STREAM_RETENTION_S`), which keeps
recent entries for readers without a group. A group that stops reading therefore stops the trimming of
its stream: `newsflow status` shows its lag, and news.urls backpressure (newsflow.push) bounds the input.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from newsflow import keys
from newsflow.logs import get_logger

log = get_logger("newsflow.upkeep")

# Deletes a consumer only if it owns no pending entry, atomically: DELCONSUMER would drop its pending
# entries from the group, and they would never be delivered again.
_DELETE_IF_IDLE = """
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #pending > 0 then return -1 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
"""


def _s(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _id_tuple(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


async def safe_trim_id(
    redis: Redis, stream: str, retention_s: float, now_ms: int | None = None
) -> str | None:
    """The lowest id the stream must keep, or None when nothing may be trimmed."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    floor = (max(now_ms - int(retention_s * 1000), 0), 0)
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:  # no such stream
        return None
    for group in groups:
        group = {_s(k): _s(v) for k, v in group.items()}
        if int(group["pending"]) > 0:
            summary = await redis.xpending(stream, group["name"])
            needed = _id_tuple(_s(summary["min"]))
        else:
            ms, seq = _id_tuple(group["last-delivered-id"])
            needed = (ms, seq + 1)
        floor = min(floor, needed)
    if floor == (0, 0):
        return None
    return f"{floor[0]}-{floor[1]}"


async def trim_stream(redis: Redis, stream: str, retention_s: float) -> int:
    """Trim what every group has acknowledged and the retention window no longer holds; returns how many."""
    min_id = await safe_trim_id(redis, stream, retention_s)
    if min_id is None:
        return 0
    # Approximate trimming removes whole radix-tree nodes: never more than asked, and cheap.
    removed = int(await redis.xtrim(stream, minid=min_id, approximate=True))
    if removed:
        log.info("stream_trimmed", stream=stream, below=min_id, removed=removed)
    return removed


async def trim_dead_letters(redis: Redis, stream: str, max_age_s: float, max_len: int) -> dict[str, int]:
    """Dead letters older than max_age_s, then beyond the newest max_len, removed (exactly, not
    approximately: what is kept is what the settings say). Returns how many went, by reason."""
    removed = {"age": 0, "count": 0}
    if max_age_s:
        min_id = f"{max(int((time.time() - max_age_s) * 1000), 0)}-0"
        removed["age"] = int(await redis.xtrim(stream, minid=min_id, approximate=False))
    if max_len:
        removed["count"] = int(await redis.xtrim(stream, maxlen=max_len, approximate=False))
    if any(removed.values()):
        log.info("dead_letters_trimmed", stream=stream, **removed)
    return removed


async def live_consumers(redis: Redis, stage: str) -> set[str]:
    """The consumer names of the stage's workers whose heartbeat is live."""
    return {
        keys.consumer_of_heartbeat(_s(key))
        async for key in redis.scan_iter(match=keys.heartbeat(stage, "*"), count=1000)
    }


async def remove_dead_consumers(
    redis: Redis, stream: str, group: str, max_idle_s: float, live: Collection[str] = ()
) -> list[str]:
    """Remove the group's consumers idle longer than max_idle_s that own no pending entry, except the
    live workers' (`live`: their names; a worker's reclaimer is "<name>-reclaim").

    A worker killed with entries pending leaves a consumer behind; the reclaimer of a live worker takes
    over its entries (XAUTOCLAIM), after which the empty consumer is removed here. Idleness alone does
    not tell a dead worker: before Redis 7.2 an empty blocking read leaves a consumer's idle time
    running, so a live worker on a quiet stream looks as idle as a dead one.
    """
    try:
        consumers = await redis.xinfo_consumers(stream, group)
    except ResponseError:
        return []
    removed = []
    for consumer in consumers:
        consumer = {_s(k): _s(v) for k, v in consumer.items()}
        idle_ms = int(consumer["idle"])
        if idle_ms < max_idle_s * 1000 or int(consumer["pending"]) > 0:
            continue
        if consumer["name"].removesuffix("-reclaim") in live:
            continue
        if int(await redis.eval(_DELETE_IF_IDLE, 1, stream, group, consumer["name"])) >= 0:
            removed.append(consumer["name"])
    if removed:
        log.info("dead_consumers_removed", stream=stream, group=group, consumers=removed)
    return removed
