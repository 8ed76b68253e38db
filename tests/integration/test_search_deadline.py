"""A PostgreSQL search's statements share one deadline: the count that runs after the page gets what is
left of it, not a statement_timeout of its own."""

from __future__ import annotations

import time

import pytest

from newsflow.search.query import SearchTimeout
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
