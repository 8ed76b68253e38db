"""Throughput over the last minute, shared by every worker: per stage and outcome, in 10-second buckets.

Each handled entry adds to `newsflow:rate:<stage>:<outcome>:<bucket>` (a counter that expires after two
minutes) in a pipeline the worker sends anyway; `newsflow status` sums the buckets of the last minute.
Prometheus counters give the same per process; this gives it for the whole deployment, with no Prometheus.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newsflow import keys

BUCKET_S = 10
WINDOW_S = 60
OUTCOMES = ("ok", "skipped", "retry", "deferred", "dead_letter")


def count(pipe: Pipeline, stage: str, outcome: str, n: int = 1, now: float | None = None) -> None:
    bucket = int((time.time() if now is None else now) // BUCKET_S)
    key = keys.rate(stage, outcome, bucket)
    pipe.incrby(key, n)
    pipe.expire(key, 2 * WINDOW_S)


async def last_minute(redis: Redis, stages: list[str], now: float | None = None) -> dict[str, dict[str, int]]:
    """Entries handled per stage and outcome in the last minute (the current bucket plus five full ones)."""
    current = int((time.time() if now is None else now) // BUCKET_S)
    buckets = range(current - WINDOW_S // BUCKET_S + 1, current + 1)
    names = [keys.rate(s, o, b) for s in stages for o in OUTCOMES for b in buckets]
    values = await redis.mget(names)
    out: dict[str, dict[str, int]] = {s: dict.fromkeys(OUTCOMES, 0) for s in stages}
    i = 0
    for s in stages:
        for o in OUTCOMES:
            for _ in buckets:
                out[s][o] += int(values[i] or 0)
                i += 1
    return out
