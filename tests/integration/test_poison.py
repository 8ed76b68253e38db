"""Poison of any shape is dead-lettered at once, with its reason, and never holds good entries back.
The index worker on a real redis-server and real stores."""

from __future__ import annotations

import json

import pytest

from newsflow.index.worker import IndexHandler
from newsflow.schemas import EnrichedArticle, utcnow
from newsflow.streams import encode_event, ensure_groups
from tests.integration.test_workers import _at_least, dead_letters, empty_store_url, running, wait_for

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


def article(i: int, title: str | None = None) -> EnrichedArticle:
    return EnrichedArticle(
        id=f"g{i}",
        url=f"https://e.com/{i}",
        canonical_url=f"https://e.com/{i}",
        title=title or f"Story {i}",
        text="Bamako text",
        fetched_at=utcnow(),
        enriched_at=utcnow(),
    )


async def test_poison_of_every_shape_is_dead_lettered_at_once_with_its_reason(settings, redis):
    good = encode_event(article(1))
    deep = "[" * 100_000 + "]" * 100_000
    entries = {
        "deep": {"id": "deep", "schema": good["schema"], "json": deep},
        "future-schema": {**good, "id": "future-schema", "schema": "enriched-article/99"},
        "future-version": {
            "id": "future-version",
            "json": json.dumps({**json.loads(good["json"]), "id": "future-version", "schema_version": 7}),
        },
    }
    s = settings.model_copy(update={"store_url": f"sqlite:///{settings.data_dir / 'p.db'}"})
    await ensure_groups(redis, s)
    for fields in entries.values():
        await redis.xadd(s.stream_enriched, fields)
    async with running(IndexHandler(s), s):
        letters = await wait_for(lambda: _at_least(dead_letters(redis, s), 3), timeout=20)
    reasons = {d["article_id"]: d["reason"] for d in letters}
    assert "RecursionError" in reasons["deep"] or "recursion" in reasons["deep"].lower()
    assert "unsupported schema 'enriched-article/99'" in reasons["future-schema"]
    assert "unsupported schema_version '7'" in reasons["future-version"]
    assert all(d["attempts"] == "1" for d in letters), letters  # at once, not after retries
    assert (await redis.xinfo_groups(s.stream_enriched))[0]["pending"] == 0
    # The entry is kept once, in `payload`, whole: 200,000 characters are not stored twice.
    sizes = {d["article_id"]: sum(len(v) for v in d.values()) for d in letters}
    assert 200_000 < sizes["deep"] < 201_000
    assert json.loads(next(d for d in letters if d["article_id"] == "deep")["payload"])["json"] == deep


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_a_poison_entry_that_fails_its_whole_batch_does_not_delay_the_others(
    settings, redis, request, backend
):
    from newsflow.search.store import open_store

    url = empty_store_url(backend, settings, request)
    # The claim idle time is a minute: a good entry held back with the batch would wait that long.
    s = settings.model_copy(update={"store_url": url, "index_batch_size": 100, "claim_idle_ms": 60_000})
    await ensure_groups(redis, s)
    async with redis.pipeline(transaction=False) as pipe:
        for i in range(60):
            fields = encode_event(article(i))
            if i == 30:  # valid JSON, a valid article; no database can store a lone surrogate
                fields["json"] = fields["json"].replace("Story 30", "Story \\ud800")
            pipe.xadd(s.stream_enriched, fields)
        await pipe.execute()
    store = open_store(url)
    try:
        async with running(IndexHandler(s), s):

            async def good_ones_stored():
                return store.count() == 59

            await wait_for(good_ones_stored, timeout=20)
            letters = await wait_for(lambda: _at_least(dead_letters(redis, s), 1), timeout=20)
        assert [d["article_id"] for d in letters] == ["g30"] and "surrogate" in letters[0]["reason"]
    finally:
        store.close()
