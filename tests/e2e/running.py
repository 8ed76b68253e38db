"""A `newsflow up` run as a user runs it, and the commands of another terminal beside it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from newsflow.redis_server import free_port


def newsflow_cmd(bin_dir: Path | None = None) -> list[str]:
    """The installed `newsflow` command (of the venv in bin_dir, default this interpreter's)."""
    folder = bin_dir or Path(sys.executable).parent
    exe = shutil.which("newsflow", path=str(folder))
    return [exe] if exe else [str(folder / "python"), "-m", "newsflow.cli"]


def stack_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """This environment without any NEWSFLOW_ setting of the caller's, plus a stack's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    env.update(
        {
            "NEWSFLOW_DATA_DIR": str(data_dir),
            "NEWSFLOW_FETCH_ALLOW_PRIVATE": "true",  # the pages are served on 127.0.0.1
            "NEWSFLOW_FETCH_HOST_INTERVAL_S": "0",
            "NEWSFLOW_API_PORT": str(free_port()),
            **settings,
        }
    )
    return env


def run(
    env: dict[str, str],
    *args: str,
    timeout: float = 60,
    cmd: list[str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(cmd or newsflow_cmd()), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd
    )


def healthy(api_url: str | None) -> bool:
    if not api_url:
        return False
    try:
        return httpx.get(api_url + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def start_up(
    env: dict[str, str],
    data_dir: Path,
    *,
    cmd: list[str] | None = None,
    cwd: Path | None = None,
    timeout: float = 90,
) -> tuple[subprocess.Popen[str], dict]:
    """`newsflow up`, once its API answers: the process and its stack.json. Its output is in up.log."""
    # A file, not a pipe: nobody reads a pipe while the tests run, and a full one would block every worker.
    log = (data_dir / "up.log").open("w")
    proc = subprocess.Popen(
        [*(cmd or newsflow_cmd()), "up"], env=env, stdout=log, stderr=subprocess.STDOUT, text=True, cwd=cwd
    )
    log.close()
    stack_file = data_dir / "stack.json"
    deadline = time.monotonic() + timeout
    while not (stack_file.exists() and healthy(json.loads(stack_file.read_text() or "{}").get("api_url"))):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            pytest.fail(
                f"newsflow up did not start (code {proc.returncode}):\n{(data_dir / 'up.log').read_text()[-3000:]}"
            )
        time.sleep(0.2)
    return proc, json.loads(stack_file.read_text())


def stop(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C, as a user stops it: `up` then stops its workers, API and Redis. A kill would leave them
    running, each in its own session."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def search_json(env: dict[str, str], *args: str, cmd: list[str] | None = None) -> list[dict]:
    result = run(env, "search", *args, "--json", cmd=cmd)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def wait_search(
    env: dict[str, str], *args: str, timeout: float = 90, cmd: list[str] | None = None
) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hits = search_json(env, *args, cmd=cmd)
        if hits:
            return hits
        time.sleep(0.3)
    pytest.fail(f"no search results for {args} within {timeout}s")
