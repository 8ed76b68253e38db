"""Consumer names: how a worker process is named in its stream's group and in its heartbeat key.

Unique per process and stable per container (the host name and the process id), so that `--scale`
and several workers on one host each read their own share; NEWSFLOW_CONSUMER_NAME names one outright.
"""

from __future__ import annotations

import os
import socket

from newsflow.settings import Settings


def host_prefix() -> str:
    """What the consumer names of this host's worker processes begin with."""
    return f"{socket.gethostname()}-"


def consumer_name(settings: Settings, pid: int | None = None) -> str:
    """The consumer name of this process (or of the process `pid` on this host)."""
    return settings.consumer_name or f"{host_prefix()}{os.getpid() if pid is None else pid}"


def on_this_host(settings: Settings, consumer: str) -> bool:
    """Whether a consumer is one of this host's worker processes (the named one, when one is named)."""
    if settings.consumer_name:
        return consumer == settings.consumer_name
    return consumer.startswith(host_prefix())
