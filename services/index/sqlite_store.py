"""The embedded store: SQLite with FTS5 (BM25 ranking), in WAL mode so the API reads while the indexer writes."""

from __future__ import annotations

import math
import sqlite3
import threading
from datetime import UTC
from pathlib import Path

from newsflow.enrich.gazetteer import fold
from newsflow.index.query import SearchPage, SearchQuery, parse_terms

from newsflow.schemas import EnrichedArticle, format_utc, utcnow

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL,
    site_name TEXT,
    language TEXT,
    focus_country TEXT,
    published_at TEXT,
    sort_at TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_sort_at ON articles(sort_at);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
    title, text, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS article_tags (
    article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS article_tags_key ON article_tags(key, kind);
CREATE INDEX IF NOT EXISTS article_tags_article ON article_tags(article);
CREATE TABLE IF NOT EXISTS article_places (
    article INTEGER NOT NULL REFERENCES articles(rowid) ON DELETE CASCADE,
    geonameid INTEGER,
    lat REAL NOT NULL,
    lon REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS article_places_lat ON article_places(lat, lon);
CREATE INDEX IF NOT EXISTS article_places_article ON article_places(article);
"""


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (lat1, lon1, lat2, lon2))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 6371.0088 * 2 * math.asin(math.sqrt(min(1.0, h)))


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_expression(q: str) -> str | None:
    groups, excluded = parse_terms(q)
    if not groups:
        return None
    expr = " AND ".join("(" + " OR ".join(_phrase(t) for t in group) + ")" for group in groups)
    for term in excluded:
        expr = f"({expr}) NOT {_phrase(term)}"
    return expr


def _tags(article: EnrichedArticle) -> list[tuple[str, str]]:
    tags = [("country", c) for c in article.countries]
    tags += [("person", p) for p in article.people]
    tags += [("organization", o) for o in article.organizations]
    tags += [("keyword", k) for k in article.keywords]
    tags += [("topic", t) for t in article.topics]
    tags += [("place", p.resolved_name or p.name) for p in article.places]
    if article.focus and article.focus.country_code:
        tags.append(("focus_country", article.focus.country_code))
    return list(dict.fromkeys(tags))


class SqliteStore:
    def __init__(self, path: str):
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.create_function("distance_km", 4, distance_km, deterministic=True)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def upsert(self, articles: list[EnrichedArticle]) -> None:
        """Insert or replace by id, in one transaction; a replaced article keeps its first_seen_at."""
        conn = self._conn()
        now = format_utc(utcnow())
        conn.execute("BEGIN IMMEDIATE")
        try:
            for a in articles:
                row = conn.execute("SELECT rowid FROM articles WHERE id = ?", (a.id,)).fetchone()
                published = format_utc(a.published_at) if a.published_at else None
                values = (a.model_dump_json(), a.site_name, a.language,
                          a.focus.country_code if a.focus else None, published)
                if row:
                    rowid = row[0]
                    conn.execute(
                        "UPDATE articles SET doc=?, site_name=?, language=?, focus_country=?, published_at=?,"
                        " sort_at=COALESCE(?, first_seen_at), updated_at=? WHERE rowid=?",
                        (*values, published, now, rowid),
                    )
                    conn.execute("DELETE FROM articles_fts WHERE rowid=?", (rowid,))
                    conn.execute("DELETE FROM article_tags WHERE article=?", (rowid,))
                    conn.execute("DELETE FROM article_places WHERE article=?", (rowid,))
                else:
                    rowid = conn.execute(
                        "INSERT INTO articles (id, doc, site_name, language, focus_country, published_at,"
                        " sort_at, first_seen_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                        (a.id, *values, published or now, now, now),
                    ).lastrowid
                conn.execute("INSERT INTO articles_fts (rowid, title, text) VALUES (?,?,?)",
                             (rowid, a.title or "", a.text))
                conn.executemany("INSERT INTO article_tags (article, kind, value, key) VALUES (?,?,?,?)",
                                 [(rowid, kind, value, fold(value)) for kind, value in _tags(a)])
                conn.executemany("INSERT INTO article_places (article, geonameid, lat, lon) VALUES (?,?,?,?)",
                                 list({(rowid, p.geonameid, p.lat, p.lon) for p in a.places}))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def get(self, article_id: str) -> EnrichedArticle | None:
        row = self._conn().execute("SELECT doc FROM articles WHERE id = ?", (article_id,)).fetchone()
        return EnrichedArticle.model_validate_json(row[0]) if row else None

    def count(self) -> int:
        return self._conn().execute("SELECT count(*) FROM articles").fetchone()[0]

    def search(self, query: SearchQuery) -> SearchPage:
        where: list[str] = []
        params: list[object] = []
        fts = fts_expression(query.q)
        if fts:
            where.append("articles_fts MATCH ?")
            params.append(fts)
        if query.country:
            where.append("a.rowid IN (SELECT article FROM article_tags WHERE kind='country' AND key=?)")
            params.append(query.country.lower())
        if query.tag:
            where.append("a.rowid IN (SELECT article FROM article_tags WHERE key=?)")
            params.append(fold(query.tag))
        if query.since:
            where.append("a.sort_at >= ?")
            params.append(format_utc(query.since.replace(tzinfo=query.since.tzinfo or UTC)))
        if query.near:
            n = query.near
            dlat = n.km / 111.0
            dlon = n.km / max(1e-6, 111.0 * math.cos(math.radians(n.lat)))
            # The box narrows the candidates through the index; the great-circle distance decides.
            where.append(
                "a.rowid IN (SELECT article FROM article_places WHERE lat BETWEEN ? AND ?"
                + (" AND lon BETWEEN ? AND ?" if dlon < 180 else "")
                + " AND distance_km(?, ?, lat, lon) <= ?)"
            )
            params += [n.lat - dlat, n.lat + dlat]
            if dlon < 180:
                params += [n.lon - dlon, n.lon + dlon]
            params += [n.lat, n.lon, n.km]
        join = "JOIN articles_fts ON articles_fts.rowid = a.rowid" if fts else ""
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        conn = self._conn()
        total = conn.execute(f"SELECT count(*) FROM articles a {join} {clause}", params).fetchone()[0]
        if fts:
            select = ("SELECT a.id, a.doc, snippet(articles_fts, 1, '[', ']', '…', 24) FROM articles a "
                      f"{join} {clause} ORDER BY bm25(articles_fts, 4.0, 1.0), a.sort_at DESC LIMIT ? OFFSET ?")
        else:
            select = f"SELECT a.id, a.doc, NULL FROM articles a {clause} ORDER BY a.sort_at DESC LIMIT ? OFFSET ?"
        rows = conn.execute(select, [*params, query.limit, query.offset]).fetchall()
        return SearchPage(
            total=total,
            results=[EnrichedArticle.model_validate_json(doc) for _, doc, _ in rows],
            snippets={aid: snip for aid, _, snip in rows if snip},
        )
