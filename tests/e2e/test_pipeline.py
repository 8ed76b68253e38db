"""The whole pipeline as a user runs it: `newsflow up` in one terminal, commands in another.

Real processes (redis-server, three workers, the API), a news page served on 127.0.0.1, and the
installed `newsflow` command.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time

import httpx
import pytest

from newsflow.cli.pageserver import PageServer
from tests.conftest import PAGES
from tests.e2e.running import run, search_json, stack_env, start_up, stop, wait_search

pytestmark = [pytest.mark.e2e, pytest.mark.redis]
TOKEN = "e2e-secret"
CHROME = [
    "Skip to content",
    "Top Story",
    "More stories from DW",
    "Kyiv",
    "Kharkiv",
    "Djokovic",
    "cookies",
    "Legal notice",
    "does not support the video",
]


@pytest.fixture(scope="module")
def pages():
    server = PageServer(PAGES)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stack(request, tmp_path_factory):
    """A running `newsflow up`: on the embedded defaults, and with PostgreSQL as the store (as compose runs)."""
    data_dir = tmp_path_factory.mktemp("stack")
    env = stack_env(data_dir, NEWSFLOW_API_TOKEN=TOKEN)
    if request.param == "postgres":
        from newsflow.search.postgres import PostgresStore

        url = request.getfixturevalue("postgres_url")
        store = PostgresStore(url)
        with store.pool.connection() as conn:
            conn.execute("TRUNCATE articles CASCADE")
        store.close()
        env["NEWSFLOW_STORE_URL"] = url
    proc, info = start_up(env, data_dir)
    yield {"env": env, "proc": proc, "info": info, "data_dir": data_dir}
    stop(proc)


def test_pushed_page_is_found_clean_and_geolocated(stack, pages):
    env = stack["env"]
    # Another terminal: no Redis URL given; the command finds the running stack by itself.
    pushed = run(env, "push", pages.url("dw-mali-russia.html"))
    assert pushed.returncode == 0, pushed.stderr
    article_id = pushed.stdout.split()[1]

    hits = wait_search(env, "Timbuktu", "--country", "ML")
    article = next(h for h in hits if h["id"] == article_id)
    assert article["title"] == "Russian military advisers arrive in Mali"
    assert article["published_at"] == "2022-01-07T17:41:00Z"
    for chrome in CHROME:
        assert chrome not in article["text"], chrome
    places = {p["resolved_name"]: p for p in article["places"]}
    for name, lat, lon in (("Mali", 17.0, -4.0), ("Bamako", 12.61, -7.98), ("Timbuktu", 16.77, -3.01)):
        assert abs(places[name]["lat"] - lat) < 0.05 and abs(places[name]["lon"] - lon) < 0.05, name
        assert places[name]["country_code"] == "ML"
    assert article["focus"]["country_code"] == "ML"
    assert {"Wagner Group", "AFP", "Reuters", "Kremlin"} <= set(
        article["organizations"]
    )  # Reuters: credit line
    # The search filters of the CLI.
    assert [h["id"] for h in search_json(env, "--near", "16.77,-3.0,50")] == [article_id]
    assert search_json(env, "--near", "40.4,-3.7,100") == []
    assert [h["id"] for h in search_json(env, "--tag", "Wagner Group")] == [article_id]
    assert search_json(env, "Timbuktu", "--since", "2023-01-01") == []


def test_api_push_search_article_health_metrics(stack, pages):
    api = stack["info"]["api_url"]
    url = pages.url("courier-brazil-floods.html")
    assert httpx.post(api + "/v1/urls", json=[url]).status_code == 401
    r = httpx.post(api + "/v1/urls", json=[url, "ftp://nope"], headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 202, r.text
    body = r.json()
    article_id = body["queued"][0]["id"]
    assert body["rejected"][0]["url"] == "ftp://nope"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        found = httpx.get(api + "/v1/search", params={"q": "Porto Alegre", "country": "BR"}).json()
        if found["results"]:
            break
        time.sleep(0.3)
    assert found["results"][0]["id"] == article_id
    article = httpx.get(api + f"/v1/articles/{article_id}").json()
    assert article["focus"]["country_code"] == "BR"
    assert httpx.get(api + "/v1/articles/nope").status_code == 404
    assert httpx.get(api + "/healthz").json()["redis"] is True
    metrics = httpx.get(api + "/metrics").text
    assert "newsflow_store_articles" in metrics and 'newsflow_stream_length{stream="news.urls"}' in metrics
    assert httpx.get(api + "/openapi.json").json()["paths"]["/v1/search"]


def test_status_tail_and_dead_letters(stack, pages):
    env = stack["env"]
    wait_search(env, "Timbuktu")
    pushed = run(env, "push", pages.url("missing-page.html"))
    assert pushed.returncode == 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = json.loads(run(env, "status", "--json").stdout)
        if status["dead_letters"] >= 1:
            break
        time.sleep(0.3)
    assert status["dead_letters"] == 1
    assert status["store"]["articles"] >= 1
    assert set(status["streams"]) == {"news.urls", "news.articles", "news.enriched"}
    assert status["streams"]["news.urls"]["groups"]["ingest"]["pending"] == 0
    letters = [json.loads(x) for x in run(env, "dlq", "list", "--json").stdout.splitlines()]
    assert letters[0]["reason"] == "HTTP 404" and letters[0]["stage"] == "ingest"

    # "Where did my story go?", from another terminal.
    traced = json.loads(run(env, "trace", pages.url("missing-page.html"), "--json").stdout)
    assert traced["state"] == "dead-lettered" and "HTTP 404" in traced["detail"]
    traced = run(env, "trace", pages.url("dw-mali-russia.html"))
    assert traced.returncode == 0 and "now: indexed" in traced.stdout
    for step in ("pushed", "fetched and extracted", "enriched", "indexed"):
        assert step in traced.stdout

    tailed = run(env, "tail", "--from-start", "--count", "1")
    assert tailed.returncode == 0, tailed.stderr
    first = json.loads(tailed.stdout.splitlines()[0])
    assert first["schema_version"] == 1 and first["places"]


def test_worker_logs_are_json_with_the_article_id(stack):
    events = []
    for line in (stack["data_dir"] / "up.log").read_text().splitlines():
        if line.startswith("{"):
            events.append(json.loads(line))
    handled = [e for e in events if e.get("stage") in ("ingest", "enrich", "index") and "entry_id" in e]
    assert {e["event"] for e in handled} >= {
        "article_extracted",
        "article_enriched",
        "article_indexed",
        "dead_lettered",
    }
    for e in handled:
        assert e.get("article_id"), e


def test_ctrl_c_stops_everything(stack):
    proc, info = stack["proc"], stack["info"]
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("newsflow up did not stop within 60s of Ctrl-C")
    assert proc.returncode == 0
    assert not (stack["data_dir"] / "stack.json").exists()
    import redis

    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(info["redis_url"], socket_connect_timeout=1).ping()
