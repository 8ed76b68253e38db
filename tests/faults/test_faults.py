"""Fault injection against real processes: SIGKILLed and SIGTERMed workers, a restarted redis-server,
poison entries on every stream, and a page server that hangs. Every URL must end up indexed or
dead-lettered, exactly once, with the counts `newsflow status --json` reports."""

from __future__ import annotations

import os
import random
import threading
import time

import pytest

from tests.faults.conftest import STAGES, ids_of

pytestmark = [pytest.mark.faults, pytest.mark.redis]


def summary(name: str, **counts: object) -> None:
    # Printed for the record (pytest -s shows it): the issue note quotes these lines.
    print(f"\n[faults] {name}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


def url_mix(pages, n: int) -> tuple[list[str], list[str]]:
    """n distinct URLs: mostly stories, with 404s and non-HTML pages that must be dead-lettered."""
    good, bad = [], []
    for i in range(n):
        if i % 25 == 7:
            bad.append(pages.url(f"gone/{i}"))
        elif i % 50 == 11:
            bad.append(pages.url(f"feed/{i}"))
        else:
            good.append(pages.url(f"story/{i}"))
    return good, bad


def test_sigkilled_workers_lose_nothing(pipeline, pages):
    seed = int(os.environ.get("NEWSFLOW_FAULTS_SEED") or time.time_ns() % 100_000)
    rng = random.Random(seed)
    good, bad = url_mix(pages, 1000)
    pipeline.start_all()
    started = time.monotonic()
    urls = good + bad
    rng.shuffle(urls)

    def steady_push() -> None:  # 50 URLs a second for 20 s, so every stage has work in hand when killed
        for i in range(0, len(urls), 25):
            pipeline.push(urls[i : i + 25])
            time.sleep(0.5)

    pusher = threading.Thread(target=steady_push)
    pusher.start()

    # Three SIGKILLs per stage at random moments, each followed by a restart, while the URLs flow.
    plan = [s for s in STAGES for _ in range(3)]
    rng.shuffle(plan)
    next_kill = time.monotonic() + rng.uniform(1, 4)

    def chaos() -> None:
        nonlocal next_kill
        if plan and time.monotonic() >= next_kill:
            stage = plan.pop()
            pipeline.kill(stage)
            pipeline.start(stage)
            next_kill = time.monotonic() + rng.uniform(1.5, 5)

    while plan:
        chaos()
        time.sleep(0.1)
    pusher.join()
    pipeline.wait_drained(timeout=240)
    elapsed = time.monotonic() - started

    status = pipeline.status()
    letters = pipeline.dead_letters()
    stored = pipeline.stored_ids(ids_of(good))
    summary(
        "sigkill",
        seed=seed,
        urls=len(urls),
        kills=pipeline.kills,
        redelivered=pipeline.redeliveries(),
        seconds=round(elapsed, 1),
        store_articles=status["store"]["articles"],
        dead_letters=status["dead_letters"],
    )
    assert len(stored) == len(good)  # every good story is in the store...
    assert status["store"]["articles"] == len(good)  # ...once, and nothing else is
    assert status["dead_letters"] == len(letters) == len(bad)  # each bad URL dead-lettered once
    assert sorted(d["url"] for d in letters) == sorted(bad)
    assert {d["reason"].split(":")[0] for d in letters} <= {"HTTP 404", "not HTML"}
    assert all(n == 3 for n in pipeline.kills.values())
    pipeline.assert_alive()

    # Dead consumers (one pair per killed process) are removed once their entries were reclaimed, and
    # the streams were trimmed as the groups acknowledged them.
    client = pipeline.redis()
    # A killed worker's heartbeat outlives it by up to its 30 s TTL; its consumers stay until then.
    deadline = time.monotonic() + 75
    while True:
        consumers = {
            s: len(client.xinfo_consumers(f, s))
            for s, f in zip(STAGES, ("news.urls", "news.articles", "news.enriched"), strict=True)
        }
        if all(n <= 2 for n in consumers.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert all(n <= 2 for n in consumers.values()), consumers
    assert client.xlen("news.urls") < len(urls) // 2
    client.close()


def test_redis_restart_mid_run_loses_nothing(pipeline, pages):
    good = [pages.url(f"story/{i}") for i in range(2000, 2300)]
    pipeline.start_all()
    pids = {s: p.pid for s, p in pipeline.workers.procs.items()}
    pipeline.push(good)
    deadline = time.monotonic() + 120
    while (pipeline.status()["store"]["articles"] or 0) < 30:
        assert time.monotonic() < deadline, pipeline.logs()
        time.sleep(0.2)
    restarted_at = pipeline.status()["store"]["articles"]
    pipeline.restart_redis()  # SIGTERM (AOF flushed), then the same port and files
    pipeline.wait_drained(timeout=180)
    status = pipeline.status()
    summary(
        "redis-restart",
        urls=len(good),
        indexed_before_restart=restarted_at,
        store_articles=status["store"]["articles"],
        dead_letters=status["dead_letters"],
    )
    assert status["store"]["articles"] == len(good) and status["dead_letters"] == 0
    assert len(pipeline.stored_ids(ids_of(good))) == len(good)
    pipeline.assert_alive()
    assert {s: p.pid for s, p in pipeline.workers.procs.items()} == pids  # the same workers reconnected


POISON = {
    "news.urls": [
        {"foo": "bar"},
        {"url": "not a url"},
        {"url": "ftp://example.com/x"},
        {"json": "[1, 2]"},
        {"url": "https://example.com/" + "a" * 3000},
        {"__data__": b"\x89\xff\xfe garbage"},
        {"json": "{not json"},
        {"url": b"https://example.com/\xff\xfe"},
    ],
    "news.articles": [
        {"id": "x", "json": "{not json"},
        {"id": "x"},
        {"json": '{"id": 1}'},
        {"json": "[]"},
        {"__data__": b"\xff\xfe"},
        {"id": "y", "json": '{"title": "no id, no url"}'},
        {"id": b"\xff", "json": b'{"id": "\xff\xfe"}'},
    ],
    "news.enriched": [
        {"id": "x", "json": "{not json"},
        {"id": "x"},
        {"json": '{"id": 1}'},
        {"json": "[]"},
        {"__data__": b"\xff\xfe"},
        {"id": "y", "json": '{"id": "y", "url": "https://e.com/"}'},
        {"id": b"\xff", "json": b"\xff\xfe"},
    ],
}


def test_poison_entries_on_every_stream_are_dead_lettered_and_workers_go_on(pipeline, pages):
    pipeline.start_all()
    client = pipeline.redis()
    with client.pipeline(transaction=False) as pipe:
        for stream, kinds in POISON.items():
            for i in range(100):
                pipe.xadd(stream, kinds[i % len(kinds)])
        pipe.execute()
    good = [pages.url("story/5"), pages.url("story/6")]
    pipeline.push(good)
    pipeline.wait_drained(timeout=120)
    letters = pipeline.dead_letters()
    by_stage = {s: sum(d["stage"] == s for d in letters) for s in STAGES}
    status = pipeline.status()
    summary(
        "poison",
        written=300,
        dead_letters=status["dead_letters"],
        by_stage=by_stage,
        store_articles=status["store"]["articles"],
    )
    assert by_stage == {"ingest": 100, "enrich": 100, "index": 100}
    assert all(d["error"] == "Quarantine" and d["attempts"] == "1" for d in letters)  # at once, no retries
    assert status["store"]["articles"] == 2 and len(pipeline.stored_ids(ids_of(good))) == 2
    pipeline.assert_alive()
    client.close()


@pytest.mark.pipeline_settings(max_deliveries=3)
def test_a_hanging_page_server_times_out_is_retried_then_dead_lettered(pipeline, pages):
    pipeline.start_all()
    hanging = [pages.url("hang/1"), pages.url("drip/1")]
    pipeline.push([*hanging, pages.url("story/7")])
    pipeline.wait_drained(timeout=90)
    letters = pipeline.dead_letters()
    summary(
        "hanging", dead_letters=[(d["url"].rsplit("/", 2)[-2], d["attempts"], d["reason"]) for d in letters]
    )
    assert sorted(d["url"] for d in letters) == sorted(hanging)
    for d in letters:
        assert d["error"] == "Requeue" and d["attempts"] == "3"
        assert "timeout" in d["reason"] or "no complete response within 1.5s" in d["reason"]
        assert d["first_attempt_at"] < d["last_attempt_at"]
    assert pipeline.status()["store"]["articles"] == 1  # the good story went through meanwhile
    pipeline.assert_alive()


def _ingest_only(pipeline) -> None:
    pipeline.start_redis()
    pipeline.start("ingest")
    deadline = time.monotonic() + 60
    while not pipeline.redis().keys("newsflow:worker:ingest:*"):
        pipeline.assert_alive()
        assert time.monotonic() < deadline, pipeline.logs()
        time.sleep(0.1)


@pytest.mark.pipeline_settings(fetch_read_timeout=10, fetch_total_timeout=10, claim_idle_ms=12_000)
def test_sigterm_lets_in_flight_work_finish(pipeline, pages):
    _ingest_only(pipeline)
    pipeline.push([pages.url(f"slow/{i}") for i in range(3)])  # each takes 3 s to answer
    time.sleep(1)
    started = time.monotonic()
    assert pipeline.stop("ingest") == 0
    client = pipeline.redis()
    summary(
        "sigterm-graceful",
        exit_after_s=round(time.monotonic() - started, 1),
        articles=client.xlen("news.articles"),
    )
    assert client.xlen("news.articles") == 3
    assert client.xinfo_groups("news.urls")[0]["pending"] == 0
    client.close()


@pytest.mark.pipeline_settings(
    graceful_timeout=0.5, fetch_read_timeout=10, fetch_total_timeout=10, claim_idle_ms=5000
)
def test_sigterm_past_the_graceful_timeout_leaves_work_pending_not_half_done(pipeline, pages):
    _ingest_only(pipeline)
    pipeline.push([pages.url(f"slow/{i}") for i in range(3)])
    time.sleep(1)
    assert pipeline.stop("ingest") == 0
    client = pipeline.redis()
    pending = client.xinfo_groups("news.urls")[0]["pending"]
    published = client.xlen("news.articles")
    # Nothing was published, nothing acknowledged: the three entries wait for the next worker.
    assert (pending, published) == (3, 0)
    pipeline.start("ingest")
    deadline = time.monotonic() + 60
    while client.xinfo_groups("news.urls")[0]["pending"] or client.xlen("news.articles") < 3:
        assert time.monotonic() < deadline, pipeline.logs()
        time.sleep(0.2)
    summary(
        "sigterm-timeout",
        pending_after_stop=pending,
        published_after_stop=published,
        published_after_restart=client.xlen("news.articles"),
    )
    assert client.xlen("news.articles") == 3
    client.close()
