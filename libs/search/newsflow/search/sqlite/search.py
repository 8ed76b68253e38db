"""How the SQLite store answers a search: FTS5 for the text (BM25), side tables for tags and places, a
page in two phases (row ids first, documents for the page's rows only), facets counted from each hit's
tag codes, and a time limit checked by SQLite's progress handler."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from newsflow.schemas import EnrichedArticle, format_utc
from newsflow.search.query import (
    FACET_SIZE,
    TAG_FACETS,
    Near,
    SearchPage,
    SearchQuery,
    SearchTimeout,
    decode_cursor,
    next_cursor,
    parse_terms,
    rank_facets,
)
from newsflow.search.store import side_jobs


def article_of(doc: str, text: str) -> EnrichedArticle:
    """An article as stored: its JSON document, and its text kept in the FTS table."""
    data = json.loads(doc)
    data["text"] = text
    return EnrichedArticle.model_validate(data)


def within(near: Near, math_functions: bool) -> tuple[str, list[float]]:
    """A condition on a place row's lat and lon: inside the circle, first by its box (the index narrows
    the candidates), then on the great circle. With SQLite's math functions the haversine term is
    compared in SQL; a build without them calls a Python function per row, ~2x slower."""
    min_lat, max_lat, lons = near.box()
    sql, params = "lat BETWEEN ? AND ?", [min_lat, max_lat]
    if lons:
        sql += " AND lon BETWEEN ? AND ?" if lons[0] <= lons[1] else " AND (lon >= ? OR lon <= ?)"
        params += list(lons)
    if not math_functions:
        return f"{sql} AND distance_km(?, ?, lat, lon) <= ?", [*params, near.lat, near.lon, near.km]
    half = "sin(radians({0} - ?) / 2)"
    sql += (
        f" AND {half.format('lat')} * {half.format('lat')} + ? * cos(radians(lat))"
        f" * {half.format('lon')} * {half.format('lon')} <= ?"
    )
    return sql, [
        *params,
        near.lat,
        near.lat,
        math.cos(math.radians(near.lat)),
        near.lon,
        near.lon,
        near.haversine_limit(),
    ]


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_expression(q: str) -> tuple[str | None, str | None]:
    """(what must match, what must not) as FTS5 expressions; every term quoted, so no input is syntax.

    With terms to match, exclusions go inside the expression (FTS5's NOT merges doclists, cheap even for
    a common word); a query of exclusions only is returned as the negative part, for a NOT IN.
    """
    groups, excluded = parse_terms(q)
    positive = " AND ".join("(" + " OR ".join(_phrase(t) for t in group) + ")" for group in groups) or None
    negative = " OR ".join(_phrase(t) for t in excluded) or None
    if positive and negative:
        return f"({positive}) NOT ({negative})", None
    return positive, negative


class PageRow(NamedTuple):
    """The columns both page statements select, in this order."""

    rowid: int
    id: str
    doc: str
    sort_at: str
    snippet: str | None
    text: str


PROGRESS_STEPS = 10_000  # SQLite VM steps between two looks at a search's deadline: well under a millisecond


class SqliteSearch:
    """The search side of SqliteStore, which provides the connections."""

    search_timeout_s: float | None
    _math_functions: bool

    def _conn(self) -> sqlite3.Connection:
        raise NotImplementedError

    def _filters(self, q: SearchQuery, rowid: str = "a.rowid") -> tuple[list[str], list[object]]:
        """WHERE terms and their parameters. `rowid` is how the row-id filters name the article's row id:
        "+a.rowid" (a unary plus) stops those filters from driving the plan."""
        where: list[str] = []
        params: list[object] = []
        positive, negative = fts_expression(q.q)
        if positive:
            where.append("articles_fts MATCH ?")
            params.append(positive)
        if negative:
            where.append(f"{rowid} NOT IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.append(negative)
        for kind, key in q.required_tags():
            where.append(
                f"{rowid} IN (SELECT article FROM article_tags WHERE tag = (SELECT id FROM tags WHERE kind=? AND key=?))"
            )
            params += [kind, key]
        if q.any_tag():
            kinds = [kind for kind, _ in q.any_tag()]
            where.append(
                f"{rowid} IN (SELECT article FROM article_tags WHERE tag IN"
                f" (SELECT id FROM tags WHERE key=? AND kind IN ({','.join('?' * len(kinds))})))"
            )
            params += [q.any_tag()[0][1], *kinds]
        if q.language:
            where.append("a.language = ?")
            params.append(q.language.lower())
        if q.since:
            where.append("a.sort_at >= ?")
            params.append(format_utc(q.since))
        if q.until:
            where.append("a.sort_at < ?")
            params.append(format_utc(q.until))
        if q.near:
            condition, condition_params = within(q.near, self._math_functions)
            where.append(f"{rowid} IN (SELECT article FROM article_places WHERE {condition})")
            params += condition_params
        if q.bbox:
            b = q.bbox
            lon = "lon BETWEEN ? AND ?" if b.min_lon <= b.max_lon else "(lon >= ? OR lon <= ?)"  # across 180°
            where.append(
                f"{rowid} IN (SELECT article FROM article_places WHERE lat BETWEEN ? AND ? AND {lon})"
            )
            params += [b.min_lat, b.max_lat, b.min_lon, b.max_lon]
        return where, params

    @contextmanager
    def _time_limit(self, conn: sqlite3.Connection, deadline: float | None) -> Iterator[None]:
        """The statements run inside are interrupted past the deadline (SearchTimeout): SQLite calls the
        handler every PROGRESS_STEPS steps, and a true answer stops the statement."""
        if deadline is None:
            yield
            return
        conn.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)
        try:
            yield
        except sqlite3.OperationalError as exc:
            if str(exc) == "interrupted" and time.monotonic() > deadline:
                raise SearchTimeout(self.search_timeout_s or 0) from exc
            raise
        finally:
            conn.set_progress_handler(None, 0)  # the connection's other statements (upserts) run unbounded

    def search(self, q: SearchQuery) -> SearchPage:
        conn = self._conn()
        deadline = time.monotonic() + self.search_timeout_s if self.search_timeout_s else None
        with side_jobs() as submit, self._time_limit(conn, deadline):
            return self._search(conn, q, deadline, submit)

    def _search(
        self, conn: sqlite3.Connection, q: SearchQuery, deadline: float | None, submit: Callable[..., Future]
    ) -> SearchPage:
        where, params = self._filters(q)
        positive = fts_expression(q.q)[0]
        join = "JOIN articles_fts ON articles_fts.rowid = a.rowid" if positive else ""
        base = f"FROM articles a {join} " + (("WHERE " + " AND ".join(where)) if where else "")
        facets, facet_job, total = None, None, 0
        if q.facets:
            # On another connection, in another thread, while this one finds the page: SQLite releases
            # the GIL while it steps, so a broad query's two passes overlap (measured on 100k articles: facet queries p50 31 → 25 ms).
            facet_job = submit(self._count_and_facets, base, params, deadline)
            if q.by_date and not positive:  # the plan of the page depends on the total
                total, facets = facet_job.result()
        elif positive and not (q.language or q.since or q.until):
            # Text and row-id filters only: counted in the full-text index, without a lookup of each
            # hit's article row (every indexed text has its article: both are written in one
            # transaction). "clutches" in India, 11,057 hits: 14 -> 9 ms.
            fts_where, fts_params = self._filters(q, rowid="+articles_fts.rowid")  # "+": the text drives
            total = conn.execute(
                f"SELECT count(*) FROM articles_fts WHERE {' AND '.join(fts_where)}", fts_params
            ).fetchone()[0]
        else:
            total = conn.execute(f"SELECT count(*) {base}", params).fetchone()[0]

        cursor = decode_cursor(q.cursor) if q.cursor else {}
        # Many hits in date order: walking the date index newest first finds a page after about
        # N/total × limit rows, where collecting and sorting every hit costs `total` (measured on 100k
        # articles, a country with 24.6k: 3.4 ms against 21.8). So the row-id filters are written so
        # that they cannot drive the plan, and the date index does.
        if q.by_date and not positive and total and self._dense(conn, total, q.limit):
            page_where, page_params = self._filters(q, rowid="+a.rowid")
        else:
            page_where, page_params = list(where), list(params)
        offset = 0
        if q.by_date:
            order = "a.sort_at DESC, a.rowid DESC"
            if "t" in cursor:
                page_where.append("(a.sort_at < ? OR (a.sort_at = ? AND a.rowid < ?))")
                page_params += [cursor["t"], cursor["t"], cursor["s"]]
        else:
            order = "bm25(articles_fts, 4.0, 1.0), a.sort_at DESC, a.rowid DESC"
            offset = int(cursor.get("o", 0))
        page_clause = ("WHERE " + " AND ".join(page_where)) if page_where else ""
        # Two phases: the inner query orders and limits bare row ids; documents, bodies and snippets are
        # made for the page's rows only (SQLite would otherwise build them for every hit before sorting).
        inner = f"SELECT a.rowid FROM articles a {join} {page_clause} ORDER BY {order} LIMIT ? OFFSET ?"
        inner_params = [*page_params, q.limit + 1, offset]
        if positive:
            sql = (
                "SELECT a.rowid, a.id, d.doc, a.sort_at, snippet(articles_fts, 1, '[', ']', '…', 24), articles_fts.text"
                f" FROM articles a {join} JOIN article_docs d ON d.article = a.rowid WHERE articles_fts MATCH ? AND a.rowid IN ({inner}) ORDER BY {order}"
            )
            rows = [PageRow(*r) for r in conn.execute(sql, [positive, *inner_params]).fetchall()]
        else:
            sql = (
                "SELECT a.rowid, a.id, d.doc, a.sort_at, NULL, (SELECT text FROM articles_fts f WHERE f.rowid = a.rowid)"
                f" FROM articles a JOIN article_docs d ON d.article = a.rowid WHERE a.rowid IN ({inner}) ORDER BY {order}"
            )
            rows = [PageRow(*r) for r in conn.execute(sql, inner_params).fetchall()]
        if facet_job:
            total, facets = facet_job.result()
        more, rows = len(rows) > q.limit, rows[: q.limit]
        return SearchPage(
            total=total,
            results=[article_of(r.doc, r.text) for r in rows],
            snippets={r.id: r.snippet for r in rows if r.snippet},
            facets=facets,
            next_cursor=next_cursor(q, (rows[-1].sort_at, rows[-1].rowid) if more else None, offset),
        )

    @staticmethod
    def _dense(conn: sqlite3.Connection, total: int, limit: int) -> bool:
        articles = conn.execute("SELECT max(rowid) FROM articles").fetchone()[0] or 0  # ~count, O(log n)
        return total * total > articles * (limit + 1)

    def _count_and_facets(
        self, base: str, params: list[object], deadline: float | None
    ) -> tuple[int, dict[str, dict[str, int]]]:
        """The hits are read once, for the total and every facet; their values come back as three
        strings (group_concat runs in C), not a row object per hit."""
        conn = self._conn()
        with self._time_limit(conn, deadline):
            total, tags, sites, days = conn.execute(
                "SELECT count(*), group_concat(nullif(a.facet_tags, ''), ','), group_concat(a.site_name, char(31)),"
                f" group_concat(substr(a.sort_at, 1, 10), ',') {base}",
                params,
            ).fetchone()
        return total, self._facets(conn, tags, sites, days)

    @staticmethod
    def _facets(
        conn: sqlite3.Connection, tags: str | None, sites: str | None, days: str | None
    ) -> dict[str, dict[str, int]]:
        """Counts over the hits' facet_tags (joined by ","), site names (joined by the unit separator) and
        days. Tag codes are counted by numpy (a Counter took 23 ms for 17k hits, this 5.5); display
        values are looked up only for the ids that can make a facet's top FACET_SIZE (ties go by value)."""
        codes = np.fromstring(tags, dtype=np.int64, sep=",") if tags else np.zeros(0, dtype=np.int64)
        # bincount is one pass but sized by the largest code; a huge dictionary sorts instead.
        if codes.size and codes.max() < 64 * codes.size + 65_536:
            counts = np.bincount(codes)
            values = np.flatnonzero(counts)
            counts = counts[values]
        else:
            values, counts = np.unique(codes, return_counts=True)
        wanted: dict[int, int] = {}  # tag id -> hits
        for facet in range(len(TAG_FACETS)):
            mine = values % 4 == facet
            ids, n = values[mine] // 4, counts[mine]
            if n.size > FACET_SIZE:
                floor = np.partition(n, n.size - FACET_SIZE)[n.size - FACET_SIZE]
                keep = n >= floor
                ids, n = ids[keep], n[keep]
            wanted.update(zip(ids.tolist(), n.tolist(), strict=True))
        rows: list[tuple[str, str, int]] = []
        ids = list(wanted)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows += [
                (kind, value, wanted[tag_id])
                for tag_id, kind, value in conn.execute(
                    f"SELECT id, kind, value FROM tags WHERE id IN ({','.join('?' * len(chunk))})", chunk
                )
            ]
        rows += [("site", site, n) for site, n in Counter(sites.split("\x1f") if sites else ()).items()]
        rows += [("day", day, n) for day, n in Counter(days.split(",") if days else ()).items()]
        return rank_facets(rows)
