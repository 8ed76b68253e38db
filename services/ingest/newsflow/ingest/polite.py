"""Politeness per host: robots.txt (cached), a minimum interval and a concurrency cap, Retry-After.

All of it is per worker process: with N ingest replicas a host sees at most N times the rate. The
gates are in memory because politeness is about the next seconds, not about history.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

# How long a host's robots.txt is trusted before it is fetched again; how long one that failed
# (5xx, unreachable) keeps the host closed before it is asked again.
ROBOTS_TTL_S = 3600.0
ROBOTS_RETRY_S = 60.0
ROBOTS_MAX_BYTES = 500_000
# Hosts remembered per worker before idle ones are forgotten: a worker runs for months and meets
# hundreds of thousands of hosts, most of them once.
MAX_HOSTS = 10_000
# A Crawl-delay or Retry-After beyond these is capped: a site cannot park a worker for hours.
MAX_CRAWL_DELAY_S = 30.0
MAX_RETRY_AFTER_S = 3600.0


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class HostBusy(Exception):
    """The host asked us to wait (Retry-After, Crawl-delay) longer than a worker should hold an entry."""

    def __init__(self, host: str, wait_s: float):
        super().__init__(f"{host} asks to wait {wait_s:.0f}s before the next request")
        self.host, self.wait_s = host, wait_s


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    interval_s: float
    next_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    busy: int = 0  # requests waiting for or holding a slot


class HostGates:
    """At most `concurrency` requests in flight per host, started at least `interval_s` apart."""

    def __init__(self, interval_s: float, concurrency: int, max_wait_s: float):
        self.interval_s, self.concurrency, self.max_wait_s = interval_s, concurrency, max_wait_s
        self.hosts: dict[str, _Host] = {}

    def _host(self, host: str) -> _Host:
        if host not in self.hosts:
            if len(self.hosts) >= MAX_HOSTS:
                # Forgetting an idle host loses nothing: its next request is free to go anyway.
                now = time.monotonic()
                self.hosts = {k: h for k, h in self.hosts.items() if h.busy or h.next_at > now}
            self.hosts[host] = _Host(asyncio.Semaphore(self.concurrency), self.interval_s)
        return self.hosts[host]

    def slow_down(
        self, host: str, *, crawl_delay_s: float | None = None, retry_after_s: float | None = None
    ) -> None:
        h = self._host(host)
        if crawl_delay_s is not None:
            h.interval_s = max(self.interval_s, min(crawl_delay_s, MAX_CRAWL_DELAY_S))
        if retry_after_s is not None:
            h.next_at = max(h.next_at, time.monotonic() + min(retry_after_s, MAX_RETRY_AFTER_S))

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        h = self._host(host)
        h.busy += 1
        try:
            async with h.semaphore:
                async with h.lock:
                    wait = h.next_at - time.monotonic()
                    if wait > self.max_wait_s:
                        raise HostBusy(host, wait)
                    if wait > 0:
                        await asyncio.sleep(wait)
                    h.next_at = time.monotonic() + h.interval_s
                yield
        finally:
            h.busy -= 1


@dataclass
class RobotsVerdict:
    allowed: bool
    crawl_delay_s: float | None = None
    # Set when robots.txt could not be read lately: nothing is fetched from the host for `wait_s`.
    unavailable: str | None = None
    wait_s: float = 0.0


class RobotsCache:
    """Parsed robots.txt per host, kept ROBOTS_TTL_S; the fetcher fills it."""

    def __init__(self, user_agent: str):
        # Rules are matched on the product token ("newsflow"), as robots.txt files name crawlers.
        self.agent = user_agent.split("/")[0].strip() or user_agent
        self.cache: dict[str, tuple[float, Protego | str | None]] = {}
        # Fetches of one host that start together wait for one robots.txt request, not one each.
        self.locks: dict[str, asyncio.Lock] = {}

    def lock(self, host: str) -> asyncio.Lock:
        return self.locks.setdefault(host, asyncio.Lock())

    def _store(self, host: str, until: float, rules: Protego | str | None) -> None:
        if host not in self.cache and len(self.cache) >= MAX_HOSTS:
            now = time.monotonic()
            self.cache = {k: v for k, v in self.cache.items() if v[0] > now}
            self.locks = {k: lock for k, lock in self.locks.items() if lock.locked() or k in self.cache}
        self.cache[host] = (until, rules)

    def remember(self, host: str, status: int, text: str) -> None:
        """RFC 9309: a 4xx robots.txt means no rules; a 2xx is parsed. (5xx is the caller's to refuse.)"""
        rules = Protego.parse(text[:ROBOTS_MAX_BYTES]) if 200 <= status < 300 else None
        self._store(host, time.monotonic() + ROBOTS_TTL_S, rules)

    def unavailable(self, host: str, reason: str) -> None:
        """RFC 9309: robots.txt unreachable or 5xx means complete disallow, for now; asked again later."""
        self._store(host, time.monotonic() + ROBOTS_RETRY_S, reason)

    def known(self, host: str) -> bool:
        entry = self.cache.get(host)
        return entry is not None and entry[0] > time.monotonic()

    def verdict(self, url: str) -> RobotsVerdict:
        until, rules = self.cache[host_of(url)]
        if rules is None:
            return RobotsVerdict(True)
        if isinstance(rules, str):
            return RobotsVerdict(False, unavailable=rules, wait_s=max(until - time.monotonic(), 0.0))
        return RobotsVerdict(rules.can_fetch(url, self.agent), rules.crawl_delay(self.agent))
