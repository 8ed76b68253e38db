"""Stage workers on a real redis-server: backlog, acknowledgement, retries, dead letters."""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest

from newsflow.index.worker import IndexHandler
from newsflow.ingest.worker import IngestHandler
from newsflow.runtime import StageWorker
from newsflow.streams import decode_fields, ensure_groups

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


@asynccontextmanager
async def running(handler, settings):
    app = StageWorker(handler, settings, settings.redis_url).app
    await app.start()
    try:
        yield
    finally:
        await app.stop()


async def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = await predicate()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def dead_letters(redis, settings):
    return [decode_fields(raw) for _, raw in await redis.xrange(settings.stream_dlq)]


async def test_url_pushed_before_any_worker_is_ingested(settings, redis, server):
    await ensure_groups(redis, settings)
    # Plain fields, as any language can write them.
    await redis.xadd(settings.stream_urls, {"url": server.url("/ok?utm_source=test")})
    async with running(IngestHandler(settings), settings):
        rows = await wait_for(lambda: redis.xrange(settings.stream_articles))
    fields = decode_fields(rows[0][1])
    article = json.loads(fields["json"])
    assert fields["schema"] == "article/1" and fields["id"] == article["id"]
    assert article["title"] == "Russian military advisers arrive in Mali"
    assert "Timbuktu" in article["text"]
    info = await redis.xinfo_groups(settings.stream_urls)
    assert info[0]["pending"] == 0  # acknowledged after publishing


async def test_malformed_and_permanent_failures_go_to_dead_letters_at_once(settings, redis, server):
    await ensure_groups(redis, settings)
    bad = [
        {"foo": "bar"},
        {"url": "not a url"},
        {"url": "ftp://example.com/x"},
        {"__data__": b"\x89\xff garbage"},
        {"json": "[1, 2]"},
        {"url": server.url("/404")},
        {"url": server.url("/json")},
    ]
    for fields in bad:
        await redis.xadd(settings.stream_urls, fields)
    await redis.xadd(settings.stream_urls, {"url": server.url("/ok")})
    async with running(IngestHandler(settings), settings):
        letters = await wait_for(lambda: _at_least(dead_letters(redis, settings), len(bad)))
        await wait_for(lambda: redis.xlen(settings.stream_articles))  # the worker went on
    assert len(letters) == len(bad)
    assert all(
        d["stage"] == "ingest" and d["attempts"] == "1" and d["error"] == "Quarantine" for d in letters
    )
    reasons = " | ".join(d["reason"] for d in letters)
    for needle in ("no 'url' field", "invalid URL", "HTTP 404", "not HTML", "malformed url entry"):
        assert needle in reasons
    # The original entry travels with the letter, so it can be replayed.
    assert {json.loads(d["payload"]).get("url") for d in letters} >= {"not a url", server.url("/404")}
    assert (await redis.xinfo_groups(settings.stream_urls))[0]["pending"] == 0


async def test_transient_failure_is_retried_then_dead_lettered(settings, redis, server):
    settings = settings.model_copy(update={"claim_idle_ms": 300, "max_deliveries": 3, "retry_base_s": 0.4})
    await ensure_groups(redis, settings)
    await redis.xadd(settings.stream_urls, {"url": server.url("/503")})
    async with running(IngestHandler(settings), settings):
        letters = await wait_for(lambda: dead_letters(redis, settings), timeout=20)
    assert letters[0]["attempts"] == "3" and letters[0]["reason"] == "HTTP 503"
    assert letters[0]["error"] == "Requeue" and letters[0]["cause"] == "FetchError"
    # Retries back off: at least 0.2 s, then 0.4 s (half of each 0.4 s, 0.8 s step is fixed).
    times = [
        datetime.fromisoformat(letters[0][k])
        for k in ("enqueued_at", "first_attempt_at", "last_attempt_at", "failed_at")
    ]
    assert times == sorted(times) and times[2] - times[1] >= timedelta(milliseconds=600)
    assert (await redis.xinfo_groups(settings.stream_urls))[0]["pending"] == 0
    assert not await redis.keys(f"newsflow:attempt:{settings.stream_urls}:*")  # gone with the entry


