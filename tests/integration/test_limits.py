"""Input limits and backpressure on a real redis-server: token, body size, news.urls lag, ACL users."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from redis.asyncio import Redis

from newsflow import push as push_module
from newsflow.api.app import create_app
from newsflow.ingest.worker import IngestHandler
from newsflow.push import Backpressure, push_urls, urls_lag
from newsflow.redis_server import find_redis_server, free_port
from newsflow.status import collect_status
from newsflow.streams import decode_fields, ensure_groups
from tests.integration.test_workers import running, wait_for

pytestmark = [pytest.mark.redis]


@pytest.fixture
def limited(settings):
    s = settings.model_copy(
        update={"urls_max_lag": 5, "api_token": SecretStr("t0ken"), "api_max_body_bytes": 4000}
    )
    yield s
    import redis as sync_redis

    client = sync_redis.Redis.from_url(s.redis_url)
    client.delete(s.stream_urls, s.stream_articles, s.stream_enriched, s.stream_dlq)
    client.close()


@pytest.fixture
def api(limited):
    with TestClient(create_app(limited)) as client:
        yield client


AUTH = {"Authorization": "Bearer t0ken"}


def test_writes_need_the_token_when_one_is_configured(api):
    assert api.post("/v1/urls", json=["https://example.com/a"]).status_code == 401
    assert (
        api.post(
            "/v1/urls", json=["https://example.com/a"], headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
    assert api.post("/v1/urls", json=["https://example.com/a"], headers=AUTH).status_code == 202
    assert api.get("/v1/search").status_code == 200  # reads stay open


def test_bodies_over_the_limit_are_refused_with_413(api):
    urls = [f"https://example.com/{'x' * 50}/{i}" for i in range(120)]  # ~8 KB of JSON
    response = api.post("/v1/urls", json=urls, headers=AUTH)
    assert response.status_code == 413 and "larger than 4000 bytes" in response.json()["detail"]

    def chunked():  # no Content-Length: the limit applies while reading
        yield b'["https://example.com/a"'
        for i in range(300):
            yield b', "https://example.com/%d"' % i
        yield b"]"

    response = api.post("/v1/urls", content=chunked(), headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 413


def test_bad_urls_are_refused_with_reasons(api):
    response = api.post(
        "/v1/urls", json=["ftp://x.org/a", "not a url", "https://x.org/" + "a" * 2100], headers=AUTH
    )
    assert response.status_code == 422
    errors = [r["error"] for r in response.json()["detail"]["rejected"]]
    assert any("scheme" in e for e in errors) and any("longer than 2048" in e for e in errors)


def test_api_answers_429_when_news_urls_lags(api, limited):
    urls = [f"https://example.com/{i}" for i in range(8)]
    assert api.post("/v1/urls", json=urls, headers=AUTH).status_code == 202  # lag 0 -> 8 queued
    response = api.post("/v1/urls", json=["https://example.com/late"], headers=AUTH)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(push_module.RETRY_AFTER_S)
    assert "8 unread entries (limit 5)" in response.json()["detail"]


@pytest.mark.anyio
async def test_push_waits_until_ingest_catches_up(limited, monkeypatch):
    monkeypatch.setattr(push_module, "RETRY_AFTER_S", 0.2)
    monkeypatch.setattr(push_module, "CHUNK", 4)
    redis = Redis.from_url(limited.redis_url)
    try:
        await ensure_groups(redis, limited)
        waits: list[Backpressure] = []

        async def slow_ingest():
            # Reads (and so un-lags) four entries every 0.3 s, as a busy ingest worker would.
            while True:
                await asyncio.sleep(0.3)
                await redis.xreadgroup("ingest", "test", {limited.stream_urls: ">"}, count=4)

        reader = asyncio.create_task(slow_ingest())
        results = await push_urls(
            redis, limited, [f"https://example.com/{i}" for i in range(20)], wait=waits.append
        )
        reader.cancel()
        assert all(r.entry_id for r in results) and await redis.xlen(limited.stream_urls) == 20
        assert waits and all(w.lag > 5 for w in waits)
        assert await urls_lag(redis, limited) <= 5 + 4  # it never queued a chunk above the limit
    finally:
        await redis.aclose()


@pytest.fixture
def acl_redis_url(tmp_path):
    """A redis-server whose default user is off: only newsflow:s3cret gets in."""
    binary, _ = find_redis_server()
    port = free_port()
    conf = tmp_path / "acl.conf"
    conf.write_text(
        f'port {port}\nbind 127.0.0.1\nsave ""\nappendonly no\n'
        "user default off\nuser newsflow on >s3cret ~* &* +@all\n"
    )
    proc = subprocess.Popen([binary, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://newsflow:s3cret@127.0.0.1:{port}/0"
    import redis as sync_redis

    client = sync_redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except sync_redis.ConnectionError:
            assert time.monotonic() < deadline, "ACL redis-server did not start"
            time.sleep(0.05)
    with pytest.raises(sync_redis.AuthenticationError):
        sync_redis.Redis(host="127.0.0.1", port=port).ping()
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.mark.anyio
async def test_an_acl_user_in_the_redis_url_is_honoured_by_push_workers_and_status(
    settings, acl_redis_url, server
):
    settings = settings.model_copy(update={"redis_url": acl_redis_url})
    redis = Redis.from_url(acl_redis_url)
    try:
        pushed = await push_urls(redis, settings, [server.url("/ok")])
        async with running(IngestHandler(settings), settings):
            rows = await wait_for(lambda: redis.xrange(settings.stream_articles))
        assert decode_fields(rows[0][1])["id"] == pushed[0].id
        status = await collect_status(redis, settings, None)
        assert status["streams"][settings.stream_urls]["groups"]["ingest"]["pending"] == 0
    finally:
        await redis.aclose()


def test_push_file_of_a_large_list_queues_every_url(settings, tmp_path):
    from tests.integration.test_dlq import cli

    urls = [f"https://example.com/story/{i}" for i in range(2500)]
    (tmp_path / "urls.txt").write_text("# a comment\n" + "\n".join(urls) + "\nnot a url\n")
    out = cli(settings, "push", "--file", str(tmp_path / "urls.txt"))
    assert out.returncode == 1  # one URL refused...
    assert "refused  not a url" in out.stderr
    queued = [line for line in out.stdout.splitlines() if line.startswith("queued")]
    assert len(queued) == 2500 and queued[-1].endswith(urls[-1])  # ...every other one queued, in order
    import redis as sync_redis

    client = sync_redis.Redis.from_url(settings.redis_url)
    assert client.xlen(settings.stream_urls) == 2500
    client.delete(settings.stream_urls)  # the trace keys expire by themselves
    client.close()


def test_a_search_past_the_time_limit_is_a_504_in_the_api_and_exit_1_in_the_cli(settings):
    from newsflow.search.store import open_configured_store
    from tests.integration.test_dlq import cli
    from tests.integration.test_store_contract import many

    strict = settings.model_copy(update={"search_timeout_s": 0.001})
    store = open_configured_store(strict)
    store.upsert(many("apilimit", 2000))
    store.close()

    def timeouts(client) -> float:
        found = re.search(
            r'^newsflow_searches_total\{outcome="timeout"\} (\S+)$', client.get("/metrics").text, re.M
        )
        return float(found.group(1)) if found else 0.0

    with TestClient(create_app(strict)) as client:
        before = timeouts(client)
        answer = client.get("/v1/search", params={"q": "flood", "facets": "true"})
        assert answer.status_code == 504
        assert "longer than 0.001 s" in answer.json()["detail"]
        assert timeouts(client) == before + 1  # operators see them in Prometheus
        assert client.get("/v1/articles/apilimit7").status_code == 200  # reading one article is not strict
    out = cli(strict, "search", "flood", "--facets")
    assert (
        out.returncode == 1
        and "longer than 0.001 s" in out.stderr
        and "NEWSFLOW_SEARCH_TIMEOUT_S" in out.stderr
    )
    assert (
        cli(settings, "search", "flood", "--facets").returncode == 0
    )  # the default limit (10 s) lets it finish
