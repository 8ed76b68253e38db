"""How every stage worker consumes its stream: FastStream on Redis streams, with retries and dead letters.

FastStream 0.7 never redelivers by itself: a failed entry stays in the group's pending list. So each
worker runs two subscribers on one handler: one reads new entries (XREADGROUP >), the other reclaims
entries left pending longer than NEWSFLOW_CLAIM_IDLE_MS by any consumer, dead or alive (XAUTOCLAIM).
An entry is acknowledged in the same MULTI that publishes its output (or dead-letters it), or after the
store committed it; a Quarantine error, or the N-th failed delivery, moves it to the dead-letter stream.

A stage provides a StageHandler (or a BatchHandler) and StageWorker does the rest: reading, reclaiming,
completing, retrying, dead-lettering, the heartbeat and the stream's upkeep.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import structlog
from faststream import FastStream
from faststream.middlewares import AckPolicy
from faststream.redis import RedisBroker, RedisStreamMessage, StreamSub
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from newsflow import keys, rates, retry
from newsflow.consumers import consumer_name
from newsflow.dlq import dead_letter_fields
from newsflow.errors import Defer, Overran, Quarantine, Requeue, Skip, is_poison
from newsflow.logs import get_logger
from newsflow.metrics import (
    DEAD_LETTERED,
    DEAD_LETTERS_TRIMMED,
    FAILURES,
    HANDLER_SECONDS,
    MESSAGES,
    failure_reason,
)
from newsflow.pipeline import Stage, stage_of
from newsflow.schemas import format_utc, utcnow
from newsflow.settings import Settings
from newsflow.streams import decode_fields, ensure_groups, join_group
from newsflow.trace import record
from newsflow.upkeep import live_consumers, remove_dead_consumers, trim_dead_letters, trim_stream

log = get_logger("newsflow.worker")

HEARTBEAT_TTL_S = 30
# A worker's exit code after a handling overran its budget (EX_TEMPFAIL): to be started again.
EXIT_OVERRAN = 75


def _s(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@dataclass
class Entry:
    """One stream entry as a handler sees it, with what its trace and dead letter need to know."""

    stream: str
    entry_id: str
    fields: dict[str, str]
    deliveries: int
    started_at: str = ""
    consumer: str = ""
    # The article the entry is about, and its URL, as far as known: an entry of news.urls has an id
    # only once its URL is read. The trace and the dead letter are filed under them.
    article_id: str | None = None
    url: str | None = None
    # What the handler keeps for its after_publish hook (the ingest worker: the article it built).
    state: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.article_id is None:
            self.article_id = self.fields.get("id") or None

    def identify(self, *, article_id: str | None = None, url: str | None = None) -> None:
        """What the handler learnt of the entry: kept for its dead letter and bound to every log line."""
        if url is not None:
            self.url = url
            structlog.contextvars.bind_contextvars(url=url)
        if article_id is not None:
            self.article_id = article_id
            structlog.contextvars.bind_contextvars(article_id=article_id)


class StageHandler:
    """What a stage does with one entry; the base of every stage's handler.

    `handle` returns the fields to publish on the stage's output stream (None: nothing to publish) or
    raises: Quarantine (dead-letter now), Requeue or anything else (retry later), Defer (retry later,
    not counted as a delivery), Skip (acknowledge without output).
    """

    # The declared stage this handler serves when it is given none (newsflow.pipeline).
    stage_name: ClassVar[str] = ""

    def __init__(self, settings: Settings, stage: Stage | None = None):
        self.settings = settings
        self.stage = stage or stage_of(settings, self.stage_name)

    async def start(self, redis: Redis) -> None:
        """Before the first entry: load models, open connections."""

    async def stop(self) -> None:
        """After the last entry."""

    async def handle(self, entry: Entry) -> dict[str, str] | None:
        raise NotImplementedError

    def after_publish(self, pipe: Pipeline, entry: Entry, output: dict[str, str]) -> None:
        """Queue more commands on the MULTI that publishes the output and acknowledges the input."""


class BatchHandler(StageHandler):
    """A handler that writes new entries a batch at a time (declared with batch=True); retries, which
    the reclaimer hands over one by one, still go through `handle`."""

    async def handle_batch(self, entries: list[Entry]) -> list[tuple[Entry, Exception]]:
        """Handle the batch as one; return the entries that failed alone, each with why. Raising fails
        the whole batch, whose entries are then retried one by one."""
        raise NotImplementedError


async def raw_fields_parser(msg: Any, original: Any) -> Any:
    """FastStream's parser without its body decoding, which we never use (we read raw_message).

    Its decoder JSON-encodes the fields and raises on bytes that are not UTF-8; the entry would then
    never reach our handler and never be dead-lettered, reclaimed and failing forever.
    """
    data = msg["data"]
    parsed = await original({**msg, "data": [{} for _ in data] if isinstance(data, list) else {}})
    parsed.raw_message = msg
    return parsed


def _entry_id(msg: RedisStreamMessage) -> str:
    return _s((msg.raw_message.get("message_ids") or [b"?"])[0])


def run_worker(handler: StageHandler, settings: Settings, redis_url: str) -> None:
    StageWorker(handler, settings, redis_url).run()


class StageWorker:
    """One stage's worker process: its FastStream app, the handler, and what becomes of each entry."""

    def __init__(self, handler: StageHandler, settings: Settings, redis_url: str):
        self.handler = handler
        self.stage = handler.stage
        self.settings = settings
        self.name = consumer_name(settings)
        self.redis = Redis.from_url(redis_url)
        # logger=None: our own logs only. FastStream's parameter type leaves None out, which its
        # make_logger_storage takes as "no logging".
        self.broker = RedisBroker(redis_url, logger=None, graceful_timeout=settings.graceful_timeout)  # type: ignore[arg-type]
        self.app = FastStream(self.broker, logger=None)
        self.tasks: list[asyncio.Task[None]] = []
        self._subscribe()
        self.app.on_startup(self.on_startup)
        self.app.after_startup(self.after_startup)
        self.app.after_shutdown(self.after_shutdown)

    def _subscribe(self) -> None:
        stage, settings = self.stage, self.settings
        batched = stage.spec.batch
        reader = StreamSub(
            stage.input,
            group=stage.group,
            consumer=self.name,
            max_records=settings.index_batch_size if batched else settings.batch_size,
            batch=batched,
        )
        reclaimer = StreamSub(
            stage.input,
            group=stage.group,
            consumer=f"{self.name}-reclaim",
            min_idle_time=settings.claim_idle_ms,
        )
        # Acknowledgement is ours (complete, fail): FastStream must neither ack nor nack on its own.
        common: dict[str, Any] = dict(ack_policy=AckPolicy.MANUAL, parser=raw_fields_parser)
        title = f"{stage.input}:{stage.group}"
        if batched:
            self.broker.subscriber(stream=reader, title=title, **common)(self.consume_batch)
        else:
            self.broker.subscriber(stream=reader, max_workers=stage.spec.concurrency, title=title, **common)(
                self.consume
            )
        self.broker.subscriber(stream=reclaimer, include_in_schema=False, **common)(self.consume_reclaimed)

    # Reading.

    async def consume(self, msg: RedisStreamMessage) -> None:
        await self.handle_message(msg, self.name)

    async def consume_reclaimed(self, msg: RedisStreamMessage) -> None:
        entry_id = _entry_id(msg)
        wait_ms = await retry.not_due_for_ms(self.redis, self.stage, entry_id)
        if wait_ms:
            # Claimed before its retry is due (a delay longer than the claim idle time): put it back,
            # with the delivery that XAUTOCLAIM just counted taken off again.
            deliveries = await msg.get_delivery_count()
            await retry.defer(
                self.redis,
                self.settings,
                self.stage,
                f"{self.name}-reclaim",
                entry_id,
                delay_s=wait_ms / 1000,
                deliveries=deliveries - 1,
            )
            return
        await self.handle_message(msg, f"{self.name}-reclaim")

    async def handle_message(self, msg: RedisStreamMessage, consumer: str) -> None:
        stage = self.stage
        fields = decode_fields(msg.raw_message.get("data") or {})
        deliveries = await msg.get_delivery_count()
        entry = Entry(stage.input, _entry_id(msg), fields, deliveries, format_utc(utcnow()), consumer)
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(
            stage=stage.name, entry_id=entry.entry_id, delivery=deliveries, article_id=entry.article_id
        ):
            # While the handler works, the entry is claimed again and again: its idle time stays short,
            # so no reclaimer (this worker's own included) starts a second copy of a long handling.
            done = asyncio.Event()
            keeper = asyncio.create_task(self._keep_claimed(entry.entry_id, consumer, done))
            overran: Overran | None = None
            try:
                try:
                    output = await self.handler.handle(entry)
                except Skip as exc:
                    log.info("skipped", reason=str(exc))
                    await self.complete(entry, None, skipped=str(exc))
                    MESSAGES.labels(stage.name, "skipped").inc()
                except Exception as exc:  # noqa: BLE001 - every failure is either retried or dead-lettered
                    overran = exc if isinstance(exc, Overran) else None
                    await self.fail(entry, exc)
                else:
                    await self.complete(entry, output)
                    MESSAGES.labels(stage.name, "ok").inc()
            except RedisError as exc:
                # Redis went away between handling and acknowledging: the entry stays pending and is
                # reclaimed; at worst its output is published twice, which consumers de-duplicate by id.
                log.warning("ack_failed_will_retry", error=type(exc).__name__, reason=str(exc))
            finally:
                done.set()
                keeper.cancel()
                HANDLER_SECONDS.labels(stage.name).observe(time.perf_counter() - started)
            if overran is not None:
                await self.exit_after_overrun(overran)

    async def exit_after_overrun(self, exc: Overran) -> None:
        """The overran handling still runs in a thread that cannot be stopped, holding a core and its
        memory: the process ends now, its entry dead-lettered (or, if Redis failed, left pending), and
        its supervisor starts a fresh one. Entries other handlers of this process hold stay pending and
        are reclaimed: nothing is lost."""
        log.error("worker_exits_after_overrun", reason=str(exc), exit_code=EXIT_OVERRAN)
        try:
            await self.redis.delete(keys.heartbeat(self.stage.name, self.name))
        except RedisError:
            pass  # the heartbeat expires on its own
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_OVERRAN)

    async def _keep_claimed(self, entry_id: str, consumer: str, done: asyncio.Event) -> None:
        stage = self.stage
        interval = max(self.settings.claim_idle_ms / 1000 / 3, 0.1)
        # `done` as well as cancel(): a cancellation that arrives inside a Redis command can be swallowed
        # by the client, and the keeper then looped on for good (a test's event loop never closed).
        while not done.is_set():
            await asyncio.sleep(interval)
            if done.is_set():
                return
            try:
                # JUSTID: the delivery count stays as it is.
                await self.redis.xclaim(stage.input, stage.group, consumer, 0, [entry_id], justid=True)
            except RedisError as exc:
                log.warning("keep_claimed_failed", error=type(exc).__name__)

    async def consume_batch(self, msg: RedisStreamMessage) -> None:
        stage, handler = self.stage, self.handler
        assert isinstance(handler, BatchHandler), f"stage {stage.name} is declared batch=True"
        raw: Any = msg.raw_message  # a batch: ids and fields in two lists, typed as one entry's
        ids = [_s(i) for i in raw.get("message_ids") or []]
        now = format_utc(utcnow())
        # Entries read with ">" are first deliveries; retries come one by one through the reclaimer.
        entries = [
            Entry(stage.input, i, decode_fields(f), 1, now)
            for i, f in zip(ids, raw.get("data") or [], strict=False)
        ]
        failures = await self._handle_batch(entries, now)
        # Entries that failed alone while others of their batch were stored fail because of what they
        # hold: dead-lettered now. When all failed, the store is the likelier cause: retried.
        for entry, exc in failures:
            with structlog.contextvars.bound_contextvars(
                entry_id=entry.entry_id, article_id=entry.article_id
            ):
                if len(failures) < len(entries):
                    exc = Quarantine(
                        f"fails alone while the rest of its batch was stored: {type(exc).__name__}: {exc}"
                    )
                await self.fail(entry, exc)

    async def _handle_batch(self, entries: list[Entry], now: str) -> list[tuple[Entry, Exception]]:
        """Handle entries as one batch; when the batch fails, its halves, down to single entries: so one
        poison entry does not hold back the others. Returns the single entries that raised."""
        stage, handler = self.stage, self.handler
        assert isinstance(handler, BatchHandler)
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(stage=stage.name, batch=len(entries)):
            try:
                rejected = await handler.handle_batch(entries)
            except RedisError as exc:  # Redis itself: the whole batch stays pending, reclaimed later
                await self._batch_failed(entries, exc, now)
                return []
            except Exception as exc:  # noqa: BLE001 - maybe one entry's fault: split, so the rest go on
                if len(entries) == 1:
                    return [(entries[0], exc)]
                log.warning("batch_failed_splitting", error=type(exc).__name__, reason=str(exc)[:300])
                half = len(entries) // 2
                return await self._handle_batch(entries[:half], now) + await self._handle_batch(
                    entries[half:], now
                )
            finally:
                HANDLER_SECONDS.labels(stage.name).observe(time.perf_counter() - started)
            failed = {id(entry) for entry, _ in rejected}
            for entry, error in rejected:
                with structlog.contextvars.bound_contextvars(
                    entry_id=entry.entry_id, article_id=entry.article_id
                ):
                    await self.fail(entry, error)
            await self.complete_batch([e for e in entries if id(e) not in failed])
            return []

    # What becomes of an entry.

    async def complete(self, entry: Entry, output: dict[str, str] | None, skipped: str | None = None) -> None:
        """Publish the output and acknowledge the input in one MULTI: a crash leaves both or neither."""
        stage = self.stage
        publishes = output is not None and stage.output is not None
        # Stamped before the MULTI: the next stage only sees the output once it commits, so its own step
        # is stamped later, however late this stage gets to record its step after the MULTI.
        finished_at = format_utc(utcnow())
        async with self.redis.pipeline(transaction=True) as pipe:
            if publishes:
                pipe.xadd(stage.output, output)
            pipe.xack(stage.input, stage.group, entry.entry_id)
            if entry.deliveries > 1:
                retry.forget(pipe, stage, entry.entry_id)
            if publishes and output is not None:
                self.handler.after_publish(pipe, entry, output)
            results = await pipe.execute()
        published = _s(results[0]) if publishes else None
        if published:
            log.info("published", stream=stage.output, published=published)
        # The trace after the MULTI: it needs the published id, and losing a trace step loses no data.
        async with self.redis.pipeline(transaction=False) as pipe:
            rates.count(pipe, stage.name, "skipped" if skipped else "ok")
            record(
                pipe,
                self.settings,
                (output or {}).get("id") or entry.article_id,
                {
                    f"{stage.name}_at": finished_at,
                    f"{stage.name}_entry": entry.entry_id,
                    **({f"{stage.name}_output": published} if published else {}),
                    **({f"{stage.name}_skipped": skipped[:300]} if skipped else {}),
                },
            )
            await pipe.execute()

    async def complete_batch(self, done: list[Entry]) -> None:
        """Acknowledge a batch the handler committed (its store transaction is the batch's output)."""
        stage = self.stage
        if done:
            await self.redis.xack(stage.input, stage.group, *[e.entry_id for e in done])
            async with self.redis.pipeline(transaction=False) as pipe:
                at = format_utc(utcnow())
                rates.count(pipe, stage.name, "ok", len(done))
                for e in done:
                    record(
                        pipe,
                        self.settings,
                        e.article_id,
                        {f"{stage.name}_at": at, f"{stage.name}_entry": e.entry_id},
                    )
                await pipe.execute()
        MESSAGES.labels(stage.name, "ok").inc(len(done))

    async def fail(self, entry: Entry, exc: Exception) -> None:
        """Dead-letter a failed entry, or leave it pending for the reclaimer to retry."""
        permanent = is_poison(exc)
        if permanent or (entry.deliveries >= self.settings.max_deliveries and not isinstance(exc, Defer)):
            await self.dead_letter(entry, exc)
        else:
            await self.retry_later(entry, exc)

    async def dead_letter(self, entry: Entry, exc: Exception) -> None:
        stage, settings = self.stage, self.settings
        permanent = is_poison(exc)
        first = (
            await retry.first_attempt_at(self.redis, stage, entry.entry_id) if entry.deliveries > 1 else None
        )
        fields = dead_letter_fields(
            stage=stage.name,
            stream=stage.input,
            entry_id=entry.entry_id,
            error=exc,
            attempts=entry.deliveries,
            first_attempt_at=first or entry.started_at,
            last_attempt_at=entry.started_at,
            payload=entry.fields,
            article_id=entry.article_id,
            url=entry.url,
        )
        # Dead letter and acknowledgement in one MULTI, so a crash cannot dead-letter an entry twice.
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(settings.stream_dlq, fields)
            pipe.xack(stage.input, stage.group, entry.entry_id)
            retry.forget(pipe, stage, entry.entry_id)
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
        # A traceback only for the unexpected: Quarantine and Requeue carry their reason.
        log.warning(
            "dead_lettered",
            error=type(exc).__name__,
            reason=str(exc),
            permanent=permanent,
            exc_info=not isinstance(exc, Quarantine | Requeue),
        )
        MESSAGES.labels(stage.name, "dead_letter").inc()
        DEAD_LETTERED.labels(stage=stage.name, reason=type(exc).__name__).inc()
        FAILURES.labels(stage.name, failure_reason(exc)).inc()

    async def retry_later(self, entry: Entry, exc: Exception) -> None:
        """Leave the entry pending, claimable when its retry is due. Not acknowledged: nothing is lost
        if this worker dies meanwhile."""
        stage, settings = self.stage, self.settings
        if isinstance(exc, Defer):  # not attempted (a host asked for a pause): the delivery does not count
            counted, delay = entry.deliveries - 1, exc.retry_after_s or 0.0
        else:
            counted = entry.deliveries
            delay = retry.retry_delay_s(settings, counted, getattr(exc, "retry_after_s", None))
        retry_at = format_utc(datetime.fromtimestamp(time.time() + delay, UTC))
        await retry.defer(
            self.redis,
            settings,
            stage,
            entry.consumer or self.name,
            entry.entry_id,
            delay_s=delay,
            deliveries=counted,
        )
        if isinstance(exc, Defer):
            log.info("deferred", reason=str(exc), retry_in_s=round(delay, 1))
            async with self.redis.pipeline(transaction=False) as pipe:
                rates.count(pipe, stage.name, "deferred")
                record(
                    pipe,
                    settings,
                    entry.article_id,
                    {f"{stage.name}_deferred": str(exc)[:300], f"{stage.name}_retry_at": retry_at},
                )
                await pipe.execute()
            MESSAGES.labels(stage.name, "deferred").inc()
            return
        # The first failed attempt records its start; a first attempt that died (SIGKILL) cannot, and the
        # first reclaimed one stands in for it.
        async with self.redis.pipeline(transaction=False) as pipe:
            retry.remember_first_attempt(pipe, stage, entry.entry_id, entry.started_at)
            rates.count(pipe, stage.name, "retry")
            record(
                pipe,
                settings,
                entry.article_id,
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
            exc_info=not isinstance(exc, Quarantine | Requeue),
        )
        MESSAGES.labels(stage.name, "retry").inc()
        FAILURES.labels(stage.name, failure_reason(exc)).inc()

    async def _batch_failed(self, entries: list[Entry], exc: Exception, started_at: str) -> None:
        stage = self.stage
        log.warning(
            "batch_failed_will_retry",
            error=type(exc).__name__,
            reason=str(exc),
            entries=len(entries),
            retry_after_ms=self.settings.claim_idle_ms,
        )
        MESSAGES.labels(stage.name, "retry").inc(len(entries))
        FAILURES.labels(stage.name, failure_reason(exc)).inc(len(entries))
        async with self.redis.pipeline(transaction=False) as pipe:
            rates.count(pipe, stage.name, "retry", len(entries))
            for entry in entries:
                retry.remember_first_attempt(pipe, stage, entry.entry_id, started_at)
            await pipe.execute()

    # Around the entries.

    async def upkeep_loop(self) -> None:
        stage, settings = self.stage, self.settings
        while True:
            try:
                await ensure_groups(self.redis, settings)  # again: a Redis that lost its data gets them back
                await trim_stream(self.redis, stage.input, settings.stream_retention_s)
                live = await live_consumers(self.redis, stage.name)
                await remove_dead_consumers(
                    self.redis, stage.input, stage.group, settings.consumer_max_idle_s, live
                )
                await join_group(self.redis, stage.input, stage.group, self.name)
                trimmed = await trim_dead_letters(
                    self.redis, settings.stream_dlq, settings.dlq_max_age_s, settings.dlq_max_len
                )
                for why, n in trimmed.items():
                    DEAD_LETTERS_TRIMMED.labels(why).inc(n)
            except Exception as exc:  # noqa: BLE001 - upkeep is retried next round, never fatal
                log.warning("upkeep_failed", error=type(exc).__name__, reason=str(exc))
            await asyncio.sleep(settings.maintenance_interval_s)

    async def heartbeat_loop(self) -> None:
        key = keys.heartbeat(self.stage.name, self.name)
        while True:
            try:
                await self.redis.set(key, str(os.getpid()), ex=HEARTBEAT_TTL_S)
            except Exception as exc:  # noqa: BLE001 - a missed beat is logged, never fatal
                log.warning("heartbeat_failed", error=str(exc))
            await asyncio.sleep(HEARTBEAT_TTL_S / 3)

    async def on_startup(self) -> None:
        await ensure_groups(self.redis, self.settings)
        await join_group(self.redis, self.stage.input, self.stage.group, self.name)
        await self.handler.start(self.redis)

    async def after_startup(self) -> None:
        # After the subscribers run: the heartbeat is what `newsflow up` waits for.
        self.tasks = [asyncio.create_task(self.heartbeat_loop()), asyncio.create_task(self.upkeep_loop())]
        log.info(
            "worker_started",
            stage=self.stage.name,
            consumer=self.name,
            stream=self.stage.input,
            group=self.stage.group,
            claim_idle_ms=self.settings.claim_idle_ms,
            max_deliveries=self.settings.max_deliveries,
        )

    async def after_shutdown(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.redis.delete(keys.heartbeat(self.stage.name, self.name))
        await self.handler.stop()
        await self.redis.aclose()
        log.info("worker_stopped", stage=self.stage.name, consumer=self.name)

    def run(self) -> None:
        if self.settings.metrics_port:
            from prometheus_client import start_http_server

            start_http_server(self.settings.metrics_port)
        asyncio.run(self.app.run())
