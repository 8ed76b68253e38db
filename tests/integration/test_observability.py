"""What operators look at: `newsflow status` (table and JSON) and the Prometheus metrics of a worker
process and of the API, on a real redis-server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from newsflow import keys, rates
from newsflow.api.app import create_app
from newsflow.push import push_urls
from newsflow.redis_server import free_port
from tests.integration.test_dlq import cli, env_of
from tests.integration.test_workers import wait_for

pytestmark = [pytest.mark.redis]

WORKER_METRICS = [
    'newsflow_messages_total{outcome="ok",stage="ingest"}',
    'newsflow_messages_total{outcome="dead_letter",stage="ingest"}',
    'newsflow_failures_total{reason="FetchError",stage="ingest"}',
    'newsflow_dead_lettered_total{reason="Quarantine",stage="ingest"}',
    'newsflow_handler_seconds_bucket{le="0.5",stage="ingest"}',
    'newsflow_fetch_responses_total{status="200"}',
    'newsflow_fetch_responses_total{status="404"}',
]


@pytest.mark.anyio
async def test_a_worker_process_exposes_its_metrics_and_status_counts_its_work(settings, redis, server):
    port = free_port()
    env = env_of(settings, metrics_port=port, fetch_allow_private="true", fetch_host_interval_s=0)
    # Earlier tests' ingest counts leave the one-minute window while this test runs, which once made the
    # difference below 0: start the window empty.
    bucket = int(time.time() // rates.BUCKET_S)
    window = range(bucket - rates.WINDOW_S // rates.BUCKET_S, bucket + 1)
    await redis.delete(*[keys.rate("ingest", o, b) for o in rates.OUTCOMES for b in window])
    before = (await rates.last_minute(redis, ["ingest"]))["ingest"]
    # Started, not waited on: the worker runs beside the test's event loop.
    proc = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, "-m", "newsflow.cli", "worker", "ingest"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await push_urls(redis, settings, [server.url("/ok"), server.url("/404")])

        async def both_done():
            return (
                await redis.xlen(settings.stream_articles) == 1 and await redis.xlen(settings.stream_dlq) == 1
            )

        await wait_for(both_done, timeout=60)
        text = ""
        deadline = time.monotonic() + 10
        async with httpx.AsyncClient() as http:
            while not all(m in text for m in WORKER_METRICS) and time.monotonic() < deadline:
                text = (await http.get(f"http://127.0.0.1:{port}/metrics", timeout=2)).text
                await asyncio.sleep(0.1)
        missing = [m for m in WORKER_METRICS if m not in text]
        assert not missing, missing

        status = json.loads(cli(settings, "status", "--json").stdout)
        assert status["workers"]["ingest"] >= 1  # this process's heartbeat
        after = status["last_minute"]["ingest"]
        assert after["ok"] - before["ok"] == 1 and after["dead_letter"] - before["dead_letter"] == 1
        assert status["dead_letters"] == 1
        assert status["streams"][settings.stream_urls]["groups"]["ingest"]["lag"] == 0

        table = cli(settings, "status").stdout
        for needle in (
            "stages (entries handled in the last minute)",
            "streams",
            settings.stream_urls,
            "dead letters: 1",
            "ingest",
        ):
            assert needle in table, needle
    finally:
        proc.terminate()
        proc.wait(30)


def test_the_api_exposes_stream_store_and_dead_letter_gauges(settings):
    with TestClient(create_app(settings)) as api:
        api.post("/v1/urls", json=["https://example.com/a", "https://example.com/b"])
        assert api.get("/v1/search", params={"q": "mali"}).status_code == 200
        text = api.get("/metrics").text
    for metric in (
        'newsflow_searches_total{outcome="ok"} ',
        "newsflow_search_seconds_count ",
        f'newsflow_stream_length{{stream="{settings.stream_urls}"}} 2.0',
        f'newsflow_stream_lag{{group="ingest",stream="{settings.stream_urls}"}} 2.0',
        f'newsflow_stream_pending{{group="ingest",stream="{settings.stream_urls}"}} 0.0',
        "newsflow_dead_letters 0.0",
        "newsflow_store_articles 0.0",
        "newsflow_urls_pushed_total ",
    ):
        assert metric in text, metric
    import redis as sync_redis

    client = sync_redis.Redis.from_url(settings.redis_url)
    client.delete(settings.stream_urls)
    client.close()


@pytest.mark.anyio
async def test_rates_count_by_ten_second_buckets_over_the_last_minute(redis_url):
    client = Redis.from_url(redis_url)
    stage = f"test-{time.time_ns()}"
    now = 1_000_000.0
    async with client.pipeline(transaction=False) as pipe:
        rates.count(pipe, stage, "ok", 3, now=now - 65)  # outside the window
        rates.count(pipe, stage, "ok", 2, now=now - 45)
        rates.count(pipe, stage, "retry", 1, now=now - 5)
        rates.count(pipe, stage, "ok", 4, now=now)
        await pipe.execute()
    assert (await rates.last_minute(client, [stage], now=now))[stage] == {
        "ok": 6,
        "skipped": 0,
        "retry": 1,
        "deferred": 0,
        "dead_letter": 0,
    }
    await client.aclose()
