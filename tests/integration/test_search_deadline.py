"""A PostgreSQL search's statements share one deadline: statements run one after another on a connection,
or on another connection after a wait for it, get what is left of it, not a statement_timeout each."""

from __future__ import annotations

import time

import psycopg
import pytest

from newsflow.search.query import SearchQuery, SearchTimeout
from newsflow.search.store import open_store

pytestmark = [pytest.mark.postgres]


def test_the_count_after_the_page_gets_only_what_is_left(postgres_url):
    store = open_store(postgres_url, search_timeout_s=5)
    try:
        with pytest.raises(SearchTimeout):
            store._count("articles a", [], time.monotonic() - 0.01)
        assert store._count("articles a", [], time.monotonic() + 5) >= 0
        # The connection keeps the search limit for the next search.
        with store.search_pool.connection() as conn:
            assert conn.execute("SHOW statement_timeout").fetchone()[0] == "5s"
    finally:
        store.close()


def test_statements_one_after_another_are_stopped_at_the_deadline(postgres_url):
    """Four statements of 0.6 s each pass a 1 s statement_timeout one by one (2.4 s in all); under one
    1 s deadline the third is cancelled."""
    store = open_store(postgres_url, search_timeout_s=1)
    try:
        started = time.monotonic()
        ran = 0
        with pytest.raises(psycopg.errors.QueryCanceled):
            with store._connection(started + 1) as conn:
                for _ in range(4):
                    conn.execute("SELECT pg_sleep(0.6)")
                    ran += 1
        took = time.monotonic() - started
        assert ran == 1 and took < 2.0, (ran, took)
        # The cancelled connection is not handed to the next search; the store searches on.
        assert store.search(SearchQuery(q="mali")).total >= 0
        with store._connection(time.monotonic() + 1) as conn:
            assert conn.execute("SELECT 1").fetchone()[0] == 1
            assert conn.execute("SHOW statement_timeout").fetchone()[0] == "1s"
    finally:
        store.close()


def test_a_search_waiting_for_a_connection_waits_only_what_is_left(postgres_url):
    store = open_store(postgres_url, search_timeout_s=1)
    pool = store.search_pool
    held = [pool.getconn() for _ in range(pool.max_size)]  # every search connection busy
    try:
        started = time.monotonic()
        with pytest.raises(SearchTimeout):
            store.search(SearchQuery(q="mali", facets=True))
        assert time.monotonic() - started < 1.8
    finally:
        for conn in held:
            pool.putconn(conn)
        store.close()
