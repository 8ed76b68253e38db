"""free_port() never hands out a port the stack is about to bind itself: `newsflow up` once started its
embedded Redis on the port its API had been given (the kernel freed and reused it), and the API could not
bind (CI, test_discover_up)."""

from __future__ import annotations

import socket

from newsflow import redis_server
from newsflow.redis_server import free_port


class _Socket:
    """The kernel's picks, in order: first the port the API was given, then another."""

    picks = [40001, 40002]

    def __init__(self, *args, **kwargs):
        self.port = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def bind(self, address):
        self.port = _Socket.picks.pop(0)

    def getsockname(self):
        return ("127.0.0.1", self.port)


def test_a_port_to_avoid_is_never_returned(monkeypatch):
    monkeypatch.setattr(redis_server.socket, "socket", _Socket)
    assert free_port(avoid={40001}) == 40002


def test_a_free_port_can_be_bound():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
