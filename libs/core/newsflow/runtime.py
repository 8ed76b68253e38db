"""How every stage worker consumes its stream: FastStream on Redis streams, with retries and dead letters.

FastStream 0.7 never redelivers by itself: a failed entry stays in the group's pending list. So each
worker runs two subscribers on one handler: one reads new entries (XREADGROUP >), the other reclaims
entries left pending longer than NEWSFLOW_CLAIM_IDLE_MS by any consumer, dead or alive (XAUTOCLAIM).
An entry is acknowledged in the same MULTI that publishes its output (or dead-letters it), or after the
store committed it; a Quarantine error, or the N-th failed delivery, moves it to the dead-letter stream.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from faststream import FastStream
from faststream.middlewares import AckPolicy
from faststream.redis import RedisBroker, RedisStreamMessage, StreamSub
from redis.asyncio import Redis
from redis.exceptions import RedisError

from newsflow import rates
from newsflow.dlq import dead_letter_fields
from newsflow.errors import Defer, Quarantine, Requeue, Skip
from newsflow.logs import get_logger
from newsflow.metrics import DEAD_LETTERED, FAILURES, HANDLER_SECONDS, MESSAGES, failure_reason
from newsflow.pipeline import Stage
from newsflow.retry import defer, not_due_for_ms, retry_delay_s
from newsflow.schemas import format_utc, utcnow
from newsflow.settings import Settings
from newsflow.streams import HEARTBEAT_TTL_S, decode_fields, ensure_groups, heartbeat_key
from newsflow.trace import record
from newsflow.upkeep import remove_dead_consumers, trim_stream

log = get_logger("newsflow.worker")


def _s(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass
class Entry:
    stream: str
    entry_id: str
    fields: dict[str, str]
    deliveries: int
    started_at: str = ""
    consumer: str = ""
    # What the handler keeps for its after_publish hook (the ingest worker: the article it built).
    state: dict[str, Any] = field(default_factory=dict)


class StageHandler(Protocol):
    stage: Stage

    async def start(self, redis: Redis) -> None: ...
    async def handle(self, entry: Entry) -> dict[str, str] | None:
        """The fields to publish on the stage's output stream (None: nothing to publish)."""

    async def stop(self) -> None: ...

    # Optional: `after_publish(pipe, entry, output)` queues more commands on the MULTI that publishes
    # the output and acknowledges the input (the ingest worker's "ingested recently" marks).


def consumer_name(settings: Settings) -> str:
    # Unique per process and stable per container: works with --scale and several workers per host.
    return settings.consumer_name or f"{socket.gethostname()}-{os.getpid()}"


def attempt_key(stage: Stage, entry_id: str) -> str:
    """Remembers when a retried entry was first attempted, for its dead letter; gone once it is done."""
    return f"newsflow:attempt:{stage.input}:{stage.group}:{entry_id}"


ATTEMPT_KEY_TTL_S = 7 * 86_400


async def raw_fields_parser(msg: Any, original: Any) -> Any:
    """FastStream's parser without its body decoding, which we never use (we read raw_message).

    Its decoder JSON-encodes the fields and raises on bytes that are not UTF-8; the entry would then
    never reach our handler and never be dead-lettered, reclaimed and failing forever.
    """
    data = msg["data"]
    parsed = await original({**msg, "data": [{} for _ in data] if isinstance(data, list) else {}})
    parsed.raw_message = msg
    return parsed


