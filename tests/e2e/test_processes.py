"""Several enrich processes under one `newsflow up`: each a consumer of the one group, every article
enriched and indexed once."""

from __future__ import annotations

import json
import time

import pytest
import redis

from newsflow.cli.pageserver import PageServer
from tests.e2e.running import run, search_json, stack_env, start_up, stop
from tests.faults.conftest import _Handler as StoryPages

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


def test_two_enrich_processes_share_the_group_and_each_article_is_indexed_once(tmp_path):
    pages = PageServer(handler=StoryPages)
    pages.start()
    # Redis (7.0) adds a consumer to the group only when a read returns entries, so each process must
    # be handed some. One entry per read, and 16 stories pushed at once: with three pages pushed one by
    # one, a single process took all three, one at a time, leaving the other ready but never listed
    # (seen three times in CI).
    env = stack_env(tmp_path, NEWSFLOW_ENRICH_PROCESSES="2", NEWSFLOW_BATCH_SIZE="1")
    proc, info = start_up(env, tmp_path)
    try:
        # Both join the group once their models are loaded (the API answers before).
        deadline, workers = time.monotonic() + 90, {}
        while time.monotonic() < deadline and workers.get("enrich", 0) < 2:
            workers = json.loads(run(env, "status", "--json").stdout)["workers"]
            time.sleep(0.5)
        assert workers["enrich"] == 2
        client = redis.Redis.from_url(info["redis_url"], decode_responses=True)

        pushed = run(env, "push", *(pages.url(f"story/{n}") for n in range(16)))
        assert pushed.returncode == 0, pushed.stderr
        ids = [line.split()[1] for line in pushed.stdout.splitlines()]
        assert len(set(ids)) == 16
        deadline, found = time.monotonic() + 120, {}
        while time.monotonic() < deadline and len(found) < len(ids):
            found = {a["id"]: a for a in search_json(env, "--limit", "50") if a["id"] in ids}
            time.sleep(0.5)
        assert set(found) == set(ids)
        # Each article was enriched once: one entry per id on the enriched stream, nothing pending.
        enriched = [f.get("id") for _, f in client.xrange("news.enriched")]
        assert sorted(i for i in enriched if i in ids) == sorted(ids)
        assert client.xpending("news.articles", "enrich")["pending"] == 0
        # Two readers in the group (each process also has its reclaimer, named "<consumer>-reclaim"); each
        # joined as it started.
        deadline, readers = time.monotonic() + 60, set()
        while time.monotonic() < deadline:
            readers = {c["name"] for c in client.xinfo_consumers("news.articles", "enrich")}
            if len({r for r in readers if not r.endswith("-reclaim")}) == 2:
                break
            time.sleep(0.5)
        assert len({r for r in readers if not r.endswith("-reclaim")}) == 2, readers
        client.close()
    finally:
        stop(proc)
        pages.stop()
