"""`newsflow up`: Redis (embedded unless NEWSFLOW_REDIS_URL is set), three workers and the API, supervised.

The running stack writes <data_dir>/stack.json (newsflow.stackfile); every other command reads it.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import signal
import socket
import time
from typing import Any

import httpx
import redis

from newsflow import keys
from newsflow.cli.supervisor import Supervisor
from newsflow.consumers import host_prefix
from newsflow.logs import get_logger
from newsflow.pipeline import PRODUCERS, stages
from newsflow.redis_server import EmbeddedRedis, free_port, owner_only_dir
from newsflow.schemas import format_utc, utcnow
from newsflow.settings import Settings
from newsflow.stackfile import read_stack, stack_file
from newsflow.status import redact

log = get_logger("newsflow.cli.stack")


class Stack:
    """The processes of one stack. start() returns once Redis and the API answer; stop() ends them in order."""

    def __init__(self, settings: Settings, extra_env: dict[str, str] | None = None, api: bool = True):
        self.settings = settings
        self.extra_env = extra_env or {}
        self.with_api = api
        self.redis: EmbeddedRedis | None = None
        self.redis_url = settings.redis_url
        self.api_port = settings.api_port
        self.children = Supervisor(env={})
        self.stopping = False
        self.lock_fd: int | None = None
        self.stages = list(stages(settings))
        # Process name -> its stage: "enrich", "enrich-2", ... when a stage runs several processes.
        self.workers: dict[str, str] = {
            (stage if i == 0 else f"{stage}-{i + 1}"): stage
            for stage in self.stages
            for i in range(settings.enrich_processes if stage == "enrich" else 1)
        }
        # The producers (discover), where installed: with no source followed, discover only looks at an
        # empty set every few seconds.
        self.producers = {p.name: p for p in PRODUCERS if importlib.util.find_spec(p.package)}

    @property
    def api_url(self) -> str:
        host = self.settings.api_host if self.settings.api_host not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"http://{host}:{self.api_port}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env["NEWSFLOW_REDIS_URL"] = self.redis_url or ""
        env["NEWSFLOW_DATA_DIR"] = str(self.settings.data_dir)
        env["NEWSFLOW_API_PORT"] = str(self.api_port)
        env["NEWSFLOW_STORE_URL"] = self.settings.effective_store_url
        return env

    def _spawn(self, name: str) -> None:
        if name in self.producers:
            command = list(self.producers[name].command)
        else:
            command = ["api"] if name == "api" else ["worker", self.workers[name]]
        self.children.start(name, *command)

    def _lock(self) -> None:
        """Hold <data_dir>/stack.lock; every process of the stack inherits it, so it holds until the last
        of them is gone (a second `up` on a data dir whose supervisor died must not start another
        redis-server on the same AOF)."""
        path = self.settings.data_dir / "stack.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise RuntimeError(
                f"a stack is already running from {self.settings.data_dir} (its lock is held; pid {holder});"
                " stop it first or use another NEWSFLOW_DATA_DIR"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.lock_fd = fd
        self.children.pass_fds = (fd,)

    @staticmethod
    def _check_port_free(host: str, port: int, setting: str) -> None:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise RuntimeError(
                    f"port {port} on {host} is taken ({exc.strerror}); another stack or program holds it:"
                    f" set {setting} (0 picks a free one)"
                ) from None

    def start(self, ready_timeout: float = 60.0) -> None:
        existing = read_stack(self.settings)
        if existing:
            raise RuntimeError(
                f"a stack is already running from {self.settings.data_dir} (pid {existing['pid']});"
                " stop it first or use another NEWSFLOW_DATA_DIR"
            )
        owner_only_dir(self.settings.data_dir)
        self._lock()
        if self.with_api and self.api_port != 0:
            self._check_port_free(self.settings.api_host, self.api_port, "NEWSFLOW_API_PORT")
        if self.settings.metrics_port:  # one port each: they cannot share one
            for i, name in enumerate([*self.workers, *self.producers]):
                self.children.env_of[name] = {"NEWSFLOW_METRICS_PORT": str(self.settings.metrics_port + i)}
        if not self.redis_url:
            pinned = self.settings.embedded_redis_port
            if pinned:
                self._check_port_free("127.0.0.1", pinned, "NEWSFLOW_EMBEDDED_REDIS_PORT")
            # Not a port this stack is about to bind: the API's, the workers' metrics ports.
            taken = {self.api_port} if self.with_api else set()
            taken |= {int(env["NEWSFLOW_METRICS_PORT"]) for env in self.children.env_of.values()}
            self.redis = EmbeddedRedis(
                self.settings.data_dir, self.settings.redis_server_bin, port=pinned or free_port(taken)
            )
            self.redis.pass_fds = self.children.pass_fds
            self.redis_url = self.redis.start()
        if self.with_api and self.api_port == 0:
            self.api_port = free_port()
        self._bootstrap_groups()
        self.children.env = self._env()  # Redis and the API port are known from here on
        for name in [*self.workers, *self.producers, *(["api"] if self.with_api else [])]:
            self._spawn(name)
        # Owner-only: it holds the Redis password and the store's URL, which other terminals need.
        fd = os.open(stack_file(self.settings), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(
                {
                    "pid": os.getpid(),
                    "redis_url": self.redis_url,
                    "api_url": self.api_url if self.with_api else None,
                    "store_url": self.settings.effective_store_url,
                    "pipeline": self.settings.pipeline,
                    "started_at": format_utc(utcnow()),
                    "embedded_redis": self.redis is not None,
                    "metrics_ports": {
                        n: int(e["NEWSFLOW_METRICS_PORT"]) for n, e in self.children.env_of.items()
                    },
                },
                f,
                indent=2,
            )
        if self.with_api:
            self._wait_api(ready_timeout)
        self._wait_workers(ready_timeout)
        log.info(
            "stack_ready",
            redis_url=redact(self.redis_url or ""),
            api_url=self.api_url if self.with_api else None,
            store_url=redact(self.settings.effective_store_url),
            data_dir=str(self.settings.data_dir),
        )

    def _bootstrap_groups(self) -> None:
        import asyncio

        from redis.asyncio import Redis

        from newsflow.streams import ensure_groups

        async def run() -> None:
            client = Redis.from_url(self.redis_url)
            try:
                await ensure_groups(client, self.settings)
            finally:
                await client.aclose()

        asyncio.run(run())

    def _wait_api(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            api = self.children.procs.get("api")
            if api is not None and api.poll() is not None:
                raise RuntimeError(f"the API exited with code {api.returncode} during start-up")
            try:
                if httpx.get(self.api_url + "/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the API did not answer on {self.api_url} within {timeout:g}s")

    def _wait_workers(self, timeout: float) -> None:
        """Ready means every worker has joined its group (after loading its models), not just started."""

        client = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + timeout
        try:
            for name, stage in [*self.workers.items(), *((p, p) for p in self.producers)]:
                proc = self.children.procs[name]
                while not client.exists(keys.heartbeat(stage, f"{host_prefix()}{proc.pid}")):
                    if proc.poll() is not None:
                        raise RuntimeError(
                            f"the {stage} worker exited with code {proc.returncode} during start-up"
                        )
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the {stage} worker did not start within {timeout:g}s")
                    time.sleep(0.1)
        finally:
            client.close()

    def supervise_once(self) -> None:
        if self.stopping:
            return
        if (
            self.redis is not None
            and self.redis.process is not None
            and self.redis.process.poll() is not None
        ):
            # The embedded redis-server died (killed, out of memory): start it again on its port, its AOF
            # and its password, so the workers' reconnects find it.
            log.error("embedded_redis_exited_restarting", code=self.redis.process.returncode)
            self.redis.start()
        self.children.restart_exited()

    def run_forever(self) -> None:
        stop = {"flag": False}

        def handler(signum: int, frame: Any) -> None:
            stop["flag"] = True

        # SIGHUP too: a closed terminal stops the stack, it does not orphan it.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, handler)
        while not stop["flag"]:
            self.supervise_once()
            time.sleep(0.5)

    def stop(self) -> None:
        self.stopping = True
        # Producers first: discover and the API stop taking URLs, then ingest, enrich, index drain in flow order.
        self.children.stop(
            [*self.producers, "api", *self.workers], timeout=self.settings.graceful_timeout + 5
        )
        if self.redis is not None:
            self.redis.stop()
        info = read_stack(self.settings)
        if info is None or info.get("pid") == os.getpid():
            stack_file(self.settings).unlink(missing_ok=True)
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # the children, gone now, held their copies
            self.lock_fd = None
        log.info("stack_stopped")
