"""`newsflow tail --group` says it created a durable group, and `--delete` removes it; real processes
against a real redis-server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import redis

pytestmark = pytest.mark.redis


def newsflow(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_tail_group_says_it_created_a_durable_group_and_delete_removes_it(redis_url, tmp_path):
    stream = f"t{uuid.uuid4().hex[:8]}.enriched"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")},
        "NEWSFLOW_REDIS_URL": redis_url,
        "NEWSFLOW_STREAM_ENRICHED": stream,
        "NEWSFLOW_DATA_DIR": str(tmp_path),
    }
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    r.xadd(stream, {"id": "a", "schema": "enriched-article/1", "json": '{"id": "a"}'})

    first = newsflow("tail", "--group", "my-team", "--from-start", "--count", "1", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == '{"id": "a"}'
    assert "created consumer group 'my-team'" in first.stderr
    assert "newsflow tail --group my-team --delete" in first.stderr
    assert [g["name"] for g in r.xinfo_groups(stream)] == ["my-team"]

    r.xadd(stream, {"id": "b", "schema": "enriched-article/1", "json": '{"id": "b"}'})
    again = newsflow("tail", "--group", "my-team", "--count", "1", env=env)
    assert "existing consumer group 'my-team'" in again.stderr
    assert again.stdout.strip() == '{"id": "b"}'  # the group remembered where it was

    removed = newsflow("tail", "--group", "my-team", "--delete", env=env)
    assert removed.returncode == 0 and "removed consumer group 'my-team'" in removed.stderr
    assert r.xinfo_groups(stream) == []
    missing = newsflow("tail", "--group", "my-team", "--delete", env=env)
    assert missing.returncode == 1 and "no consumer group" in missing.stderr
    r.delete(stream)
