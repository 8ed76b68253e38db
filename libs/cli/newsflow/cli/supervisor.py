"""Named newsflow processes (`python -m newsflow.cli <command>`), started, stopped in order, killed and
restarted: what `newsflow up` runs its workers and API with, and what the fault tests kill and restart.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from newsflow.logs import get_logger
from newsflow.redis_server import die_with_parent

log = get_logger("newsflow.cli.supervisor")


class Supervisor:
    def __init__(self, env: dict[str, str], log_dir: Path | None = None, own_sessions: bool = True):
        """env: every child's environment. log_dir: each child's output appended to <name>.log there
        (else it shares ours). own_sessions: each child in a session of its own, so a terminal's Ctrl-C
        reaches the supervisor alone and it stops the children in order. Every child gets SIGTERM when
        the supervisor dies, however it dies (Linux), and creates its files owner-only."""
        self.env = env
        self.log_dir = log_dir
        self.own_sessions = own_sessions
        # Descriptors every child inherits: `newsflow up`'s lock on its data dir, held while any lives.
        self.pass_fds: tuple[int, ...] = ()
        # Per child, settings over env's (a metrics port of its own).
        self.env_of: dict[str, dict[str, str]] = {}
        self.commands: dict[str, list[str]] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: dict[str, list[float]] = {}

    def start(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        """Start (or start again) the child `name` running `newsflow <command>`."""
        self.commands[name] = list(command)
        args = [sys.executable, "-m", "newsflow.cli", *command]
        common: dict[str, Any] = dict(
            env={**self.env, **self.env_of.get(name, {})},
            start_new_session=self.own_sessions,
            pass_fds=self.pass_fds,
            preexec_fn=die_with_parent,
        )
        if self.log_dir is None:
            proc = subprocess.Popen(args, **common)
        else:
            with (self.log_dir / f"{name}.log").open("ab") as out:
                proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, **common)
        self.procs[name] = proc
        return proc

    def exited(self) -> dict[str, int]:
        """The children that are no longer running, with their exit codes."""
        return {name: code for name, proc in self.procs.items() if (code := proc.poll()) is not None}

    def kill(self, name: str) -> None:
        """SIGKILL: the child gets no chance to finish anything."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def stop(self, names: list[str], timeout: float) -> dict[str, int]:
        """SIGTERM to every child named, all at once, then wait for them in that order; a child still
        running `timeout` seconds later is killed. Returns each one's exit code."""
        chosen = [n for n in names if n in self.procs]
        for name in chosen:
            if self.procs[name].poll() is None:
                self.procs[name].send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        codes = {}
        for name in chosen:
            proc = self.procs[name]
            try:
                codes[name] = proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("child_killed", child=name)
                proc.kill()
                codes[name] = proc.wait()
        return codes

    def restart_exited(self) -> None:
        """Start again every child that exited (FastStream exits 0 when its stream or group vanishes),
        with a backoff that grows with its restarts of the last minute."""
        for name, code in self.exited().items():
            recent = [t for t in self.restarts.get(name, []) if time.monotonic() - t < 60]
            delay = min(30.0, 2 ** len(recent) * 0.5)
            log.warning("child_exited_restarting", child=name, code=code, restart_in_s=delay)
            time.sleep(delay)
            self.restarts[name] = [*recent, time.monotonic()]
            self.start(name, *self.commands[name])
