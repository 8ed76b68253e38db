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
) -> None:
    stream = settings.stream_enriched
    seen = 0
    last = "0-0" if from_start else "$"
    consumer = f"tail-{socket.gethostname()}"
    if group:
        try:
            await redis.xgroup_create(stream, group, id="0" if from_start else "$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
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
