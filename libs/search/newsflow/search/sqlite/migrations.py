"""The SQLite store's schema: numbered migrations, run on open, each once.

A database records how many it has applied in `PRAGMA user_version`. Add a migration at the end of
MIGRATIONS, never edit one that has shipped: a database written by any earlier version is upgraded in
place by the ones it lacks (tests/integration/test_sqlite_upgrade.py starts from migration 3).
"""

from __future__ import annotations

import sqlite3

MIGRATIONS = [
    """
    CREATE TABLE articles (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        doc TEXT NOT NULL,
        site_name TEXT,
        language TEXT,
        published_at TEXT,
        sort_at TEXT NOT NULL,
        first_seen_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX articles_sort ON articles(sort_at, rowid);
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text, tokenize = 'porter unicode61 remove_diacritics 2'
    );
    INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 8);
    CREATE TABLE article_tags (
        article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL
    );
    CREATE INDEX article_tags_key ON article_tags(kind, key, article);
    CREATE INDEX article_tags_article ON article_tags(article, kind);
    CREATE TABLE article_places (
        article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
        geonameid INTEGER,
        lat REAL NOT NULL,
        lon REAL NOT NULL
    );
    CREATE INDEX article_places_lat ON article_places(lat, lon);
    CREATE INDEX article_places_article ON article_places(article);
    """,
    # Facets read kind, key and value of every hit's tags: a covering index spares a row lookup each.
    """
    DROP INDEX article_tags_article;
    CREATE INDEX article_tags_article ON article_tags(article, kind, key, value);
    """,
    # Tags clustered by article: new articles append at the end of the table instead of landing at
    # random in a rowid table plus a covering index (one B-tree fewer per tag row written).
    """
    CREATE TABLE article_tags_by_article (
        article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (article, kind, key)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO article_tags_by_article SELECT article, kind, key, value FROM article_tags ORDER BY article;
    DROP TABLE article_tags;
    ALTER TABLE article_tags_by_article RENAME TO article_tags;
    CREATE INDEX article_tags_key ON article_tags(kind, key, article);
    """,
    # Narrow rows, integer tags, facet values beside each article. Filters, sorting and facets look up
    # one article row per hit; with the JSON document beside them a row spanned pages, so the document
    # moves to its own table. Tags become ids in a dictionary (a tag row is two integers). Facets read
    # `facet_tags`, the article's counted tags as codes (tag id × 4 + facet) joined by commas, as Lucene
    # reads doc values: one row per hit instead of ten tag rows grouped through a sorter. The place index
    # covers the article, so a geo filter reads no table rows.
    """
    CREATE TABLE article_docs (
        article INTEGER PRIMARY KEY REFERENCES articles(rowid) ON DELETE CASCADE,
        doc TEXT NOT NULL
    );
    INSERT INTO article_docs (article, doc) SELECT rowid, doc FROM articles;
    ALTER TABLE articles DROP COLUMN doc;
    CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        UNIQUE (kind, key)
    );
    INSERT INTO tags (kind, key, value) SELECT kind, key, max(value) FROM article_tags GROUP BY kind, key;
    CREATE TABLE article_tag_ids (
        article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
        tag INTEGER NOT NULL,
        PRIMARY KEY (article, tag)
    ) WITHOUT ROWID;
    INSERT INTO article_tag_ids (article, tag)
        SELECT t.article, g.id FROM article_tags t JOIN tags g ON g.kind = t.kind AND g.key = t.key ORDER BY t.article;
    DROP TABLE article_tags;
    ALTER TABLE article_tag_ids RENAME TO article_tags;
    CREATE INDEX article_tags_tag ON article_tags(tag, article);
    DROP INDEX article_places_lat;
    CREATE INDEX article_places_lat ON article_places(lat, lon, article);
    ALTER TABLE articles ADD COLUMN facet_tags TEXT NOT NULL DEFAULT '';
    UPDATE articles SET facet_tags = coalesce((SELECT group_concat(g.id * 4 + CASE g.kind WHEN 'country' THEN 0
            WHEN 'topic' THEN 1 WHEN 'organization' THEN 2 ELSE 3 END, ',')
        FROM article_tags t JOIN tags g ON g.id = t.tag
        WHERE t.article = articles.rowid AND g.kind IN ('country', 'topic', 'organization', 'person')), '');
    """,
]


def rollback(conn: sqlite3.Connection) -> None:
    """Roll back what a failed transaction left, if anything: SQLite has already rolled back one that
    failed on a full disk or I/O error, and a ROLLBACK then would raise "cannot rollback - no
    transaction is active" over the error that says what went wrong."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def migrate(conn: sqlite3.Connection) -> None:
    """Every migration the database lacks, in one transaction taken before anything is read: one
    migrating process at a time, the others see the result."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise
