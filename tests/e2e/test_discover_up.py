"""A followed feed under `newsflow up`: its new items reach the store once each, later polls push nothing
new, and the discover worker shows in `status`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import redis

from newsflow.cli.pageserver import PageServer
from newsflow.discover.sources import HISTORY
from newsflow.urls import id_for_url
from tests.e2e.running import run, search_json, stack_env, start_up, stop
from tests.faults.conftest import _Handler, story_html

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

FEED = (Path(__file__).resolve().parent.parent / "fixtures" / "feeds" / "rss2.xml").read_bytes()


class _FeedSite(_Handler):
    """rss2.xml, listing three stories of this server; the stories themselves (their query ignored)."""

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/rss2.xml":
            base = f"http://{self.headers['Host']}".encode()
            return self._send(200, FEED.replace(b"http://news.example", base), "application/rss+xml")
        if path.startswith("/story/"):
            return self._send(200, story_html(int(path.rsplit("/", 1)[1])))
        return self._send(404, b"not here")


def test_a_followed_feed_brings_each_new_story_to_the_store_once(tmp_path):
    pages = PageServer(handler=_FeedSite)
    pages.start()
    env = stack_env(
        tmp_path,
        NEWSFLOW_DISCOVER_INTERVAL_S="1",
        NEWSFLOW_DISCOVER_MIN_INTERVAL_S="1",
        NEWSFLOW_DISCOVER_MAX_INTERVAL_S="2",
        NEWSFLOW_DISCOVER_MAX_AGE_S="0",  # the feed's items are dated December 2026, whatever day it is
    )
    proc, info = start_up(env, tmp_path)
    try:
        status = json.loads(run(env, "status", "--json").stdout)
        assert status["workers"].get("discover") == 1
        added = run(env, "sources", "add", pages.url("rss2.xml"))
        assert added.returncode == 0, added.stderr
        assert f"added: {pages.url('rss2.xml')}" in added.stdout

        ids = {id_for_url(pages.url(f"story/{n}"))[0] for n in (101, 102, 103)}
        deadline, found = time.monotonic() + 120, {}
        while time.monotonic() < deadline and set(found) != ids:
            found = {a["id"]: a for a in search_json(env, "--limit", "50") if a["id"] in ids}
            time.sleep(0.5)
        assert set(found) == ids
        assert {a["feed"] for a in found.values()} == {pages.url("rss2.xml")}  # the article keeps its feed

        # Polled again several times meanwhile: nothing more was pushed.
        deadline, source = time.monotonic() + 30, {}
        while time.monotonic() < deadline and source.get("polls", 0) < 4:
            source = json.loads(run(env, "sources", "list", "--json").stdout.splitlines()[0])
            time.sleep(0.5)
        assert source["polls"] >= 4 and source["pushed"] == 3
        # `new` keeps the last HISTORY polls (a slow machine polls more while the stories are indexed):
        # the first poll's 3 while it is among them, and nothing from every later one.
        first_kept = source["polls"] <= HISTORY
        assert source["new"] == [3] * first_kept + [0] * (len(source["new"]) - first_kept)
        client = redis.Redis.from_url(info["redis_url"], decode_responses=True)
        from_feed = [f for _, f in client.xrange("news.urls") if f.get("source", "").startswith("discover ")]
        assert len(from_feed) == 3
        trace = run(env, "trace", pages.url("story/101"))
        assert f"discover {pages.url('rss2.xml')}" in trace.stdout
    finally:
        stop(proc)
        pages.stop()