async def test_index_worker_dead_letters_a_poison_entry_and_goes_on(settings, redis):
    await ensure_groups(redis, settings)
    await redis.xadd(settings.stream_enriched, {"id": "x", "json": "{not json"})
    await redis.xadd(settings.stream_enriched, {"id": "y", "json": json.dumps({"id": "y"})})
    async with running(IndexHandler(settings), settings):
        letters = await wait_for(lambda: _at_least(dead_letters(redis, settings), 2))
    assert {d["stage"] for d in letters} == {"index"}
    assert any("malformed EnrichedArticle entry" in d["reason"] for d in letters)


async def _at_least(coro, n):
    rows = await coro
    return rows if len(rows) >= n else None


def empty_store_url(backend: str, settings, request) -> str:
    """An empty store of that backend: the test's PostgreSQL database truncated, or a new SQLite file."""
    from newsflow.search.store import open_store

    if backend == "postgres":
        url = request.getfixturevalue("postgres_url")
        s = open_store(url)
        with s.pool.connection() as conn:  # type: ignore[attr-defined]
            conn.execute("TRUNCATE articles CASCADE")
        s.close()
        return url
    return f"sqlite:///{settings.data_dir / 'batch.db'}"


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_index_worker_writes_batches_and_dead_letters_only_the_poison(
    settings, redis, request, backend
):
    from newsflow.schemas import EnrichedArticle, utcnow
    from newsflow.search.store import open_store
    from newsflow.streams import encode_event

    url = empty_store_url(backend, settings, request)
    settings = settings.model_copy(update={"store_url": url, "index_batch_size": 100})
    await ensure_groups(redis, settings)
    async with redis.pipeline(transaction=False) as pipe:
        for i in range(250):
            a = EnrichedArticle(
                id=f"b{i}",
                url=f"https://e.com/{i}",
                canonical_url=f"https://e.com/{i}",
                title=f"Story {i}",
                text="Bamako text",
                fetched_at=utcnow(),
                enriched_at=utcnow(),
            )
            pipe.xadd(settings.stream_enriched, encode_event(a))
            if i in (17, 142):
                pipe.xadd(settings.stream_enriched, {"id": f"poison{i}", "json": '{"id": 1}'})
        await pipe.execute()
    store = open_store(url)
    try:
        async with running(IndexHandler(settings), settings):
            await wait_for(lambda: _at_least(dead_letters(redis, settings), 2))

            async def all_stored():
                return store.count() == 250

            await wait_for(all_stored)
        assert (await redis.xinfo_groups(settings.stream_enriched))[0]["pending"] == 0
        assert {d["article_id"] for d in await dead_letters(redis, settings)} == {"poison17", "poison142"}
    finally:
        store.close()


async def test_an_entry_still_being_handled_is_never_reclaimed(settings, redis):
    # Handling takes six claim idle times: without the worker keeping its claim fresh, its own
    # reclaimer (and any other worker's) would start a second copy of the same entry.
    settings = settings.model_copy(update={"claim_idle_ms": 300})
    calls: list[str] = []

    class Slow(IngestHandler):
        async def handle(self, entry):
            calls.append(entry.entry_id)
            await asyncio.sleep(1.8)
            return None

    await ensure_groups(redis, settings)
    await redis.xadd(settings.stream_urls, {"url": "https://example.com/slow"})
    async with running(Slow(settings), settings):

        async def acknowledged():
            groups = await redis.xinfo_groups(settings.stream_urls)
            return calls and groups[0]["pending"] == 0

        await wait_for(acknowledged, timeout=20)
        await asyncio.sleep(1.0)  # a late second copy would show up here
    assert len(calls) == 1, calls


async def test_every_running_reader_is_a_member_of_its_group_before_any_entry(settings, redis):
    # Redis adds a consumer only when a read delivers it an entry; a replica that no entry has reached
    # yet must still show, or status and scaling checks miss it.
    await ensure_groups(redis, settings)
    first = settings.model_copy(update={"consumer_name": "replica-a"})
    second = settings.model_copy(update={"consumer_name": "replica-b"})
    async with running(IndexHandler(first), first), running(IndexHandler(second), second):
        consumers = await redis.xinfo_consumers(settings.stream_enriched, "index")
    names = {c["name"].decode() if isinstance(c["name"], bytes) else c["name"] for c in consumers}
    assert {"replica-a", "replica-b"} <= names
    assert await redis.xlen(settings.stream_enriched) == 0
