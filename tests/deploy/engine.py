"""A Docker engine, a compose tool and the base images for the deployment test.

The machine's engine when one answers; otherwise, as root on Debian, Debian's docker.io and docker-compose
installed and dockerd started here (and stopped again after the test). The base images are the upstream
ones when NEWSFLOW_COMPOSE_IMAGES=upstream, else deploy/local-images.sh's equivalents from Debian's
packages, since a machine of this kind reaches no image registry.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.conftest import REPO

DEBIAN_PACKAGES = ["docker.io", "docker-compose", "debootstrap", "iptables"]


class EngineMissing(Exception):
    """No engine answers and none can be installed here: the reason, for the skip-or-fail rule."""


def run(*cmd: str, timeout: float = 120, check: bool = True, **kw) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done


def _answers() -> bool:
    return (
        shutil.which("docker") is not None
        and subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0
    )


class Engine:
    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.daemon: subprocess.Popen[bytes] | None = None
        self.installed: list[str] = []
        self.compose: list[str] = []

    def ensure(self) -> None:
        if not _answers():
            self._install()
            self._start_daemon()
        self.compose = self._compose_tool()

    def _install(self) -> None:
        missing = [p for p in ("dockerd", "docker-compose", "debootstrap", "iptables") if not shutil.which(p)]
        if not missing:
            return
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            raise EngineMissing(
                f"no Docker engine answers, and {missing} cannot be installed (needs root and apt)"
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        done = run("apt-get", "install", "-y", "-q", *DEBIAN_PACKAGES, timeout=900, check=False, env=env)
        if done.returncode != 0:
            raise EngineMissing(f"apt-get install {' '.join(DEBIAN_PACKAGES)} failed: {done.stderr[-1000:]}")
        self.installed = DEBIAN_PACKAGES

    def _start_daemon(self) -> None:
        if os.geteuid() != 0 or not shutil.which("dockerd"):
            raise EngineMissing("no Docker engine answers, and dockerd cannot be started here (needs root)")
        log = (self.log_dir / "dockerd.log").open("wb")
        self.daemon = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not _answers():
            if self.daemon.poll() is not None or time.monotonic() > deadline:
                raise EngineMissing(
                    f"dockerd did not start: {(self.log_dir / 'dockerd.log').read_text()[-2000:]}"
                )
            time.sleep(1)

    @staticmethod
    def _compose_tool() -> list[str]:
        if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
            return ["docker", "compose"]
        if shutil.which("docker-compose"):
            return ["docker-compose"]
        raise EngineMissing("neither `docker compose` nor docker-compose is installed")

    def base_images(self) -> dict[str, str]:
        """The variables that name the base images: {} for the upstream defaults, else the local ones."""
        if os.environ.get("NEWSFLOW_COMPOSE_IMAGES") == "upstream":
            return {}
        if os.geteuid() != 0 or not shutil.which("debootstrap"):
            raise EngineMissing(
                "the local base images need root and debootstrap (or NEWSFLOW_COMPOSE_IMAGES=upstream)"
            )
        done = run("bash", str(REPO / "deploy" / "local-images.sh"), timeout=900)
        return dict(line.split("=", 1) for line in done.stdout.split())

    def stop(self) -> None:
        """Stops the dockerd this test started; an engine that was running before is left running."""
        if self.daemon is None:
            return
        self.daemon.terminate()
        try:
            self.daemon.wait(60)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait()
