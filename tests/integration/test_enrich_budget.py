"""One article's enrichment has a time budget: past it, the entry is dead-lettered with that reason and the
worker process exits (the model's call cannot be interrupted) for its supervisor to start a fresh one,
which goes on with the next article. A real enrich worker process on a real redis-server."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from newsflow.runtime import EXIT_OVERRAN
from newsflow.schemas import Article, EnrichedArticle, utcnow
from newsflow.streams import decode_fields, encode_event, ensure_groups, parse_event
from tests.integration.test_dlq import env_of
from tests.integration.test_workers import dead_letters, wait_for

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


def article(i: int, text: str) -> Article:
    return Article(
        id=f"budget-{i}",
        url=f"https://e.com/{i}",
        canonical_url=f"https://e.com/{i}",
        text=text,
        fetched_at=utcnow(),
    )


def start_worker(settings, tmp_path, name: str, **extra) -> tuple[subprocess.Popen[bytes], object]:
    log = (tmp_path / f"{name}.log").open("wb")
    env = env_of(settings, consumer_name=name, **extra)
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsflow.cli", "worker", "enrich"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return proc, log


async def test_an_article_past_its_budget_is_dead_lettered_and_the_worker_is_replaced(
    settings, redis, tmp_path
):
    await ensure_groups(redis, settings)
    # About twenty seconds of spaCy on one core, with the text limit lifted: far past a 1 s budget.
    long_text = "President Joe Biden met officials of the Wagner Group in Bamako, Mali, on Friday. " * 4_000
    await redis.xadd(settings.stream_articles, encode_event(article(1, long_text)))

    proc, log = start_worker(settings, tmp_path, "first", enrich_budget_s=1, enrich_max_chars=1_000_000)
    started = time.monotonic()
    try:
        code = proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    took = time.monotonic() - started
    output = (tmp_path / "first.log").read_text()
    assert code == EXIT_OVERRAN, output[-2000:]
    assert "worker_exits_after_overrun" in output
    letters = await dead_letters(redis, settings)
    assert [(d["article_id"], d["stage"]) for d in letters] == [("budget-1", "enrich")]
    assert "longer than its budget of 1 s" in letters[0]["reason"]
    pending = await redis.xpending(settings.stream_articles, "enrich")
    assert pending["pending"] == 0  # acknowledged with its dead letter: not handled again
    print(f"overran worker exited {took:.1f} s after its start (model load included)")

    # A fresh worker, as `newsflow up` or compose starts one, enriches the next article.
    await redis.xadd(
        settings.stream_articles,
        encode_event(article(2, "Soldiers arrived in Bamako on Friday, officials in Mali said.")),
    )
    proc, log = start_worker(settings, tmp_path, "second")
    try:

        async def enriched():
            return await redis.xlen(settings.stream_enriched) == 1

        await wait_for(enriched, timeout=120)
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    [(_, fields)] = await redis.xrange(settings.stream_enriched)
    out = parse_event(decode_fields(fields), EnrichedArticle)
    assert out.id == "budget-2" and "Bamako" in {p.name for p in out.places}
