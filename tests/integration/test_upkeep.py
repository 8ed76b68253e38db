"""Stream trimming and dead-consumer removal on a real redis-server: nothing a group needs is dropped."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from newsflow import keys
from newsflow.upkeep import (
    live_consumers,
    remove_dead_consumers,
    safe_trim_id,
    trim_dead_letters,
    trim_stream,
)

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

STREAM = "test.upkeep"


@pytest.fixture
async def redis(redis_url):
    client = Redis.from_url(redis_url, decode_responses=True)
    await client.delete(STREAM)
    yield client
    await client.delete(STREAM)
    await client.aclose()


def stream_id(entry_id: str) -> tuple[int, int]:
    # Compared as numbers: "…-89" comes before "…-139", though not as text.
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq)


async def fill(redis, n):
    # Many small entries, so approximate trimming has whole nodes to drop (100 entries per node).
    async with redis.pipeline(transaction=False) as pipe:
        for i in range(n):
            pipe.xadd(STREAM, {"i": str(i)})
        return await pipe.execute()


async def test_trim_keeps_what_any_group_still_needs(redis):
    ids = await fill(redis, 1000)
    await redis.xgroup_create(STREAM, "fast", id="0")
    await redis.xgroup_create(STREAM, "slow", id="0")
    # fast reads and acknowledges everything; slow reads 600, acknowledges all but entry 250.
    fast = await redis.xreadgroup("fast", "c1", {STREAM: ">"}, count=1000)
    await redis.xack(STREAM, "fast", *[i for i, _ in fast[0][1]])
    slow = await redis.xreadgroup("slow", "c1", {STREAM: ">"}, count=600)
    await redis.xack(STREAM, "slow", *[i for i, _ in slow[0][1] if i != ids[250]])

    assert await safe_trim_id(redis, STREAM, retention_s=0) == ids[250]
    removed = await trim_stream(redis, STREAM, retention_s=0)
    first = (await redis.xrange(STREAM, count=1))[0][0]
    assert 0 < removed <= 250 and stream_id(first) <= stream_id(ids[250])
    # The pending entry and everything slow has not read are still there and still deliverable.
    assert await redis.xlen(STREAM) == 1000 - removed
    claimed = await redis.xautoclaim(STREAM, "slow", "c2", min_idle_time=0, start_id="0", count=10)
    assert claimed[1] == [(ids[250], {"i": "250"})]
    rest = await redis.xreadgroup("slow", "c1", {STREAM: ">"}, count=1000)
    assert len(rest[0][1]) == 400


async def test_trim_keeps_unread_entries_and_the_retention_window(redis):
    ids = await fill(redis, 500)
    await redis.xgroup_create(STREAM, "g", id="0")
    read = await redis.xreadgroup("g", "c", {STREAM: ">"}, count=300)
    await redis.xack(STREAM, "g", *[i for i, _ in read[0][1]])
    # Every entry is younger than an hour: the retention window keeps them all.
    assert await trim_stream(redis, STREAM, retention_s=3600) == 0
    assert await redis.xlen(STREAM) == 500
    # Without retention, only what the group acknowledged may go: the entry after the last delivered one stays.
    assert stream_id(await safe_trim_id(redis, STREAM, retention_s=0)) > stream_id(ids[299])
    removed = await trim_stream(redis, STREAM, retention_s=0)
    assert 0 < removed <= 300
    assert stream_id((await redis.xrange(STREAM, count=1))[0][0]) <= stream_id(ids[300])


async def test_a_stream_without_groups_is_trimmed_by_retention_only(redis):
    await fill(redis, 300)
    assert await trim_stream(redis, STREAM, retention_s=3600) == 0
    await asyncio.sleep(0.01)
    assert await trim_stream(redis, STREAM, retention_s=0) > 0


async def test_only_idle_consumers_without_pending_entries_are_removed(redis):
    await fill(redis, 10)
    await redis.xgroup_create(STREAM, "g", id="0")
    await redis.xreadgroup("g", "dead-with-work", {STREAM: ">"}, count=3)
    await redis.xreadgroup("g", "dead-idle", {STREAM: ">"}, count=2)
    await redis.xack(STREAM, "g", *[i for i, _ in (await redis.xrange(STREAM, count=5))[3:5]])
    await asyncio.sleep(0.3)
    await redis.xreadgroup("g", "alive", {STREAM: ">"}, count=1)
    removed = await remove_dead_consumers(redis, STREAM, "g", max_idle_s=0.2)
    assert removed == ["dead-idle"]
    names = {c["name"] for c in await redis.xinfo_consumers(STREAM, "g")}
    assert names == {"dead-with-work", "alive"}
    # Once a live worker reclaims its entries, the dead consumer goes too.
    await redis.xautoclaim(STREAM, "g", "alive", min_idle_time=0, start_id="0")
    await asyncio.sleep(0.3)
    assert await remove_dead_consumers(redis, STREAM, "g", max_idle_s=0.2) == ["dead-with-work"]


async def test_a_live_workers_consumers_stay_however_long_no_entry_reaches_them(redis):
    await fill(redis, 1)
    await redis.xgroup_create(STREAM, "g", id="$")
    for name in ("quiet-worker", "quiet-worker-reclaim", "gone-worker"):
        await redis.xgroup_createconsumer(STREAM, "g", name)
    await redis.set(keys.heartbeat("stage", "quiet-worker"), "1", ex=30)
    await asyncio.sleep(0.3)
    # An empty blocking read does not reset a consumer's idle time before Redis 7.2.
    await redis.xreadgroup("g", "quiet-worker", {STREAM: ">"}, block=10)
    live = await live_consumers(redis, "stage")
    assert live == {"quiet-worker"}
    assert await remove_dead_consumers(redis, STREAM, "g", max_idle_s=0.2, live=live) == ["gone-worker"]
    await redis.delete(keys.heartbeat("stage", "quiet-worker"))


async def test_dead_letters_are_trimmed_by_age_then_by_count(redis):
    now_ms = int(time.time() * 1000)
    day = 86_400_000
    for age_days in (40, 35, 31):  # past 30 days
        await redis.xadd(STREAM, {"reason": f"{age_days} days"}, id=f"{now_ms - age_days * day}-0")
    for i in range(10):  # recent
        await redis.xadd(STREAM, {"reason": f"recent {i}"}, id=f"{now_ms - 1000 + i}-0")
    removed = await trim_dead_letters(redis, STREAM, max_age_s=30 * 86_400, max_len=6)
    assert removed == {"age": 3, "count": 4}
    kept = [f["reason"] for _, f in await redis.xrange(STREAM)]
    assert kept == [f"recent {i}" for i in range(4, 10)]  # the newest six
    assert await trim_dead_letters(redis, STREAM, max_age_s=0, max_len=0) == {"age": 0, "count": 0}
    assert await redis.xlen(STREAM) == 6
