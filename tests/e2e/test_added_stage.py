"""A stage added with a folder and one declaration line runs end to end beside the three of ours.

`newsflow up` with NEWSFLOW_PIPELINE naming the toy declaration (tests/toystage) starts the toy worker,
a real redis-server carries its input and output, and status and trace know the stage, with no other
change anywhere.
"""

from __future__ import annotations

import json
import time

import pytest
import redis

from newsflow.cli.pageserver import PageServer
from tests.conftest import PAGES, REPO
from tests.e2e.running import run, stack_env, start_up, stop, wait_search

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


def test_a_declared_fourth_stage_runs_end_to_end(tmp_path):
    pages = PageServer(PAGES)
    pages.start()
    # PYTHONPATH: the toy stage's folder is importable by every process `up` starts, as an installed
    # part would be.
    env = stack_env(tmp_path, NEWSFLOW_PIPELINE="tests.toystage:PIPELINE", PYTHONPATH=str(REPO))
    proc, info = start_up(env, tmp_path)
    try:
        url = pages.url("dw-mali-russia.html")
        pushed = run(env, "push", url)
        assert pushed.returncode == 0, pushed.stderr
        article_id = pushed.stdout.split()[1]
        article = next(a for a in wait_search(env, "Timbuktu") if a["id"] == article_id)

        # The toy stage read the enriched article and published its count on its own stream.
        client = redis.Redis.from_url(info["redis_url"], decode_responses=True)
        deadline, counts = time.monotonic() + 60, []
        while time.monotonic() < deadline and not counts:
            counts = [f for _, f in client.xrange("news.counts") if f.get("id") == article_id]
            time.sleep(0.2)
        assert counts, "nothing on news.counts"
        count = json.loads(counts[0]["json"])
        assert count["words"] == len(article["text"].split()) and count["title"] == article["title"]
        assert client.xinfo_groups("news.enriched")[1]["name"] == "wordcount"

        status = json.loads(run(env, "status", "--json").stdout)
        assert status["workers"]["wordcount"] == 1
        # Another terminal that names no pipeline learns it from the running stack (stack.json).
        plain = {k: v for k, v in env.items() if k != "NEWSFLOW_PIPELINE"}
        assert "news.counts" in json.loads(run(plain, "status", "--json").stdout)["streams"]
        assert "news.counts" in status["streams"]
        assert status["streams"]["news.enriched"]["groups"]["wordcount"]["pending"] == 0
        traced = json.loads(run(env, "trace", article_id, "--json").stdout)
        assert [s["step"] for s in traced["steps"]][-1] in ("counted", "indexed")
        assert {"counted", "indexed"} <= {s["step"] for s in traced["steps"]}
        assert traced["state"] == "indexed"
        client.close()
    finally:
        stop(proc)
        pages.stop()
