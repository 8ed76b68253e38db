"""An SQLite store written by an earlier version is upgraded in place on open, its articles kept."""

from __future__ import annotations

import sqlite3

from newsflow.search.query import SearchQuery
from newsflow.search.sqlite import SqliteStore
from newsflow.search.sqlite.migrations import MIGRATIONS
from newsflow.search.store import article_tags
from tests.integration.test_store_contract import ARTICLES


def _write_version_3(path: str) -> None:
    """The layout of migration 3: the document in `articles`, tags as text rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:3]:
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    for rowid, a in enumerate(ARTICLES, start=1):
        sort_at = a.published_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        conn.execute(
            "INSERT INTO articles (rowid, id, doc, site_name, language, published_at, sort_at, first_seen_at,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                rowid,
                a.id,
                a.model_dump_json(exclude={"text"}),
                a.site_name,
                a.language,
                sort_at,
                sort_at,
                "2020-01-01T00:00:00Z",
                sort_at,
            ),
        )
        conn.execute("INSERT INTO articles_fts (rowid, title, text) VALUES (?,?,?)", (rowid, a.title, a.text))
        conn.executemany(
            "INSERT INTO article_tags (article, kind, key, value) VALUES (?,?,?,?)",
            [(rowid, *tag) for tag in article_tags(a)],
        )
    conn.close()


def test_a_version_3_file_is_upgraded_with_its_articles(tmp_path):
    path = str(tmp_path / "old.db")
    _write_version_3(path)
    store = SqliteStore(path)
    try:
        assert store._conn().execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert store.count() == len(ARTICLES)
        assert store.get("a3").text == ARTICLES[2].text
        page = store.search(SearchQuery(q="Wagner", organization="Wagner Group", facets=True))
        assert sorted(a.id for a in page.results) == ["a1", "a3"]
        assert page.facets["organization"] == {"Wagner Group": 2, "AFP": 1}
        # New articles reuse the tags the upgrade put in the dictionary.
        store.upsert([ARTICLES[0].model_copy(update={"id": "a9"})])
        assert store.search(SearchQuery(organization="AFP")).total == 2
        first_seen = store._conn().execute("SELECT first_seen_at FROM articles WHERE id='a1'").fetchone()[0]
        store.upsert([ARTICLES[0]])
        assert (
            store._conn().execute("SELECT first_seen_at FROM articles WHERE id='a1'").fetchone()[0]
            == first_seen
        )
    finally:
        store.close()
