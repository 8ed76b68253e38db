"""The dead-letter stream: what failed, where, why, how often, when, and the original entry to replay.

Dead letters stay until someone replays or purges them, or until the workers' upkeep trims them:
older than NEWSFLOW_DLQ_MAX_AGE_S (30 days) or beyond the newest NEWSFLOW_DLQ_MAX_LEN (100,000), counted
in newsflow_dead_letters_trimmed_total.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from newsflow.schemas import format_utc, utcnow
from newsflow.settings import Settings
from newsflow.streams import decode_fields


@dataclass
class DeadLetter:
    dlq_id: str
    stage: str
    stream: str
    entry_id: str
    error: str
    cause: str
    reason: str
    attempts: int
    enqueued_at: str
    first_attempt_at: str
    last_attempt_at: str
    failed_at: str
    article_id: str | None
    url: str | None
    payload: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def entry_time(entry_id: str) -> str:
    """When an entry was added: a Redis stream id starts with its millisecond timestamp."""
    try:
        ms = int(entry_id.split("-", 1)[0])
    except ValueError:
        return ""
    return format_utc(datetime.fromtimestamp(ms / 1000, tz=UTC))


def dead_letter_fields(
    *,
    stage: str,
    stream: str,
    entry_id: str,
    error: BaseException,
    attempts: int,
    first_attempt_at: str,
    last_attempt_at: str,
    payload: dict[str, str],
    article_id: str | None = None,
    url: str | None = None,
) -> dict[str, str]:
    """The dead-letter entry for a failed stream entry; the caller appends it with XADD."""
    reason = str(error) or type(error).__name__
    return {
        "stage": stage,
        "stream": stream,
        "entry_id": entry_id,
        "error": type(error).__name__,
        # Quarantine/Requeue say what to do; the cause says what went wrong (FetchError, ValidationError...).
        "cause": type(error.__cause__).__name__ if error.__cause__ else "",
        "reason": reason[:2000],
        "attempts": str(attempts),
        "enqueued_at": entry_time(entry_id),
        "first_attempt_at": first_attempt_at,
        "last_attempt_at": last_attempt_at,
        "failed_at": format_utc(utcnow()),
        "article_id": article_id or "",
        "url": url or payload.get("url", ""),
        "payload": json.dumps(payload, ensure_ascii=False),
    }


def _parse(dlq_id: bytes | str, raw: dict[Any, Any]) -> DeadLetter:
    f = decode_fields(raw)
    try:
        payload = json.loads(f.get("payload") or "{}")
    except json.JSONDecodeError:
        payload = {"_raw": f.get("payload", "")}
    return DeadLetter(
        dlq_id=dlq_id.decode() if isinstance(dlq_id, bytes) else dlq_id,
        stage=f.get("stage", ""),
        stream=f.get("stream", ""),
        entry_id=f.get("entry_id", ""),
        error=f.get("error", ""),
        cause=f.get("cause", ""),
        reason=f.get("reason", ""),
        attempts=int(f.get("attempts") or 0),
        enqueued_at=f.get("enqueued_at", ""),
        first_attempt_at=f.get("first_attempt_at", ""),
        last_attempt_at=f.get("last_attempt_at", ""),
        failed_at=f.get("failed_at", ""),
        article_id=f.get("article_id") or None,
        url=f.get("url") or None,
        payload=payload if isinstance(payload, dict) else {"_raw": str(payload)},
    )


async def list_dead_letters(redis: Redis, settings: Settings, count: int = 100) -> list[DeadLetter]:
    rows = await redis.xrange(settings.stream_dlq, count=count)
    return [_parse(i, raw) for i, raw in rows]


async def replay(redis: Redis, settings: Settings, ids: list[str] | None = None) -> list[str]:
    """Put dead letters back on the stream they came from (all of them when ids is None)."""
    if ids is None:
        rows = await redis.xrange(settings.stream_dlq)
    else:
        rows = []
        for dlq_id in ids:
            rows += await redis.xrange(settings.stream_dlq, min=dlq_id, max=dlq_id)
    replayed = []
    for dlq_id, raw in rows:
        letter = _parse(dlq_id, raw)
        if not letter.stream or not letter.payload:
            continue
        async with redis.pipeline(transaction=True) as pipe:
            pipe.xadd(letter.stream, letter.payload)
            pipe.xdel(settings.stream_dlq, letter.dlq_id)
            await pipe.execute()
        replayed.append(letter.dlq_id)
    return replayed


async def purge(redis: Redis, settings: Settings) -> int:
    n = int(await redis.xlen(settings.stream_dlq))
    await redis.delete(settings.stream_dlq)
    return n
