"""A SQLite store on a full disk says so, not "cannot rollback - no transaction is active"."""

from __future__ import annotations

import sqlite3

import pytest

from newsflow.schemas import EnrichedArticle, utcnow
from newsflow.search.store import open_store


def test_a_full_disk_is_reported_as_such_and_the_store_stays_usable(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'full.db'}")
    conn = store._conn()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 20}")  # the disk fills after about 80 KB more
    articles = [
        EnrichedArticle(
            id=f"a{i}",
            url=f"https://e.com/{i}",
            canonical_url=f"https://e.com/{i}",
            text=f"story {i} " * 2000,
            fetched_at=utcnow(),
            enriched_at=utcnow(),
        )
        for i in range(40)
    ]
    with pytest.raises(sqlite3.OperationalError, match="full"):
        store.upsert(articles)
    assert store.count() == 0  # nothing half-written
    store.upsert(articles[:1])  # what fits still goes in
    assert store.count() == 1
    store.close()