def build_app(handler: StageHandler, settings: Settings, redis_url: str) -> FastStream:
    stage = handler.stage
    name = consumer_name(settings)
    broker = RedisBroker(redis_url, logger=None, graceful_timeout=settings.graceful_timeout)
    app = FastStream(broker, logger=None)
    redis = Redis.from_url(redis_url)

    def article_of(entry: Entry, output: dict[str, str] | None = None) -> str | None:
        return (
            (output or {}).get("id")
            or structlog.contextvars.get_contextvars().get("article_id")
            or entry.fields.get("id")
        )

    after_publish = getattr(handler, "after_publish", None)

    async def complete(entry: Entry, output: dict[str, str] | None, skipped: str | None = None) -> None:
        """Publish the output and acknowledge the input in one MULTI: a crash leaves both or neither."""
        publishes = output is not None and stage.output is not None
        # Stamped before the MULTI: the next stage only sees the output once it commits, so its own step
        # is stamped later, however late this stage gets to record its step after the MULTI.
        finished_at = format_utc(utcnow())
        async with redis.pipeline(transaction=True) as pipe:
            if publishes:
                pipe.xadd(stage.output, output)
            pipe.xack(stage.input, stage.group, entry.entry_id)
            if entry.deliveries > 1:
                pipe.delete(attempt_key(stage, entry.entry_id))
            if publishes and after_publish is not None:
                after_publish(pipe, entry, output)
            results = await pipe.execute()
        published = _s(results[0]) if publishes else None
        if published:
            log.info("published", stream=stage.output, published=published)
        # The trace after the MULTI: it needs the published id, and losing a trace step loses no data.
        async with redis.pipeline(transaction=False) as pipe:
            rates.count(pipe, stage.name, "skipped" if skipped else "ok")
            record(
                pipe,
                settings,
                article_of(entry, output),
                {
                    f"{stage.name}_at": finished_at,
                    f"{stage.name}_entry": entry.entry_id,
                    **({f"{stage.name}_output": published} if published else {}),
                    **({f"{stage.name}_skipped": skipped[:300]} if skipped else {}),
                },
            )
            await pipe.execute()

    async def fail(entry: Entry, exc: Exception) -> None:
        """Dead-letter a failed entry, or leave it pending for the reclaimer to retry."""
        permanent = isinstance(exc, Quarantine)
        # A traceback only for the unexpected: Quarantine and Requeue carry their reason.
        unexpected = not isinstance(exc, Quarantine | Requeue)
        key = attempt_key(stage, entry.entry_id)
        if permanent or (entry.deliveries >= settings.max_deliveries and not isinstance(exc, Defer)):
            first = _s(await redis.get(key)) if entry.deliveries > 1 else None
            ctx = structlog.contextvars.get_contextvars()
            fields = dead_letter_fields(
                stage=stage.name,
                stream=stage.input,
                entry_id=entry.entry_id,
                error=exc,
                attempts=entry.deliveries,
                first_attempt_at=first or entry.started_at,
                last_attempt_at=entry.started_at,
                payload=entry.fields,
                article_id=ctx.get("article_id"),
                url=ctx.get("url"),
            )
            # Dead letter and acknowledgement in one MULTI, so a crash cannot dead-letter an entry twice.
            async with redis.pipeline(transaction=True) as pipe:
                pipe.xadd(settings.stream_dlq, fields)
                pipe.xack(stage.input, stage.group, entry.entry_id)
                pipe.delete(key)
                rates.count(pipe, stage.name, "dead_letter")
                record(
                    pipe,
                    settings,
                    fields["article_id"] or None,
                    {
                        "dead_at": fields["failed_at"],
                        "dead_stage": stage.name,
                        "dead_reason": fields["reason"][:300],
                        "dead_attempts": entry.deliveries,
                        **({"url": fields["url"]} if fields["url"] else {}),
                    },
                )
                await pipe.execute()
            log.warning(
                "dead_lettered",
                error=type(exc).__name__,
                reason=str(exc),
                permanent=permanent,
                exc_info=unexpected,
            )
            MESSAGES.labels(stage.name, "dead_letter").inc()
            DEAD_LETTERED.labels(stage=stage.name, reason=type(exc).__name__).inc()
            FAILURES.labels(stage.name, failure_reason(exc)).inc()
            return
        if isinstance(exc, Defer):  # not attempted (a host asked for a pause): the delivery does not count
            counted, delay = entry.deliveries - 1, exc.retry_after_s or 0.0
        else:
            counted = entry.deliveries
            delay = retry_delay_s(settings, counted, getattr(exc, "retry_after_s", None))
        retry_at = format_utc(datetime.fromtimestamp(time.time() + delay, UTC))
        await defer(
            redis, settings, stage, entry.consumer or name, entry.entry_id, delay_s=delay, deliveries=counted
        )
        if isinstance(exc, Defer):
            log.info("deferred", reason=str(exc), retry_in_s=round(delay, 1))
            async with redis.pipeline(transaction=False) as pipe:
                rates.count(pipe, stage.name, "deferred")
                record(
                    pipe,
                    settings,
                    article_of(entry),
                    {f"{stage.name}_deferred": str(exc)[:300], f"{stage.name}_retry_at": retry_at},
                )
                await pipe.execute()
            MESSAGES.labels(stage.name, "deferred").inc()
            return
        # The first failed attempt records its start; a first attempt that died (SIGKILL) cannot, and the
        # first reclaimed one stands in for it.
        async with redis.pipeline(transaction=False) as pipe:
            pipe.set(key, entry.started_at, nx=True, ex=ATTEMPT_KEY_TTL_S)
            rates.count(pipe, stage.name, "retry")
            record(
                pipe,
                settings,
                article_of(entry),
                {
                    f"{stage.name}_error": f"{type(exc).__name__}: {exc}"[:300],
                    f"{stage.name}_error_at": entry.started_at,
                    f"{stage.name}_attempts": entry.deliveries,
                    f"{stage.name}_retry_at": retry_at,
                },
            )
            await pipe.execute()
        log.warning(
            "failed_will_retry",
            error=type(exc).__name__,
            reason=str(exc),
            retry_in_s=round(delay, 1),
            exc_info=unexpected,
        )
        MESSAGES.labels(stage.name, "retry").inc()
        FAILURES.labels(stage.name, failure_reason(exc)).inc()
        # Not acknowledged: the entry stays pending and a reclaimer retries it when it is due.

    handle_batch = getattr(handler, "handle_batch", None) if stage.spec.batch else None
    reader = StreamSub(
        stage.input,
        group=stage.group,
        consumer=name,
        max_records=settings.index_batch_size if handle_batch else settings.batch_size,
        batch=handle_batch is not None,
    )
    reclaimer = StreamSub(
        stage.input, group=stage.group, consumer=f"{name}-reclaim", min_idle_time=settings.claim_idle_ms
    )

    async def consume(msg: RedisStreamMessage) -> None:
        await handle_message(msg, name)

    async def handle_message(msg: RedisStreamMessage, consumer: str) -> None:
        raw = msg.raw_message
        ids = raw.get("message_ids") or [b"?"]
        entry_id = _s(ids[0])
        fields = decode_fields(raw.get("data") or {})
        deliveries = await msg.get_delivery_count()
        entry = Entry(stage.input, entry_id, fields, deliveries, format_utc(utcnow()), consumer)
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(
            stage=stage.name, entry_id=entry_id, delivery=deliveries, article_id=fields.get("id")
        ):
            try:
                try:
                    output = await handler.handle(entry)
                except Skip as exc:
                    log.info("skipped", reason=str(exc))
                    await complete(entry, None, skipped=str(exc))
                    MESSAGES.labels(stage.name, "skipped").inc()
                except Exception as exc:  # noqa: BLE001 - every failure is either retried or dead-lettered
                    await fail(entry, exc)
                else:
                    await complete(entry, output)
                    MESSAGES.labels(stage.name, "ok").inc()
            except RedisError as exc:
                # Redis went away between handling and acknowledging: the entry stays pending and is
                # reclaimed; at worst its output is published twice, which consumers de-duplicate by id.
                log.warning("ack_failed_will_retry", error=type(exc).__name__, reason=str(exc))
            finally:
                HANDLER_SECONDS.labels(stage.name).observe(time.perf_counter() - started)

    async def consume_batch(msg: RedisStreamMessage) -> None:
        raw = msg.raw_message
        ids = [_s(i) for i in raw.get("message_ids") or []]
        now = format_utc(utcnow())
        # Entries read with ">" are first deliveries; retries come one by one through the reclaimer.
        entries = [
            Entry(stage.input, i, decode_fields(f), 1, now)
            for i, f in zip(ids, raw.get("data") or [], strict=False)
        ]
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(stage=stage.name, batch=len(entries)):
            try:
                rejected = await handle_batch(entries)
            except Exception as exc:  # noqa: BLE001 - the whole batch stays pending; reclaimed one by one
                log.warning(
                    "batch_failed_will_retry",
                    error=type(exc).__name__,
                    reason=str(exc),
                    entries=len(entries),
                    retry_after_ms=settings.claim_idle_ms,
                )
                MESSAGES.labels(stage.name, "retry").inc(len(entries))
                FAILURES.labels(stage.name, failure_reason(exc)).inc(len(entries))
                async with redis.pipeline(transaction=False) as pipe:
                    rates.count(pipe, stage.name, "retry", len(entries))
                    for entry in entries:
                        pipe.set(attempt_key(stage, entry.entry_id), now, nx=True, ex=ATTEMPT_KEY_TTL_S)
                    await pipe.execute()
                return
            finally:
                HANDLER_SECONDS.labels(stage.name).observe(time.perf_counter() - started)
            for entry, exc in rejected:
                with structlog.contextvars.bound_contextvars(
                    entry_id=entry.entry_id, article_id=entry.fields.get("id")
                ):
                    await fail(entry, exc)
            done = [e for e in entries if all(e is not r for r, _ in rejected)]
            if done:
                await redis.xack(
                    stage.input, stage.group, *[e.entry_id for e in done]
                )  # after the store commit
                async with redis.pipeline(transaction=False) as pipe:
                    at = format_utc(utcnow())
                    rates.count(pipe, stage.name, "ok", len(done))
                    for e in done:
                        record(
                            pipe,
                            settings,
                            e.fields.get("id"),
                            {f"{stage.name}_at": at, f"{stage.name}_entry": e.entry_id},
                        )
                    await pipe.execute()
            MESSAGES.labels(stage.name, "ok").inc(len(done))

    # Acknowledgement is ours (complete, fail): FastStream must neither ack nor nack on its own.
    if handle_batch is not None:
        broker.subscriber(
            stream=reader,
            title=f"{stage.input}:{stage.group}",
            ack_policy=AckPolicy.MANUAL,
            parser=raw_fields_parser,
        )(consume_batch)
    else:
        broker.subscriber(
            stream=reader,
            max_workers=stage.spec.concurrency,
            title=f"{stage.input}:{stage.group}",
            ack_policy=AckPolicy.MANUAL,
            parser=raw_fields_parser,
        )(consume)

    async def consume_reclaimed(msg: RedisStreamMessage) -> None:
        entry_id = _s((msg.raw_message.get("message_ids") or [b"?"])[0])
        wait_ms = await not_due_for_ms(redis, stage, entry_id)
        if wait_ms:
            # Claimed before its retry is due (a delay longer than the claim idle time): put it back,
            # with the delivery that XAUTOCLAIM just counted taken off again.
            deliveries = await msg.get_delivery_count()
            await defer(
                redis,
                settings,
                stage,
                f"{name}-reclaim",
                entry_id,
                delay_s=wait_ms / 1000,
                deliveries=deliveries - 1,
            )
            return
        await handle_message(msg, f"{name}-reclaim")

    broker.subscriber(
        stream=reclaimer, include_in_schema=False, ack_policy=AckPolicy.MANUAL, parser=raw_fields_parser
    )(consume_reclaimed)

    async def upkeep() -> None:
        while True:
            try:
                await ensure_groups(redis, settings)  # again: a Redis that lost its data gets them back
                await trim_stream(redis, stage.input, settings.stream_retention_s)
                await remove_dead_consumers(redis, stage.input, stage.group, settings.consumer_max_idle_s)
            except Exception as exc:  # noqa: BLE001 - upkeep is retried next round, never fatal
                log.warning("upkeep_failed", error=type(exc).__name__, reason=str(exc))
            await asyncio.sleep(settings.maintenance_interval_s)

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
        heartbeat["upkeep"] = asyncio.create_task(upkeep())
        log.info(
            "worker_started",
            stage=stage.name,
            consumer=name,
            stream=stage.input,
            group=stage.group,
            claim_idle_ms=settings.claim_idle_ms,
            max_deliveries=settings.max_deliveries,
        )

    @app.after_shutdown
    async def _shutdown() -> None:
        for task in heartbeat.values():
            task.cancel()
        await redis.delete(heartbeat_key(stage.name, name))
        await handler.stop()
        await redis.aclose()
        log.info("worker_stopped", stage=stage.name, consumer=name)

    return app


def run_worker(handler: StageHandler, settings: Settings, redis_url: str) -> None:
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port)
    asyncio.run(build_app(handler, settings, redis_url).run())
