"""`newsflow up` as an attacker and a careless operator meet it: a locked-down embedded Redis, no secret
in logs, one stack per data dir, supervision of redis-server, SIGHUP and SIGKILL leaving no process."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import stat
import time
from pathlib import Path

import httpx
import pytest
import redis

from newsflow.redis_server import free_port
from tests.e2e.running import run, stack_env, start_up, stop

pytestmark = [pytest.mark.e2e]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def redis_server_pid(port: int) -> int:
    """redis-server names itself "redis-server 127.0.0.1:PORT" in its command line."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "redis-server" in cmdline and f"127.0.0.1:{port}" in cmdline:
                return int(proc.name)
    raise AssertionError("no redis-server of this stack")


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def lock_is_free(data_dir: Path) -> bool:
    fd = os.open(data_dir / "stack.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def wait_until(predicate, timeout: float) -> float:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, "not in time"
        time.sleep(0.2)
    return time.monotonic() - started


def test_the_embedded_stack_is_locked_down_supervised_and_stops_on_sighup(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    base = free_port()
    env = stack_env(data, NEWSFLOW_METRICS_PORT=str(base), NEWSFLOW_ENRICH_PROCESSES="1")
    proc, info = start_up(env, data)
    try:
        # Ready: every worker joined its group (the API answers before enrich has loaded its model).
        wait_until(lambda: "newsflow is up" in (data / "up.log").read_text(), timeout=120)
        url = info["redis_url"]
        password = (data / "redis" / "password").read_text().strip()
        assert password and f":{password}@" in url
        # Owner-only: the data dir, the file other terminals read, the password, the AOF, the store.
        assert mode(data) == 0o700 and mode(data / "stack.json") == 0o600
        assert mode(data / "redis" / "password") == 0o600 and mode(data / "redis" / "redis.conf") == 0o600
        assert all(mode(p) & 0o077 == 0 for p in (data / "redis").rglob("*") if p.is_file())
        assert all(mode(p) & 0o077 == 0 for p in data.glob("*.db*"))
        # No secret in the banner or the logs.
        assert password not in (data / "up.log").read_text()
        # Redis wants the password and refuses CONFIG (CONFIG SET dir + SAVE writes files anywhere).
        port = port_of(url)
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port, protocol=2).ping()
        client = redis.Redis.from_url(url)
        with pytest.raises(redis.ResponseError, match="unknown command"):
            client.execute_command("CONFIG", "SET", "dir", "/tmp")
        # Another terminal still needs no settings.
        status = run(stack_env(data), "status", "--json")
        assert status.returncode == 0, status.stderr
        # One port each for the workers' metrics.
        assert sorted(info["metrics_ports"].values()) == list(range(base, base + len(info["metrics_ports"])))
        for metrics_port in info["metrics_ports"].values():
            assert httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).status_code == 200
        # A second `up` on the same data dir is refused, naming the holder.
        second = run(stack_env(data), "up", timeout=60)
        assert second.returncode != 0 and "already running" in second.stderr, second.stderr
        # redis-server killed: `up` starts it again, with the same URL, and says so.
        os.kill(redis_server_pid(port), signal.SIGKILL)
        wait_until(lambda: _pings(url), timeout=30)
        assert "embedded_redis_exited_restarting" in (data / "up.log").read_text()
        # A closed terminal (SIGHUP) stops everything: the data dir's lock, held by every process of the
        # stack, comes free.
        proc.send_signal(signal.SIGHUP)
        took = wait_until(lambda: proc.poll() is not None and lock_is_free(data), timeout=60)
        print(f"stopped {took:.1f} s after SIGHUP")
        assert not (data / "stack.json").exists()
    finally:
        stop(proc)


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def test_no_process_outlives_up_killed_with_sigkill(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    proc, info = start_up(stack_env(data, NEWSFLOW_ENRICH_PROCESSES="1"), data)
    try:
        redis_server_pid(port_of(info["redis_url"]))  # there is one to outlive it
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        took = wait_until(lambda: lock_is_free(data), timeout=60)
        print(f"every process gone {took:.1f} s after up was SIGKILLed")
        with pytest.raises(AssertionError):
            redis_server_pid(port_of(info["redis_url"]))
    finally:
        stop(proc)


@pytest.mark.parametrize("setting", ["NEWSFLOW_API_PORT", "NEWSFLOW_EMBEDDED_REDIS_PORT"])
def test_a_taken_port_is_a_clear_error_not_a_false_up(tmp_path, setting):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(stack_env(tmp_path / "data", **{setting: str(port)}), "up", timeout=60)
    assert result.returncode != 0
    assert f"port {port}" in result.stderr and "taken" in result.stderr, result.stderr
    assert setting in result.stderr
    assert "newsflow is up" not in result.stderr


def test_a_pinned_embedded_redis_port_is_used(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    data.mkdir()
    env = stack_env(data, NEWSFLOW_EMBEDDED_REDIS_PORT=str(port))
    proc, info = start_up(env, data)
    try:
        assert info["redis_url"].endswith(f"@127.0.0.1:{port}/0")
        assert redis.Redis.from_url(info["redis_url"]).ping()
    finally:
        stop(proc)
