"""deploy/compose.yaml run as a user runs it, by the compose tool, seen from the host as a user sees it:
the API and Redis on their published loopback ports, containers through the engine."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import redis as sync_redis

from newsflow.redis_server import free_port
from tests.conftest import REPO
from tests.deploy.engine import Engine, run

COMPOSE_FILE = REPO / "deploy" / "compose.yaml"


def _since(started: float) -> float:
    return round(time.monotonic() - started, 1)


class Deployment:
    def __init__(self, engine: Engine, project: str, folder: Path, settings: dict[str, str]):
        self.engine = engine
        self.project = project
        self.env_file = folder / "compose.env"
        self.redis_password = secrets.token_hex(16)
        self.token = secrets.token_hex(16)
        self.api_port, self.redis_port, self.prometheus_port = free_port(), free_port(), free_port()
        values = {
            "REDIS_PASSWORD": self.redis_password,
            "POSTGRES_PASSWORD": secrets.token_hex(16),
            "NEWSFLOW_API_TOKEN": self.token,
            "GRAFANA_ADMIN_PASSWORD": secrets.token_hex(16),
            "API_PUBLISH": f"127.0.0.1:{self.api_port}",
            "REDIS_PUBLISH": f"127.0.0.1:{self.redis_port}",
            "PROMETHEUS_PUBLISH": f"127.0.0.1:{self.prometheus_port}",
            "GRAFANA_PUBLISH": f"127.0.0.1:{free_port()}",
            # A test machine, not a search server: PostgreSQL's memory as for a small host.
            "POSTGRES_SHARED_BUFFERS": "128MB",
            "POSTGRES_EFFECTIVE_CACHE_SIZE": "512MB",
            "ENV_FILE": str(self.env_file),
            **settings,
        }
        self.secrets = [values[k] for k in ("REDIS_PASSWORD", "POSTGRES_PASSWORD", "NEWSFLOW_API_TOKEN")]
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        self.env_file.chmod(0o600)
        # Compose takes a variable from its own environment before the file: none of the caller's.
        interpolated = {"DOCKER_BUILDKIT": "0", "COMPOSE_DOCKER_CLI_BUILD": "0"}
        self.process_env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("NEWSFLOW_", "COMPOSE_")) and k not in values
        } | interpolated

    # --- the compose tool and the engine ---

    def compose(
        self, *args: str, timeout: float = 300, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        cmd = [
            *self.engine.compose,
            "--env-file",
            str(self.env_file),
            "-p",
            self.project,
            "-f",
            str(COMPOSE_FILE),
        ]
        return run(*cmd, *args, timeout=timeout, check=check, env=self.process_env)

    def containers(self, service: str | None = None) -> list[dict[str, Any]]:
        """`docker inspect` of the project's containers (of one service), running or not."""
        filters = ["--filter", f"label=com.docker.compose.project={self.project}"]
        if service:
            filters += ["--filter", f"label=com.docker.compose.service={service}"]
        ids = run("docker", "ps", "-a", "-q", *filters).stdout.split()
        if not ids:
            return []
        return json.loads(run("docker", "inspect", *ids).stdout)

    def wait_healthy(self, replicas: dict[str, int], timeout: float = 240) -> float:
        """Waits until each service runs that many containers, every one healthy; returns the seconds."""
        started = time.monotonic()
        while True:
            state = {}
            for service, n in replicas.items():
                running = [c for c in self.containers(service) if c["State"]["Running"]]
                healthy = [c for c in running if c["State"].get("Health", {}).get("Status") == "healthy"]
                state[service] = (len(healthy), n)
            if all(h == n for h, n in state.values()):
                return _since(started)
            if time.monotonic() - started > timeout:
                raise AssertionError(
                    f"not healthy after {timeout} s (healthy, wanted): {state}\n{self.logs()}"
                )
            time.sleep(2)

    def logs(self, service: str | None = None, tail: int = 40) -> str:
        args = ["logs", "--no-color", f"--tail={tail}"] + ([service] if service else [])
        done = self.compose(*args, check=False)
        return done.stdout + done.stderr

    def worker_started_after(self, container: dict[str, Any]) -> float | None:
        """Seconds from the container's start to its worker's worker_started log line."""
        started = _instant(container["State"]["StartedAt"])
        out = run("docker", "logs", "--since", container["State"]["StartedAt"], container["Id"], check=False)
        for line in (out.stdout + out.stderr).splitlines():
            if '"worker_started"' in line:
                return round((_instant(json.loads(line)["timestamp"]) - started).total_seconds(), 1)
        return None

    # --- the stack's published ports ---

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=f"http://127.0.0.1:{self.api_port}", timeout=30)

    def push(self, urls: list[str]) -> list[dict[str, Any]]:
        with self.api() as api:
            response = api.post("/v1/urls", json=urls, headers={"Authorization": f"Bearer {self.token}"})
        assert response.status_code == 202, response.text
        return response.json()["queued"]

    def stored(self, ids: list[str]) -> set[str]:
        with self.api() as api:
            return {i for i in ids if api.get(f"/v1/articles/{i}").status_code == 200}

    def wait_stored(self, ids: list[str], timeout: float = 300) -> float:
        started = time.monotonic()
        while (missing := set(ids) - self.stored(ids)) and time.monotonic() - started < timeout:
            time.sleep(1)
        assert not missing, f"{len(missing)} of {len(ids)} never indexed\n{self.logs()}"
        return _since(started)

    def total(self) -> int:
        with self.api() as api:
            return int(api.get("/v1/search", params={"limit": 1}).json()["total"])

    def redis(self) -> sync_redis.Redis:
        return sync_redis.Redis(port=self.redis_port, password=self.redis_password, decode_responses=True)


def _instant(text: str) -> datetime:
    # Docker's nanoseconds are more than datetime holds.
    head, _, tail = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(tail + '000000')[:6]}+00:00")
