"""A PostgreSQL store written by an earlier version is upgraded in place on start, its articles kept."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from newsflow.search.postgres import MIGRATIONS, PostgresStore
from newsflow.search.query import SearchQuery
from newsflow.search.store import article_tags
from tests.integration.test_store_contract import ARTICLES

pytestmark = pytest.mark.postgres


@pytest.fixture
def old_database(postgres_url):
    """A database at migration 1: tags as rows of `article_tags`, no `facet_tags`, no `tag_names`."""
    admin_url = postgres_url.rsplit("/", 1)[0] + "/postgres"
    name = f"newsflow_upgrade_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE newsflow_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute(MIGRATIONS[0])
        conn.execute("INSERT INTO newsflow_migrations (version) VALUES (1)")
        for a in ARTICLES:
            tags = article_tags(a)
            seq = conn.execute(
                "INSERT INTO articles (id, doc, title, body, site_name, language, published_at, sort_at, first_seen_at,"
                " updated_at, tags) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING seq",
                (
                    a.id,
                    Jsonb(a.model_dump(mode="json", exclude={"text"})),
                    a.title,
                    a.text,
                    a.site_name,
                    a.language,
                    a.published_at,
                    a.published_at,
                    a.published_at,
                    a.published_at,
                    [f"{kind}:{key}" for kind, key, _ in tags],
                ),
            ).fetchone()[0]
            for kind, key, value in tags:
                conn.execute(
                    "INSERT INTO article_tags (article, kind, key, value) VALUES (%s,%s,%s,%s)",
                    (seq, kind, key, value),
                )
    yield url
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_a_migration_1_database_is_upgraded_with_its_articles(old_database):
    store = PostgresStore(old_database)
    try:
        assert store.count() == len(ARTICLES)
        page = store.search(SearchQuery(q="Wagner", facets=True))
        assert sorted(a.id for a in page.results) == ["a1", "a3"]
        assert page.facets["organization"] == {"Wagner Group": 2, "AFP": 1}
        assert page.facets["country"] == {"ML": 2, "RU": 1}
        store.upsert([ARTICLES[0].model_copy(update={"id": "a9"})])
        assert store.search(SearchQuery(organization="AFP", facets=True)).facets["organization"]["AFP"] == 2
        # Migration 3: the tsvectors moved to article_text, one per article, with the text index.
        assert sorted(a.id for a in store.search(SearchQuery(q='"Wagner mercenaries"')).results) == [
            "a1",
            "a9",
        ]
        with store.pool.connection() as conn:
            assert conn.execute("SELECT count(*) FROM article_text").fetchone()[0] == len(ARTICLES) + 1
            assert (
                conn.execute(
                    "SELECT count(*) FROM information_schema.columns"
                    " WHERE table_name = 'articles' AND column_name = 'tsv'"
                ).fetchone()[0]
                == 0
            )
            # Migration 4: the counted kinds' tags of the articles already there, each with its date.
            assert (
                conn.execute(
                    "SELECT count(DISTINCT article) FROM article_facet_tags"
                    " WHERE tag = 'organization:wagner group'"
                ).fetchone()[0]
                == 3
            )
        page = store.search(SearchQuery(organization="Wagner Group", sort="date"))
        assert (page.total, [a.id for a in page.results]) == (3, ["a3", "a9", "a1"])  # a9: a1 again, later
        # Migration 5: a body long enough to be compressed is compressed with lz4 (this server has it).
        long_text = " ".join(
            f"Paragraph {i} on the junta in Bamako and the Wagner Group." for i in range(300)
        )
        store.upsert([ARTICLES[0].model_copy(update={"id": "a10", "text": long_text})])
        with store.pool.connection() as conn:
            assert (
                conn.execute("SELECT pg_column_compression(body) FROM articles WHERE id = 'a10'").fetchone()[
                    0
                ]
                == "lz4"
            )
        assert store.get("a10").text == long_text
    finally:
        store.close()
    # Started again: nothing left to migrate, nothing lost.
    again = PostgresStore(old_database)
    try:
        assert again.count() == len(ARTICLES) + 2
    finally:
        again.close()
