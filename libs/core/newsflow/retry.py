"""When a failed entry is tried again: exponential backoff with jitter, or what the cause asked for.

A retried entry never leaves its group's pending list (nothing is lost if the worker dies meanwhile);
its idle time is set with XCLAIM IDLE so that the reclaimers (XAUTOCLAIM, min idle
NEWSFLOW_CLAIM_IDLE_MS) take it when it is due. A delay longer than the claim idle time also leaves
a `due` key that expires when the entry is due; an entry reclaimed while its key lives is put back
with the same delivery count, so waiting costs no delivery.

An entry's retry state is two keys (newsflow.keys): `due`, above, and `attempt`, when it was first
attempted, which its dead letter reports. This module owns both; they go once the entry is done.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newsflow import keys
from newsflow.pipeline import Stage
from newsflow.settings import Settings


def retry_delay_s(
    settings: Settings,
    deliveries: int,
    requested_s: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds before the next attempt after `deliveries` failed ones.

    Equal jitter: half the exponential step is fixed, half random, so the retries of many entries
    that failed together (a host went down) spread out instead of coming back in one burst.
    """
    step = min(settings.retry_base_s * 2 ** max(deliveries - 1, 0), settings.retry_max_s)
    delay = step / 2 + rand() * step / 2
    if requested_s is not None:
        delay = max(delay, min(requested_s, settings.retry_max_s))
    return delay


# Long enough for any retry schedule (retry_max_s is an hour); a key left by a lost entry still expires.
ATTEMPT_KEY_TTL_S = 7 * 86_400


def due_key(stage: Stage, entry_id: str) -> str:
    return keys.due(stage.input, stage.group, entry_id)


def attempt_key(stage: Stage, entry_id: str) -> str:
    return keys.attempt(stage.input, stage.group, entry_id)


def remember_first_attempt(pipe: Pipeline, stage: Stage, entry_id: str, started_at: str) -> None:
    """Queue: the first failed attempt records its start (a later one never overwrites it)."""
    pipe.set(attempt_key(stage, entry_id), started_at, nx=True, ex=ATTEMPT_KEY_TTL_S)


async def first_attempt_at(redis: Redis, stage: Stage, entry_id: str) -> str | None:
    value = await redis.get(attempt_key(stage, entry_id))
    return value.decode() if isinstance(value, bytes) else value


def forget(pipe: Pipeline, stage: Stage, entry_id: str) -> None:
    """Queue: the entry is done (acknowledged or dead-lettered), its retry state goes."""
    pipe.delete(attempt_key(stage, entry_id), due_key(stage, entry_id))


async def defer(
    redis: Redis,
    settings: Settings,
    stage: Stage,
    consumer: str,
    entry_id: str,
    *,
    delay_s: float,
    deliveries: int,
) -> None:
    """Keep the entry pending, claimable in `delay_s`, with `deliveries` as its delivery count."""
    delay_ms = max(int(delay_s * 1000), 0)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xclaim(
            stage.input,
            stage.group,
            consumer,
            0,
            [entry_id],
            idle=max(settings.claim_idle_ms - delay_ms, 0),
            retrycount=max(deliveries, 0),
            justid=True,
        )
        if delay_ms > settings.claim_idle_ms:
            pipe.set(due_key(stage, entry_id), "1", px=delay_ms)
        else:
            pipe.delete(due_key(stage, entry_id))
        await pipe.execute()


async def not_due_for_ms(redis: Redis, stage: Stage, entry_id: str) -> int:
    """Milliseconds until a deferred entry is due (0: due now)."""
    return max(int(await redis.pttl(due_key(stage, entry_id))), 0)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
