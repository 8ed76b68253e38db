"""The discover worker: polls the sources that are due, a few at a time, until it is stopped.

Any number of replicas may run: each polls only the sources whose lease it takes (sources.Registry).
A poll that fails says why on its source; nothing a source serves stops the worker.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime

from redis.asyncio import Redis

from newsflow import keys
from newsflow.consumers import consumer_name
from newsflow.discover.poll import Poller
from newsflow.discover.sources import Source
from newsflow.ingest.fetch import Fetcher
from newsflow.logs import get_logger
from newsflow.metrics import DISCOVERED_URLS, SOURCE_POLLS
from newsflow.schemas import utcnow
from newsflow.settings import Settings

log = get_logger("newsflow.discover")

# Sources polled at once by one replica: polls wait on the network; the fetcher paces each host.
CONCURRENCY = 4
# The longest sleep between looks at the due set, so a source added meanwhile waits no longer.
IDLE_S = 5.0
HEARTBEAT_TTL_S = 30


class DiscoverWorker:
    def __init__(self, redis: Redis, settings: Settings, fetcher: Fetcher | None = None):
        self.redis = redis
        self.settings = settings
        self.fetcher = fetcher or Fetcher(settings)
        self.poller = Poller(redis, settings, self.fetcher)
        self.registry = self.poller.registry
        self.holder = consumer_name(settings)

    async def poll_due(self, now: datetime | None = None) -> list[Source]:
        """One round: every source due now that this replica could lease, polled; returns them updated."""
        now = now or utcnow()
        due = await self.registry.claim_due(now, CONCURRENCY * 4, self.holder)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(source: Source) -> Source:
            async with gate:
                try:
                    updated, outcome = await self.poller.poll(source, now)
                except Exception as exc:  # a bug in one poll must not stop the others
                    log.exception("source_poll_crashed", source=source.url)
                    updated = self.registry.after_failure(source, f"internal error: {exc!r}", now, None)
                    outcome = None
                await self.registry.finish(updated, self.holder)
                outcome_name = (
                    "disabled"
                    if updated.disabled
                    else "failed"
                    if updated.failures
                    else "not_modified"
                    if outcome and outcome.not_modified
                    else "ok"
                )
                SOURCE_POLLS.labels(outcome_name).inc()
                if outcome:
                    DISCOVERED_URLS.inc(len(outcome.pushed))
                log.info(
                    "source_polled",
                    source=source.url,
                    kind=updated.kind,
                    listed=outcome.listed if outcome else None,
                    pushed=len(outcome.pushed) if outcome else 0,
                    not_modified=outcome.not_modified if outcome else False,
                    problems=updated.problems or None,
                    error=updated.last_error if updated.failures else None,
                    failures=updated.failures,
                    disabled=updated.disabled,
                    next_poll_at=updated.next_poll_at.isoformat(),
                )
                return updated

        return list(await asyncio.gather(*(one(s) for s in due)))

    async def run(self, stop: asyncio.Event) -> None:
        if self.settings.metrics_port:
            from prometheus_client import start_http_server

            start_http_server(self.settings.metrics_port)
        heartbeat = keys.heartbeat("discover", self.holder)
        await self.redis.set(heartbeat, str(os.getpid()), ex=HEARTBEAT_TTL_S)
        log.info("worker_started", stage="discover", consumer=self.holder)
        try:
            while not stop.is_set():
                # `newsflow status` and `up` see a live discover worker by this key, as any worker's.
                await self.redis.set(heartbeat, str(os.getpid()), ex=HEARTBEAT_TTL_S)
                polled = await self.poll_due()
                if polled:
                    continue
                first = await self.redis.zrange(self.registry.due, 0, 0, withscores=True)
                wait = IDLE_S
                if first:
                    wait = min(IDLE_S, max(0.0, first[0][1] - utcnow().timestamp()))
                try:
                    await asyncio.wait_for(stop.wait(), timeout=max(wait, 0.05))
                except TimeoutError:
                    pass
        finally:
            await self.redis.delete(heartbeat)
            await self.fetcher.aclose()
            log.info("worker_stopped", stage="discover", consumer=self.holder)
