"""`newsflow dlq list|replay|purge` on a real redis-server, with an ingest worker that dead-letters and,
once the cause is fixed, succeeds on the replayed entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from redis.asyncio import Redis

from newsflow.cli.pageserver import PageServer
from newsflow.ingest.worker import IngestHandler
from newsflow.streams import decode_fields
from tests.conftest import PAGES
from tests.integration.test_workers import _at_least, dead_letters, running, wait_for

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


def env_of(settings, **extra) -> dict[str, str]:
    """The environment of a newsflow process that sees what the test's settings say."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    for name in (
        "redis_url",
        "stream_urls",
        "stream_articles",
        "stream_enriched",
        "stream_dlq",
        "data_dir",
        "search_timeout_s",
    ):
        env[f"NEWSFLOW_{name.upper()}"] = str(getattr(settings, name))
    env.update({f"NEWSFLOW_{k.upper()}": str(v) for k, v in extra.items()})
    return env


def cli(settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli", *args],
        env=env_of(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_dead_letters_are_listed_replayed_after_a_fix_and_purged(settings, tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    server = PageServer(root)
    server.start()
    redis = Redis.from_url(settings.redis_url)
    try:
        missing, never = server.url("late.html"), server.url("never.html")
        async with running(IngestHandler(settings), settings):
            await redis.xadd(settings.stream_urls, {"url": missing})
            await redis.xadd(settings.stream_urls, {"url": never})
            await wait_for(lambda: _at_least(dead_letters(redis, settings), 2))

            listed = [json.loads(line) for line in cli(settings, "dlq", "list", "--json").stdout.splitlines()]
            assert {d["url"] for d in listed} == {missing, never}
            assert all(d["reason"] == "HTTP 404" and d["stage"] == "ingest" for d in listed)
            assert all(d["enqueued_at"] <= d["first_attempt_at"] <= d["failed_at"] for d in listed)

            # The page appears; replaying its letter (by id) puts the original entry back on news.urls.
            (root / "late.html").write_bytes((PAGES / "dw-mali-russia.html").read_bytes())
            late = next(d["dlq_id"] for d in listed if d["url"] == missing)
            out = cli(settings, "dlq", "replay", late)
            assert out.returncode == 0 and "replayed 1" in out.stdout
            rows = await wait_for(lambda: redis.xrange(settings.stream_articles))
        assert json.loads(decode_fields(rows[0][1])["json"])["url"] == missing
        left = await dead_letters(redis, settings)
        assert [d["url"] for d in left] == [never]  # the replayed letter left the dead-letter stream

        assert cli(settings, "dlq", "replay").returncode == 2  # neither ids nor --all: refused
        out = cli(settings, "dlq", "purge", "--yes")
        assert out.returncode == 0 and "purged 1" in out.stdout
        assert await redis.xlen(settings.stream_dlq) == 0
    finally:
        await redis.delete(settings.stream_urls, settings.stream_articles, settings.stream_dlq)
        await redis.aclose()
        server.stop()
