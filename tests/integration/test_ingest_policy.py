"""The ingest worker on a real redis-server: when it fetches again, and what it marks as a copy."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from newsflow.ingest.worker import IngestHandler
from newsflow.push import push_urls
from newsflow.trace import read_trace
from newsflow.urls import id_for_url
from tests.integration.test_workers import dead_letters, running, wait_for

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


async def articles(redis, settings) -> list[dict]:
    return [json.loads(raw[b"json"]) for _, raw in await redis.xrange(settings.stream_articles)]


def hits(path: str) -> list[float]:
    from tests.integration.badserver import Handler

    return [t for p, t in Handler.hits if p == path]


async def deliveries(redis, settings) -> int:
    rows = await redis.xpending_range(settings.stream_urls, "ingest", min="-", max="+", count=10)
    return rows[0]["times_delivered"] if rows else 0


async def test_retry_after_holds_the_retry_back_past_the_claim_idle_time(settings, redis, server):
    settings = settings.model_copy(update={"claim_idle_ms": 300, "retry_base_s": 0.1, "max_deliveries": 2})
    await push_urls(redis, settings, [server.url("/retry-after/3")])
    started = time.monotonic()
    async with running(IngestHandler(settings), settings):
        await wait_for(lambda: deliveries(redis, settings), timeout=10)
        # The claim idle time is 300 ms, but the host said 3 s: the entry is claimed and put back several
        # times without a second request (and without using up its deliveries: see the letter's attempts).
        await asyncio.sleep(2.0)
        assert len(hits("/retry-after/3")) == 1
        trace = await read_trace(redis, settings, server.url("/retry-after/3"))
        assert "next attempt at" in trace.detail and "Retry-After 3s" in trace.detail
        letters = await wait_for(lambda: dead_letters(redis, settings), timeout=15)
    assert time.monotonic() - started >= 3.0
    assert letters[0]["attempts"] == "2" and letters[0]["reason"] == "HTTP 429 (Retry-After 3s)"


async def test_a_host_that_asks_for_a_pause_defers_its_other_urls_without_using_their_attempts(
    settings, redis, server
):
    # One delivery only: any counted failure would dead-letter at once.
    settings = settings.model_copy(
        update={"claim_idle_ms": 300, "max_deliveries": 1, "fetch_max_host_wait_s": 0.5}
    )
    from tests.integration.badserver import BadServer

    with BadServer() as host:  # a host of its own: its pause must not hold up other tests
        await push_urls(redis, settings, [host.url("/retry-after/2")])
        async with running(IngestHandler(settings), settings):
            await wait_for(lambda: dead_letters(redis, settings), timeout=10)
            await push_urls(redis, settings, [host.url("/ok")])
            trace = await wait_for(lambda: _deferred(redis, settings, host.url("/ok")), timeout=10)
            published = await wait_for(lambda: articles(redis, settings), timeout=15)
    letters = await dead_letters(redis, settings)
    assert [d["url"] for d in letters] == [host.url("/retry-after/2")]
    assert "asks to wait" in trace.detail
    assert [a["url"] for a in published] == [host.url("/ok")]


async def _deferred(redis, settings, url):
    trace = await read_trace(redis, settings, url)
    return trace if "deferred" in trace.detail else None


async def test_a_url_ingested_recently_is_skipped_unless_forced(settings, redis, server):
    url = server.url("/ok")
    async with running(IngestHandler(settings), settings):
        await push_urls(redis, settings, [url])
        await wait_for(lambda: articles(redis, settings))
        await push_urls(redis, settings, [url + "?utm_source=newsletter"])  # the same URL, canonically
        skipped = await wait_for(lambda: _state(redis, settings, url, "skipped"))
        assert len(await articles(redis, settings)) == 1
        await push_urls(redis, settings, [url], force=True)
        await wait_for(lambda: _count(redis, settings, 2))
    published = await articles(redis, settings)
    assert published[0]["id"] == published[1]["id"] == id_for_url(url)[0]
    assert "already ingested" in skipped.detail and "--force" in skipped.detail
    assert [s["step"] for s in skipped.steps] == ["pushed", "skipped"]


async def _state(redis, settings, url, state):
    trace = await read_trace(redis, settings, url)
    return trace if trace.state == state else None


async def _count(redis, settings, n):
    return len(await articles(redis, settings)) >= n


async def test_copies_of_a_story_are_marked_with_the_original_id(settings, redis, server):
    original, amp, syndicated = server.url("/ok"), server.url("/amp"), server.url("/syndicated")
    async with running(IngestHandler(settings), settings):
        await push_urls(redis, settings, [original])
        await wait_for(lambda: articles(redis, settings))
        await push_urls(redis, settings, [amp, syndicated])
        await wait_for(lambda: _count(redis, settings, 3))
    by_url = {a["url"]: a for a in await articles(redis, settings)}
    first = by_url[original]
    assert first["duplicate_of"] is None and len(first["fingerprint"]) == 16
    # The same canonical link as the original; and the same body on another site (no canonical link).
    assert by_url[amp]["duplicate_of"] == first["id"]
    assert by_url[syndicated]["duplicate_of"] == first["id"]
    assert by_url[syndicated]["canonical_url"] != first["canonical_url"]
    assert by_url[syndicated]["fingerprint"] != first["fingerprint"]


async def test_dedup_window_zero_turns_both_off(settings, redis, server):
    settings = settings.model_copy(update={"dedup_window_s": 0})
    async with running(IngestHandler(settings), settings):
        await push_urls(redis, settings, [server.url("/ok")])
        await wait_for(lambda: articles(redis, settings))
        await push_urls(redis, settings, [server.url("/ok"), server.url("/syndicated")])
        await wait_for(lambda: _count(redis, settings, 3))
    assert [a["duplicate_of"] for a in await articles(redis, settings)] == [None, None, None]
