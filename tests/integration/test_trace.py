"""`newsflow trace`: where a story is, from the steps each stage records, on a real redis-server."""

from __future__ import annotations

import pytest

from newsflow import keys
from newsflow.enrich.worker import EnrichHandler
from newsflow.index.worker import IndexHandler
from newsflow.ingest.worker import IngestHandler
from newsflow.push import push_urls
from newsflow.search.store import open_configured_store
from newsflow.trace import read_trace, resolve
from tests.integration.test_dlq import cli
from tests.integration.test_workers import running, wait_for

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


async def test_trace_follows_a_story_through_every_stage(settings, redis, server, gazetteer_dir):
    settings = settings.model_copy(
        update={
            "data_dir": gazetteer_dir,
            "store_url": f"sqlite:///{settings.data_dir}/t.db",
            "claim_idle_ms": 60_000,
        }
    )
    ok, missing, failing = server.url("/ok?utm_source=x"), server.url("/404"), server.url("/503")
    pushed = await push_urls(redis, settings, [ok, missing, failing])
    store = open_configured_store(settings)
    try:
        # Before any worker: queued on news.urls.
        t = await read_trace(redis, settings, ok, store)
        assert (t.state, [s["step"] for s in t.steps]) == ("ingest: queued", ["pushed"])

        async with (
            running(IngestHandler(settings), settings),
            running(EnrichHandler(settings), settings),
            running(IndexHandler(settings), settings),
        ):

            async def indexed():
                # Each stage records its step just after its MULTI, so the store can hold the article a
                # moment before the last steps are recorded: wait for the steps too.
                t = await read_trace(redis, settings, pushed[0].id, store)
                return t.state == "indexed" and {"enriched", "indexed"} <= {s["step"] for s in t.steps}

            await wait_for(indexed, timeout=60)
            t_ok = await read_trace(
                redis, settings, ok.replace("?utm_source=x", ""), store
            )  # another spelling
            t_missing = await read_trace(redis, settings, missing, store)
            t_failing = await read_trace(redis, settings, failing, store)

        assert [s["step"] for s in t_ok.steps] == ["pushed", "fetched and extracted", "enriched", "indexed"]
        assert t_ok.title == "Russian military advisers arrive in Mali"
        assert [s["at"] for s in t_ok.steps] == sorted(s["at"] for s in t_ok.steps)
        assert t_missing.state == "dead-lettered" and "ingest: HTTP 404 (attempts 1)" in t_missing.detail
        # A transient failure: still pending in ingest, waiting for its retry, with the error shown.
        assert (
            t_failing.state == "ingest: in progress" and "last error: Requeue: HTTP 503" in t_failing.detail
        )
        assert [s["step"] for s in t_failing.steps] == ["pushed", "ingest failed"]

        out = cli(
            settings.model_copy(update={"data_dir": settings.data_dir}), "trace", "0123456789abcdef0123"
        )
        assert out.returncode == 1 and "unknown" in out.stdout
        out = cli(settings, "trace", "ftp://nope")
        assert out.returncode == 2 and "neither an article id nor a valid URL" in out.stderr
    finally:
        store.close()


class _WorkerBetweenWrites:
    """A Redis client whose pipelines let a "worker" act right after the entries are queued: what a fast
    dead letter (a 404 within milliseconds) does between two of push's round trips."""

    def __init__(self, redis, settings, article_id):
        self._redis, self._settings, self._id = redis, settings, article_id

    def __getattr__(self, name):
        return getattr(self._redis, name)

    def pipeline(self, *args, **kwargs):
        outer = self
        real = self._redis.pipeline(*args, **kwargs)

        class Hooked:
            async def __aenter__(self):
                self.pipe = await real.__aenter__()
                return self

            async def __aexit__(self, *exc):
                return await real.__aexit__(*exc)

            def __getattr__(self, name):
                return getattr(self.pipe, name)

            async def execute(self):
                queued = any(c[0][0] == "XADD" for c in self.pipe.command_stack)
                result = await self.pipe.execute()
                if queued:
                    await outer._redis.hset(
                        keys.trace(outer._id),
                        mapping={
                            "dead_at": "9999-01-01T00:00:00Z",
                            "dead_stage": "ingest",
                            "dead_reason": "HTTP 404",
                        },
                    )
                return result

        return Hooked()


async def test_a_story_dead_lettered_while_push_returns_keeps_its_dead_letter(settings, redis):
    url = "https://news.example.org/gone"
    article_id = resolve(url)[0]
    await push_urls(_WorkerBetweenWrites(redis, settings, article_id), settings, [url])
    t = await read_trace(redis, settings, url, None)
    assert t.state == "dead-lettered" and "HTTP 404" in t.detail
    assert [s["step"] for s in t.steps] == ["pushed", "dead-lettered"]
