import asyncio

from newsflow.ingest import polite
from newsflow.ingest.polite import HostGates, RobotsCache


def test_idle_hosts_are_forgotten_past_the_limit_and_busy_ones_kept(monkeypatch):
    monkeypatch.setattr(polite, "MAX_HOSTS", 3)

    async def run():
        gates = HostGates(interval_s=0, concurrency=1, max_wait_s=1)
        gates.slow_down("http://paused", retry_after_s=600)  # asked for a pause: remembered
        async with gates.slot("http://busy"):
            async with gates.slot("http://idle"):
                pass
            async with gates.slot("http://new"):  # the fourth host: the idle one goes
                return set(gates.hosts)

    assert asyncio.run(run()) == {"http://paused", "http://busy", "http://new"}


def test_expired_robots_rules_are_forgotten_past_the_limit(monkeypatch):
    monkeypatch.setattr(polite, "MAX_HOSTS", 2)
    robots = RobotsCache("newsflow/0.1")
    robots.remember("http://a", 200, "User-agent: *\nDisallow: /x\n")
    robots.cache["http://a"] = (0.0, robots.cache["http://a"][1])  # expired long ago
    robots.remember("http://b", 404, "")
    robots.remember("http://c", 404, "")
    assert set(robots.cache) == {"http://b", "http://c"}
