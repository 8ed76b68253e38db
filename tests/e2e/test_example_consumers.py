"""The example consumers of examples/ (Python with redis-py, Node.js with the `redis` package), run as a
downstream team runs them against a `newsflow up`: killed mid-stream and restarted, they lose no event
and duplicate none, and they skip entries that are not enriched articles."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from newsflow.cli.pageserver import PageServer
from tests.conftest import _missing
from tests.e2e.running import stack_env, start_up, stop
from tests.faults.conftest import _Handler as StoryPages

pytestmark = [pytest.mark.e2e, pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCHEMA = ROOT / "schema" / "enriched-article.v1.json"
STORIES = 12


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("consumers")
    env = stack_env(data_dir)
    proc, info = start_up(env, data_dir)
    r = redis.Redis.from_url(info["redis_url"], decode_responses=True)
    try:
        with PageServer(handler=StoryPages) as pages:
            for i in range(STORIES):
                r.xadd("news.urls", {"url": pages.url(f"story/{i}")})
            deadline = time.monotonic() + 180
            while len(_article_ids(r)) < STORIES:
                assert time.monotonic() < deadline, "the stories were not all enriched in time"
                time.sleep(0.5)
        ids = _article_ids(r)
        # What a consumer meets besides articles: an entry of another producer, and a broken one.
        r.xadd("news.enriched", {"note": "not an article"})
        r.xadd("news.enriched", {"id": "broken", "schema": "enriched-article/1", "json": "{not json"})
        yield {"redis": r, "url": info["redis_url"], "ids": ids}
    finally:
        stop(proc)


def _article_ids(r: redis.Redis) -> set[str]:
    return {f["id"] for _, f in r.xrange("news.enriched") if f.get("schema") == "enriched-article/1"}


@pytest.fixture(scope="module")
def node_example() -> Path:
    """examples/consumer.mjs with its packages, installed once into the user's cache."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _missing("Node.js and npm are needed for the Node.js example consumer")
    manifest = (EXAMPLES / "package.json").read_text()
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsflow" / "consumer-example"
    cache.mkdir(parents=True, exist_ok=True)
    if not (cache / "package.json").exists() or (cache / "package.json").read_text() != manifest:
        (cache / "package.json").write_text(manifest)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=cache, check=True, timeout=600
        )
    shutil.copy(EXAMPLES / "consumer.mjs", cache / "consumer.mjs")
    return cache


def _command(language: str, node_dir: Path | None) -> list[str]:
    if language == "python":
        return [sys.executable, str(EXAMPLES / "consumer.py"), "--schema", str(SCHEMA)]
    assert node_dir is not None
    return ["node", str(node_dir / "consumer.mjs"), "--schema", str(SCHEMA)]


def _lines(sink: Path) -> list[dict]:
    return (
        [json.loads(line) for line in sink.read_text().splitlines() if line.strip()] if sink.exists() else []
    )


@pytest.mark.parametrize("language", ["python", "node"])
def test_a_killed_and_restarted_consumer_loses_and_duplicates_nothing(stack, language, tmp_path, request):
    node_dir = request.getfixturevalue("node_example") if language == "node" else None
    command = _command(language, node_dir)
    group, sink = f"team-{language}", tmp_path / "articles.jsonl"
    env = {**os.environ, "REDIS_URL": stack["url"]}
    args = ["--group", group, "--consumer", "worker-1", "--out", str(sink)]

    # Slow work per article, so the kill lands mid-stream with entries read but not acknowledged.
    first = subprocess.Popen([*command, *args, "--delay", "0.7"], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(_lines(sink)) < 3:
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        assert time.monotonic() < deadline, "the consumer wrote nothing"
        time.sleep(0.1)
    first.kill()
    first.wait()
    written = len(_lines(sink))
    assert 3 <= written < STORIES
    assert stack["redis"].xpending("news.enriched", group)["pending"] > 0  # read, not acknowledged

    second = subprocess.run(
        [*command, *args, "--idle-exit", "3"], env=env, capture_output=True, text=True, timeout=180
    )
    assert second.returncode == 0, second.stderr
    ids = [line["id"] for line in _lines(sink)]
    assert len(ids) == len(set(ids))  # nothing twice
    assert set(ids) == stack["ids"] and len(ids) == STORIES  # nothing lost
    # The foreign and the broken entry were skipped, and said so; every entry is acknowledged.
    assert second.stderr.count("skipped") == 2, second.stderr
    assert stack["redis"].xpending("news.enriched", group)["pending"] == 0
