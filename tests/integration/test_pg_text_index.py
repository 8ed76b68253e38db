"""PostgreSQL's two text indexes: RUM (ranks from the index, by its own score) and GIN (core PostgreSQL,
ts_rank_cd) find the same matches, each pages through them in its score's order, a store switches
between them on start, and a refused RUM says why and leaves the store as it was; so does a database
that refuses connections."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from newsflow.search.postgres import TEXT_INDEXES, PostgresStore, StoreUnavailable
from newsflow.search.query import SearchQuery
from tests.integration.test_store_contract import make

pytestmark = pytest.mark.postgres

WORDS = [
    "drought",
    "harvest",
    "cattle",
    "river",
    "market",
    "price",
    "rain",
    "convoy",
    "border",
    "vaccine",
    "school",
    "minister",
    "strike",
    "port",
    "fuel",
    "bridge",
]


def varied_articles(n: int) -> list:
    """Texts of different lengths and word counts, so ranks spread out and also tie."""
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        body = " ".join(rng.choices(WORDS, k=rng.randint(5, 60))) + "."
        title = " ".join(rng.choices(WORDS, k=rng.randint(2, 5)))
        countries = ("ML",) if i % 2 else ("NE",)
        out.append(
            make(
                f"v{i:03d}",
                title,
                body,
                countries=countries,
                published=start + timedelta(hours=rng.randint(0, 2000)),
            )
        )
    return out


QUERIES = [
    {"q": "drought"},
    {"q": "cattle market"},
    {"q": '"cattle market"'},
    {"q": "convoy OR bridge"},
    {"q": "fuel -strike"},
    {"q": 'vaccine "school minister"'},
    {"q": "river", "country": "NE"},
]


def pages(store: PostgresStore, query: dict, limit: int = 7) -> tuple[list[str], int]:
    seen, cursor, total = [], None, None
    while True:
        page = store.search(SearchQuery(**query, limit=limit, cursor=cursor))
        total = page.total if total is None else total
        assert page.total == total
        seen += [a.id for a in page.results]
        if not (cursor := page.next_cursor):
            return seen, total


def expected_order(store: PostgresStore, query: dict) -> list[str]:
    """Every match in the store's score order, ties newest first, computed apart from the index scan."""
    text = store._tsquery(query["q"])
    assert text is not None, "the expected order needs query text"
    tsq, text_params = text
    join, where, params, _ = store._filters(SearchQuery(**query), (tsq, text_params))
    score = f"t.tsv <=> ({tsq})" if store.text_index == "rum" else f"-ts_rank_cd(t.tsv, ({tsq}))"
    with store.pool.connection() as conn:
        conn.execute("SET enable_indexscan = off")  # the score from the stored tsvector, not the index
        rows = conn.execute(
            f"SELECT a.id FROM articles a {join} WHERE {' AND '.join(where)}"
            f" ORDER BY {score}, a.sort_at DESC, a.seq DESC",
            [*params, *text_params],
        ).fetchall()
        conn.execute("RESET enable_indexscan")
    return [r[0] for r in rows]


def indexes(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {
            r[0]
            for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'article_text' AND indexname = ANY(%s)",
                (list(TEXT_INDEXES.values()),),
            )
        }


def search_everything(url: str, text_index: str, load: bool = False) -> list[tuple[list[str], int]]:
    store = PostgresStore(url, text_index=text_index)
    try:
        if load:
            with store.pool.connection() as conn:
                conn.execute("TRUNCATE articles CASCADE")
            store.upsert(varied_articles(240))
        found = [pages(store, q) for q in QUERIES]
        for query, (seen, _) in zip(QUERIES, found, strict=True):
            assert seen == expected_order(store, query), (text_index, query)
        return found
    finally:
        store.close()


def test_rum_and_gin_find_the_same_matches_each_in_its_order_and_the_store_switches(postgres_rum_url):
    on_gin = search_everything(postgres_rum_url, "gin", load=True)
    assert indexes(postgres_rum_url) == {"article_text_gin"}
    on_rum = search_everything(postgres_rum_url, "rum")
    assert indexes(postgres_rum_url) == {"article_text_rum"}
    for query, (gin_ids, gin_total), (rum_ids, rum_total) in zip(QUERIES, on_gin, on_rum, strict=True):
        assert gin_total == rum_total == len(gin_ids) > 0, query
        assert sorted(rum_ids) == sorted(gin_ids), query


@pytest.fixture
def unprivileged_url(postgres_url):
    """A new database owned by a role that may not create the (untrusted) RUM extension."""
    admin_url = postgres_url.rsplit("/", 1)[0] + "/postgres"
    suffix = uuid.uuid4().hex[:10]
    role, name = f"newsflow_plain_{suffix}", f"newsflow_plain_{suffix}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER')
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{role}"')
    url = postgres_url.rsplit("@", 1)[1].rsplit("/", 1)[0]
    yield f"postgresql://{role}@{url}/{name}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_rum_refused_says_why_and_changes_nothing(postgres_rum_url, unprivileged_url):
    store = PostgresStore(unprivileged_url)  # gin, the default
    store.upsert(varied_articles(20))
    store.close()
    with pytest.raises(
        RuntimeError, match="NEWSFLOW_PG_TEXT_INDEX=rum, but CREATE EXTENSION rum was refused"
    ):
        PostgresStore(unprivileged_url, text_index="rum")
    assert indexes(unprivileged_url) == {"article_text_gin"}
    store = PostgresStore(unprivileged_url)
    try:
        assert pages(store, {"q": "drought"})[1] > 0
    finally:
        store.close()


def test_a_database_that_refuses_connections_is_reported_with_the_servers_reason(postgres_url):
    missing = postgres_url.rsplit("/", 1)[0] + f"/newsflow_missing_{uuid.uuid4().hex[:8]}"
    with pytest.raises(StoreUnavailable, match=r"no PostgreSQL connection within 1 s: .*does not exist"):
        PostgresStore(missing, pool_timeout_s=1)
