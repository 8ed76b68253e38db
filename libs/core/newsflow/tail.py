"""Reading news.enriched the way any downstream consumer can: plain XREAD(GROUP), the `json` field."""

from __future__ import annotations

import socket
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from newsflow.settings import Settings
from newsflow.streams import decode_fields


async def follow(
    redis: Redis,
    settings: Settings,
    *,
    from_start: bool = False,
    group: str | None = None,
    count: int = 0,
    emit: Callable[[str], None] = print,
    notify: Callable[[str], None] = lambda _: None,
) -> None:
    stream = settings.stream_enriched
    seen = 0
    last = "0-0" if from_start else "$"
    consumer = f"tail-{socket.gethostname()}"
    if group:
        try:
            await redis.xgroup_create(stream, group, id="0" if from_start else "$", mkstream=True)
            # A group outlives this command and holds back trimming until it reads: say so, and how
            # to remove it (doc/consumers.md, "Keep up with trimming").
            notify(
                f"created consumer group {group!r} on {stream}: it stays after this command and keeps"
                f" entries it has not read from being trimmed; remove it with"
                f" `newsflow tail --group {group} --delete`"
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
            notify(f"reading through the existing consumer group {group!r} on {stream}")
    try:
        while not count or seen < count:
            if group:
                reply = await redis.xreadgroup(group, consumer, {stream: ">"}, count=100, block=1000)
            else:
                reply = await redis.xread({stream: last}, count=100, block=1000)
            for _, entries in reply or []:
                for entry_id, raw in entries:
                    fields = decode_fields(raw)
                    if "json" in fields:
                        emit(fields["json"])
                        seen += 1
                    last = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                    if group:
                        await redis.xack(stream, group, entry_id)
                    if count and seen >= count:
                        return
    finally:
        await redis.aclose()


async def delete_group(redis: Redis, settings: Settings, group: str) -> bool:
    """Remove a consumer group from news.enriched (its pending entries with it); False if there was none."""
    try:
        return bool(await redis.xgroup_destroy(settings.stream_enriched, group))
    finally:
        await redis.aclose()
