"""How every stage worker consumes its stream: FastStream on Redis streams, with retries and dead letters.

FastStream 0.7 never redelivers by itself: a failed entry stays in the group's pending list. So each
worker runs two subscribers on one handler: one reads new entries (XREADGROUP >), the other reclaims
entries left pending longer than NEWSFLOW_CLAIM_IDLE_MS by any consumer, dead or alive (XAUTOCLAIM).
An entry is acknowledged only after its output is published or stored; a Quarantine error, or the
N-th failed delivery, moves it to the dead-letter stream with the reason.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from dataclasses import dataclass
from typing import Protocol

import structlog
from faststream import FastStream
from faststream.exceptions import RejectMessage
from faststream.redis import RedisBroker, RedisStreamMessage, StreamSub
from redis.asyncio import Redis

from newsflow.dlq import dead_letter
from newsflow.errors import Quarantine, Requeue
from newsflow.logs import get_logger
from newsflow.metrics import HANDLER_SECONDS, MESSAGES
from newsflow.settings import Settings
from newsflow.streams import HEARTBEAT_TTL_S, Stage, decode_fields, ensure_groups, heartbeat_key

log = get_logger("newsflow.worker")


@dataclass
class Entry:
    stream: str
    entry_id: str
    fields: dict[str, str]
    deliveries: int


class StageHandler(Protocol):
    stage: Stage
    concurrency: int

    async def start(self, redis: Redis) -> None: ...
    async def handle(self, entry: Entry) -> None: ...
    async def stop(self) -> None: ...


def consumer_name(settings: Settings) -> str:
    # Unique per process and stable per container: works with --scale and several workers per host.
    return settings.consumer_name or f"{socket.gethostname()}-{os.getpid()}"


def build_app(handler: StageHandler, settings: Settings, redis_url: str) -> FastStream:
    stage = handler.stage
    name = consumer_name(settings)
    broker = RedisBroker(redis_url, logger=None, graceful_timeout=settings.graceful_timeout)
    app = FastStream(broker, logger=None)
    redis = Redis.from_url(redis_url)

    async def fail(entry: Entry, exc: Exception) -> None:
        """Dead-letter a failed entry, or leave it pending for a retry (raising RejectMessage)."""
        permanent = isinstance(exc, Quarantine)
        # A traceback only for the unexpected: Quarantine and Requeue carry their reason.
        unexpected = not isinstance(exc, Quarantine | Requeue)
        if permanent or entry.deliveries >= settings.max_deliveries:
            ctx = structlog.contextvars.get_contextvars()
            await dead_letter(
                redis, settings, stage=stage.name, stream=stage.input, entry_id=entry.entry_id, error=exc,
                attempts=entry.deliveries, payload=entry.fields, article_id=ctx.get("article_id"), url=ctx.get("url"),
            )
            log.warning("dead_lettered", error=type(exc).__name__, reason=str(exc), permanent=permanent,
                        exc_info=unexpected)
            MESSAGES.labels(stage.name, "dead_letter").inc()
            return
        log.warning("failed_will_retry", error=type(exc).__name__, reason=str(exc),
                    retry_after_ms=settings.claim_idle_ms, exc_info=unexpected)
        MESSAGES.labels(stage.name, "retry").inc()
        raise RejectMessage() from exc  # stays pending; the reclaimer retries it

    handle_batch = getattr(handler, "handle_batch", None)
    reader = StreamSub(stage.input, group=stage.group, consumer=name,
                       max_records=settings.index_batch_size if handle_batch else settings.batch_size,
                       batch=handle_batch is not None)
    reclaimer = StreamSub(stage.input, group=stage.group, consumer=f"{name}-reclaim",
                          min_idle_time=settings.claim_idle_ms)

    async def consume(msg: RedisStreamMessage) -> None:
        raw = msg.raw_message
        ids = raw.get("message_ids") or [b"?"]
        entry_id = ids[0].decode() if isinstance(ids[0], bytes) else str(ids[0])
        fields = decode_fields(raw.get("data") or {})
        deliveries = await msg.get_delivery_count()
        entry = Entry(stage.input, entry_id, fields, deliveries)
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(
            stage=stage.name, entry_id=entry_id, delivery=deliveries, article_id=fields.get("id")
        ):
            try:
                await handler.handle(entry)
                MESSAGES.labels(stage.name, "ok").inc()
            except Exception as exc:  # noqa: BLE001 - every failure is either retried or dead-lettered
                await fail(entry, exc)
            finally:
                HANDLER_SECONDS.labels(stage.name).observe(time.perf_counter() - started)

    async def consume_batch(msg: RedisStreamMessage) -> None:
        raw = msg.raw_message
        ids = [i.decode() if isinstance(i, bytes) else str(i) for i in raw.get("message_ids") or []]
        # Entries read with ">" are first deliveries; retries come one by one through the reclaimer.
        entries = [Entry(stage.input, i, decode_fields(f), 1) for i, f in zip(ids, raw.get("data") or [], strict=False)]
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(stage=stage.name, batch=len(entries)):
            try:
                rejected = await handle_batch(entries)
            except Exception as exc:  # noqa: BLE001 - the whole batch stays pending; reclaimed one by one
                log.warning("batch_failed_will_retry", error=type(exc).__name__, reason=str(exc),
                            entries=len(entries), retry_after_ms=settings.claim_idle_ms)
                MESSAGES.labels(stage.name, "retry").inc(len(entries))
                raise RejectMessage() from exc
            finally:
                HANDLER_SECONDS.labels(stage.name).observe(time.perf_counter() - started)
            for entry, exc in rejected:
                with structlog.contextvars.bound_contextvars(entry_id=entry.entry_id, article_id=entry.fields.get("id")):
                    await fail(entry, exc)
            MESSAGES.labels(stage.name, "ok").inc(len(entries) - len(rejected))

    if handle_batch is not None:
        broker.subscriber(stream=reader, title=f"{stage.input}:{stage.group}")(consume_batch)
    else:
        broker.subscriber(stream=reader, max_workers=handler.concurrency, title=f"{stage.input}:{stage.group}")(consume)
    broker.subscriber(stream=reclaimer, include_in_schema=False)(consume)

    heartbeat: dict[str, asyncio.Task[None]] = {}

    async def beat() -> None:
        key = heartbeat_key(stage.name, name)
        while True:
            try:
                await redis.set(key, str(os.getpid()), ex=HEARTBEAT_TTL_S)
            except Exception as exc:  # noqa: BLE001 - a missed beat is logged, never fatal
                log.warning("heartbeat_failed", error=str(exc))
            await asyncio.sleep(HEARTBEAT_TTL_S / 3)

    @app.on_startup
    async def _startup() -> None:
        await ensure_groups(redis, settings)
        await handler.start(redis)

    @app.after_startup
    async def _started() -> None:
        # After the subscribers run: the heartbeat is what `newsflow up` waits for.
        heartbeat["task"] = asyncio.create_task(beat())
        log.info("worker_started", stage=stage.name, consumer=name, stream=stage.input, group=stage.group,
                 claim_idle_ms=settings.claim_idle_ms, max_deliveries=settings.max_deliveries)

    @app.after_shutdown
    async def _shutdown() -> None:
        if "task" in heartbeat:
            heartbeat["task"].cancel()
        await redis.delete(heartbeat_key(stage.name, name))
        await handler.stop()
        await redis.aclose()
        log.info("worker_stopped", stage=stage.name, consumer=name)

    return app


def run_worker(handler: StageHandler, settings: Settings, redis_url: str) -> None:
    if settings.metrics_port:
        from prometheus_client import start_http_server  # noqa: PLC0415

        start_http_server(settings.metrics_port)
    asyncio.run(build_app(handler, settings, redis_url).run())
