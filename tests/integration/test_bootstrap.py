"""`newsflow bootstrap`, compose's one-shot service: groups and store migrations, safe to run twice."""

from __future__ import annotations

import subprocess
import sys

import pytest
import redis as sync_redis

from tests.integration.test_dlq import env_of

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def test_bootstrap_creates_groups_and_migrates_the_store_twice_over(settings, postgres_url):
    from newsflow.search.postgres import PostgresStore

    # A password in the URL (the trust-auth test server ignores it) must not be printed.
    with_password = postgres_url.replace("://postgres@", "://postgres:s3cret@")
    env = env_of(settings, store_url=with_password)
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-m", "newsflow.cli", "bootstrap"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert f"group ingest on {settings.stream_urls}: ready" in out.stdout and "migrated" in out.stdout
    if with_password != postgres_url:
        assert "s3cret" not in out.stdout and "postgres:***@" in out.stdout
    client = sync_redis.Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        for stream, group in (
            (settings.stream_urls, "ingest"),
            (settings.stream_articles, "enrich"),
            (settings.stream_enriched, "index"),
        ):
            assert [g["name"] for g in client.xinfo_groups(stream)] == [group]
    finally:
        client.delete(settings.stream_urls, settings.stream_articles, settings.stream_enriched)
        client.close()
    store = PostgresStore(postgres_url)
    try:
        assert store.count() >= 0  # the schema is there
    finally:
        store.close()
