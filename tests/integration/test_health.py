"""`newsflow health STAGE`, compose's worker healthcheck: true only while this host's worker of the stage
is reading (its heartbeat lives), false before it starts reading and after it stops. A real ingest worker
process on a real redis-server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid

import pytest
import redis as sync_redis

from newsflow import keys
from tests.integration.test_dlq import env_of

pytestmark = [pytest.mark.redis]


def health(settings, stage: str, **extra) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli", "health", stage],
        env=env_of(settings, **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_health_follows_the_worker_from_its_first_read_to_its_stop(settings):
    # A consumer name of its own: heartbeats are global keys, and other tests' workers share this host.
    name = f"health-{uuid.uuid4().hex[:8]}"
    before = health(settings, "ingest", consumer_name=name)
    assert before.returncode == 1 and "no live ingest worker on this host" in before.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsflow.cli", "worker", "ingest"],
        env=env_of(settings, consumer_name=name),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while (result := health(settings, "ingest", consumer_name=name)).returncode != 0:
            assert time.monotonic() < deadline and proc.poll() is None, result.stderr
            time.sleep(0.2)
        assert result.stdout == f"ingest: {name} reading\n"
        assert health(settings, "enrich", consumer_name=name).returncode == 1  # not another stage's
    finally:
        proc.terminate()
        proc.wait(30)
    assert health(settings, "ingest", consumer_name=name).returncode == 1  # removed as it stops


def test_without_a_consumer_name_any_worker_of_this_host_counts(settings):
    stage = f"t{uuid.uuid4().hex[:8]}"
    client = sync_redis.Redis.from_url(settings.redis_url)
    try:
        client.set(keys.heartbeat(stage, "another-host-1"), "1", ex=30)
        assert health(settings, stage).returncode == 1
        client.set(keys.heartbeat(stage, f"{socket.gethostname()}-4242"), "4242", ex=30)
        result = health(settings, stage)
        assert result.returncode == 0 and f"{socket.gethostname()}-4242" in result.stdout
    finally:
        client.delete(
            keys.heartbeat(stage, "another-host-1"), keys.heartbeat(stage, f"{socket.gethostname()}-4242")
        )
        client.close()
