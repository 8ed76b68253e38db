"""Consumer names: one per process, and which belong to this host (what `newsflow health` checks)."""

from __future__ import annotations

import os
import socket

from newsflow import keys
from newsflow.consumers import consumer_name, host_prefix, on_this_host
from newsflow.settings import Settings


def test_a_process_is_named_by_its_host_and_pid_unless_named_outright():
    assert consumer_name(Settings()) == f"{socket.gethostname()}-{os.getpid()}"
    assert consumer_name(Settings(), pid=42) == f"{host_prefix()}42"
    assert consumer_name(Settings(consumer_name="enrich-a")) == "enrich-a"


def test_which_consumers_are_on_this_host():
    assert on_this_host(Settings(), f"{host_prefix()}42")
    assert not on_this_host(Settings(), "another-host-42")
    # A named consumer is the only one of this host: not its neighbours of the same prefix.
    assert on_this_host(Settings(consumer_name="enrich-a"), "enrich-a")
    assert not on_this_host(Settings(consumer_name="enrich-a"), f"{host_prefix()}42")


def test_the_consumer_of_a_heartbeat_key_may_hold_colons():
    key = keys.heartbeat("enrich", "host:with:colons-7")
    assert keys.stage_of_heartbeat(key) == "enrich"
    assert keys.consumer_of_heartbeat(key) == "host:with:colons-7"
