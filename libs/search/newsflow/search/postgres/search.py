"""How the PostgreSQL store answers a search: the query text as a tsquery, the filters, and four ways to
a page (ranked over every match by GIN's ts_rank_cd, ranked from RUM's index, newest first, or one tag
browsed from its own btree), with totals and facets counted beside it on another connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NamedTuple

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from newsflow.schemas import EnrichedArticle, format_utc
from newsflow.search import query
from newsflow.search.postgres.migrations import scalar
from newsflow.search.query import (
    SearchPage,
    SearchQuery,
    SearchTimeout,
    decode_cursor,
    next_cursor,
    parse_terms,
)
from newsflow.search.store import side_jobs

TEXT_JOIN = "JOIN article_text t ON t.seq = a.seq"  # the tsvector, for a search with text
RANK_CHUNK = 256  # matches fetched at a time past the first page's, while they tie with the page's last


def article_of(doc: dict[str, Any], body: str) -> EnrichedArticle:
    """An article as stored: its document, and its body kept apart."""
    return EnrichedArticle.model_validate({**doc, "text": body})


class PageRow(NamedTuple):
    """The columns every page statement selects, in this order: the one place that says what they are."""

    seq: int
    id: str
    doc: dict[str, Any]
    sort_at: datetime
    snippet: str | None
    total: int | None  # the number of matches, where the page's statement counts them
    body: str


def _page_rows(conn: psycopg.Connection, sql: str, params: list[Any]) -> list[PageRow]:
    return [PageRow(*row) for row in conn.execute(sql, params).fetchall()]


class Ranked(NamedTuple):
    seq: int
    sort_at: datetime
    distance: float  # RUM's: smaller is better


def _date_range(q: SearchQuery, column: str) -> tuple[list[str], list[Any]]:
    """The conditions and parameters of a search's published-date range on `column`."""
    where, params = [], []
    if q.since:
        where.append(f"{column} >= %s")
        params.append(q.since)
    if q.until:
        where.append(f"{column} < %s")
        params.append(q.until)
    return where, params


class PostgresSearch:
    """The search side of PostgresStore, which provides the pool and the text index in use."""

    text_index: str
    search_timeout_s: float | None

    @property
    def search_pool(self) -> ConnectionPool:
        raise NotImplementedError

    @staticmethod
    def _tsquery(q: str) -> tuple[str, list[Any]] | None:
        """The query text as a tsquery with the contract's meaning: OR joins neighbours, groups are all
        required, exclusions apply to the whole. Each term goes through websearch_to_tsquery (so a quoted
        phrase stays a phrase); the composition is explicit because websearch_to_tsquery alone reads
        `a OR b -c` as `a | (b & !c)`."""
        groups, excluded = parse_terms(q)
        parts, params = [], []
        for group in groups:
            parts.append("(" + " || ".join("websearch_to_tsquery('english', %s)" for _ in group) + ")")
            params += [f'"{t}"' if " " in t else t for t in group]
        for term in excluded:
            parts.append("!!websearch_to_tsquery('english', %s)")
            params.append(f'"{term}"' if " " in term else term)
        if not parts:
            return None
        return " && ".join(parts), params

    def _filters(
        self, q: SearchQuery, tsq: tuple[str, list[Any]] | None
    ) -> tuple[str, list[str], list[Any], bool]:
        """(join, conditions, parameters, text_only): the conditions are over `articles a`, joined to
        `article_text t` with query text, where the tags are read beside the text (migration 3), so text
        and tags share one bitmap. text_only: every condition is on article_text (text and tags), so
        the matches are found there without `articles`."""
        where: list[str] = []
        params: list[Any] = []
        if tsq:
            where.append(f"t.tsv @@ ({tsq[0]})")
            params += tsq[1]
        tags = "t.tags" if tsq else "a.tags"
        required = [f"{kind}:{key}" for kind, key in q.required_tags()]
        if required:
            where.append(f"{tags} @> %s::text[]")
            params.append(required)
        if q.any_tag():
            where.append(f"{tags} && %s::text[]")
            params.append([f"{kind}:{key}" for kind, key in q.any_tag()])
        on_text = len(where) if tsq else 0  # the conditions so far read article_text only
        if q.language:
            where.append("a.language = %s")
            params.append(q.language.lower())
        where_dates, date_params = _date_range(q, "a.sort_at")
        where += where_dates
        params += date_params
        if q.near:
            n = q.near
            min_lat, max_lat, lons = n.box()
            box = ""
            if lons:
                box = (
                    " AND p.lon BETWEEN %s AND %s"
                    if lons[0] <= lons[1]
                    else " AND (p.lon >= %s OR p.lon <= %s)"
                )
            where.append(
                "EXISTS (SELECT 1 FROM article_places p WHERE p.article = a.seq"
                f" AND p.lat BETWEEN %s AND %s{box} AND newsflow_distance_km(%s, %s, p.lat, p.lon) <= %s)"
            )
            params += [min_lat, max_lat, *(lons or ()), n.lat, n.lon, n.km]
        if q.bbox:
            b = q.bbox
            lon = "p.lon BETWEEN %s AND %s" if b.min_lon <= b.max_lon else "(p.lon >= %s OR p.lon <= %s)"
            where.append(
                f"EXISTS (SELECT 1 FROM article_places p WHERE p.article = a.seq AND p.lat BETWEEN %s AND %s AND {lon})"
            )
            params += [b.min_lat, b.max_lat, b.min_lon, b.max_lon]
        return (TEXT_JOIN if tsq else ""), where, params, bool(tsq) and on_text == len(where)

    @contextmanager
    def _connection(self, deadline: float | None) -> Iterator[psycopg.Connection]:
        """A search connection on which the search's one deadline holds: the wait for a free connection
        gets what is left of it, and whatever runs on it when the deadline passes is cancelled. The
        connections' statement_timeout bounds each statement alone; a page and the count after it, a
        cursor's fetches, or a facets statement that waited for its connection could together take
        several times the limit."""
        if deadline is None:
            with self.search_pool.connection() as conn:
                yield conn
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise SearchTimeout(self.search_timeout_s or 0)
        with self.search_pool.connection(timeout=left) as conn:
            lock, state = threading.Lock(), {"done": False, "fired": False}

            def cancel() -> None:
                with lock:
                    if not state["done"]:
                        state["fired"] = True
                        conn.cancel()

            timer = threading.Timer(max(0.0, deadline - time.monotonic()), cancel)
            timer.daemon = True
            timer.start()
            try:
                yield conn
            finally:
                with lock:
                    state["done"] = True
                timer.cancel()
                if state["fired"]:
                    # The cancel request can reach the server after the statement it was meant for:
                    # closed, the connection never carries it into another search.
                    conn.close()

    def search(self, q: SearchQuery) -> SearchPage:
        # Every statement of the search, on any connection, side by side or one after another, shares
        # this deadline (_connection).
        deadline = time.monotonic() + self.search_timeout_s if self.search_timeout_s else None
        try:
            with side_jobs() as submit:
                return self._search(q, submit, deadline)
        except (psycopg.errors.QueryCanceled, PoolTimeout) as exc:  # statement_timeout, or no free connection
            if not self.search_timeout_s:  # cancelled by someone else (pg_cancel_backend): not a time limit
                raise
            raise SearchTimeout(self.search_timeout_s) from exc

    def _search(
        self, q: SearchQuery, submit: Callable[..., Future], deadline: float | None = None
    ) -> SearchPage:
        tsq = self._tsquery(q.q)
        join, where, params, text_only = self._filters(q, tsq)
        clause = f"{join} WHERE {' AND '.join(where)}" if where else ""
        matches = f"article_text t WHERE {' AND '.join(where)}" if text_only else f"articles a {clause}"
        cursor = decode_cursor(q.cursor) if q.cursor else {}
        offset = 0
        text_params = list(tsq[1]) if tsq else []
        # Headlines are costly: made for the page's rows only, in the outer query.
        snippet = (
            (
                f"ts_headline('english', {{}}.body, ({tsq[0]}),"
                " 'StartSel=[, StopSel=], MaxWords=35, MinWords=15, MaxFragments=1')"
            )
            if tsq
            else "NULL"
        )
        # Facets, with the number of matches, on another connection, another server process, while this
        # one finds the page.
        facet_job = submit(self._facets, clause, params, deadline) if q.facets else None
        total = None
        browsed = self._browsed_tag(q, tsq)
        if browsed:
            rows, total = self._browse(q, browsed, cursor, deadline)
        elif q.by_date:
            page_where, page_params = list(where), list(params)
            if "t" in cursor:
                page_where.append("(a.sort_at, a.seq) < (%s::timestamptz, %s)")
                page_params += [cursor["t"], cursor["s"]]
            page_clause = f"{join} WHERE {' AND '.join(page_where)}" if page_where else ""
            page_sql = (
                f"SELECT h.seq, h.id, h.doc, h.sort_at, {snippet.format('h')}, NULL::bigint, h.body FROM ("
                f"SELECT a.seq, a.id, a.doc, a.sort_at, a.body FROM articles a {page_clause}"
                " ORDER BY a.sort_at DESC, a.seq DESC LIMIT %s) h"
            )
            with self._connection(deadline) as conn:
                rows = _page_rows(conn, page_sql, [*text_params, *page_params, q.limit + 1])
        elif self.text_index == "rum":
            assert tsq is not None  # relevance order needs query text (SearchQuery.by_date)
            offset = int(cursor.get("o", 0))
            # The facets, when asked for, count the matches too: one scan of them, not two at once.
            count_job = None if facet_job else submit(self._count, matches, params, deadline)
            with self._connection(deadline) as conn:
                seqs = self._ranked_by_index(conn, tsq, clause, params, offset, q.limit + 1)
                rows = _page_rows(
                    conn,
                    f"SELECT a.seq, a.id, a.doc, a.sort_at, {snippet.format('a')}, NULL::bigint,"
                    " a.body FROM articles a WHERE a.seq = ANY(%s)",
                    [*text_params, seqs],
                )
            place = {seq: i for i, seq in enumerate(seqs)}
            rows.sort(key=lambda r: place[r.seq])
            total = count_job.result() if count_job else None
        else:
            assert tsq is not None
            offset = int(cursor.get("o", 0))
            page_sql, page_params = self._ranked_page(
                tsq, snippet, not cursor, text_only, matches, clause, params, offset, q.limit + 1
            )
            with self._connection(deadline) as conn:
                rows = _page_rows(conn, page_sql, page_params)
            if rows and rows[0].total is not None:
                total = rows[0].total
        facets = None
        if facet_job:
            counted, facets = facet_job.result()
            total = counted if total is None else total
        if not cursor and not rows:
            # An empty first page means no match: a count on another connection, a moment later or at
            # once, could see an article committed since and report a total with no results.
            total = 0
        elif total is None:
            total = self._count(matches, params, deadline)
        more, rows = len(rows) > q.limit, rows[: q.limit]
        return SearchPage(
            total=total,
            results=[article_of(r.doc, r.body) for r in rows],
            snippets={r.id: r.snippet for r in rows if r.snippet},
            facets=facets,
            next_cursor=next_cursor(
                q, (format_utc(rows[-1].sort_at), rows[-1].seq) if more else None, offset
            ),
        )

    @staticmethod
    def _ranked_page(
        tsq: tuple[str, list[Any]],
        snippet: str,
        first_page: bool,
        text_only: bool,
        matches: str,
        clause: str,
        params: list[Any],
        offset: int,
        count: int,
    ) -> tuple[str, list[Any]]:
        """The statement of a GIN search's page in relevance order, and its parameters. Every match is
        ranked, so on a first page the total comes with the rows (count(*) OVER ()), one pass instead of
        two. The rank is computed below the window, on narrow rows: above it, the window carried each
        match's tsvector, and with tsvectors stored inline (tried) it spilled to disk past work_mem
        ("purchased", 9,633 matches: 167 -> 40 ms). OFFSET 0 keeps the planner from merging the levels."""
        text = list(tsq[1])
        total_col = "count(*) OVER ()" if first_page else "NULL::bigint"
        if text_only:
            # The matches are ranked from article_text alone, and only the best (with whatever ties the
            # page's last) meet `articles` for their dates, the tie order. Joining every match there read
            # all of `articles` ("create", 18,154 matches: 218 -> 116 ms).
            return (
                f"SELECT a.seq, a.id, a.doc, a.sort_at, {snippet.format('a')}, p.total, a.body FROM ("
                f"SELECT m.seq, m.rank, {total_col} AS total FROM ("
                f"SELECT t.seq, ts_rank_cd(t.tsv, ({tsq[0]})) AS rank FROM {matches}"
                " OFFSET 0) m ORDER BY m.rank DESC FETCH FIRST %s ROWS WITH TIES) p"
                " JOIN articles a ON a.seq = p.seq ORDER BY p.rank DESC, a.sort_at DESC, a.seq DESC"
                " LIMIT %s OFFSET %s"
            ), [*text, *text, *params, offset + count, count, offset]
        return (
            f"SELECT a.seq, a.id, a.doc, a.sort_at, {snippet.format('a')}, p.total, a.body FROM ("
            f"SELECT m.seq, m.rank, m.sort_at, {total_col} AS total FROM ("
            f"SELECT a.seq, a.sort_at, ts_rank_cd(t.tsv, ({tsq[0]})) AS rank FROM articles a {clause}"
            " OFFSET 0) m ORDER BY m.rank DESC, m.sort_at DESC, m.seq DESC LIMIT %s OFFSET %s) p"
            " JOIN articles a ON a.seq = p.seq ORDER BY p.rank DESC, p.sort_at DESC, p.seq DESC"
        ), [*text, *text, *params, count, offset]

    @staticmethod
    def _ranked_by_index(
        conn: psycopg.Connection,
        tsq: tuple[str, list[Any]],
        clause: str,
        params: list[Any],
        offset: int,
        count: int,
    ) -> list[int]:
        """The seqs of matches offset..offset+count in relevance order, from RUM's ordered index scan.
        Matches come best first with their distance (1 / RUM's score: ts_rank's for one word, a cover
        density for several) from the positions the index stores, so only the page's are read, and those
        tied with its last. Ties are ordered by date, then seq, as on GIN, and a tie can straddle the
        page's end: one word's matches share a few distinct scores."""
        need = offset + count
        ranked: list[Ranked] = []
        with conn.transaction(), conn.cursor(name="newsflow_ranked") as cur:
            cur.execute(
                f"SELECT a.seq, a.sort_at, t.tsv <=> ({tsq[0]}) FROM articles a {clause}"
                f" ORDER BY t.tsv <=> ({tsq[0]})",
                [*tsq[1], *params, *tsq[1]],
            )
            size = need
            while True:
                rows = [Ranked(*row) for row in cur.fetchmany(size)]
                ranked += rows
                if len(rows) < size or ranked[-1].distance > ranked[need - 1].distance:
                    break
                size = RANK_CHUNK
        ranked.sort(key=lambda r: (r.distance, -r.sort_at.timestamp(), -r.seq))
        return [r.seq for r in ranked[offset:need]]

    @staticmethod
    def _browsed_tag(q: SearchQuery, tsq: tuple[str, list[Any]] | None) -> str | None:
        """The tag of a search that browses one country, topic, person or organisation by date (and
        nothing else but a date range), which article_facet_tags answers alone."""
        required = q.required_tags()
        if (
            tsq
            or len(required) != 1
            or required[0][0] not in query.TAG_FACETS
            or q.any_tag()
            or q.language
            or q.near
            or q.bbox
        ):
            return None
        return f"{required[0][0]}:{required[0][1]}"

    def _browse(
        self, q: SearchQuery, tag: str, cursor: dict[str, Any], deadline: float | None
    ) -> tuple[list[PageRow], int]:
        """A page and the total of one tag's articles newest first, from article_facet_tags alone."""
        where_dates, date_params = _date_range(q, "f.sort_at")
        where, params = ["f.tag = %s", *where_dates], [tag, *date_params]
        count_sql = f"SELECT count(*) FROM article_facet_tags f WHERE {' AND '.join(where)}"
        count_params = list(params)
        if "t" in cursor:
            where.append("(f.sort_at, f.article) < (%s::timestamptz, %s)")
            params += [cursor["t"], cursor["s"]]
        page_sql = (
            "SELECT a.seq, a.id, a.doc, a.sort_at, NULL, NULL::bigint, a.body FROM article_facet_tags f"
            f" JOIN articles a ON a.seq = f.article WHERE {' AND '.join(where)}"
            " ORDER BY f.sort_at DESC, f.article DESC LIMIT %s"
        )
        with self._connection(deadline) as conn:
            rows = _page_rows(conn, page_sql, [*params, q.limit + 1])
            total = scalar(conn.execute(count_sql, count_params))
        return rows, total

    def _count(self, matches: str, params: list[Any], deadline: float | None = None) -> int:
        """The number of matches, within what is left of the search's deadline."""
        with self._connection(deadline) as conn:
            return scalar(conn.execute(f"SELECT count(*) FROM {matches}", params))

    def _facets(
        self, clause: str, params: list[Any], deadline: float | None
    ) -> tuple[int, dict[str, dict[str, int]]]:
        """The number of matches and every facet, from one statement: the matches are found once, then
        counted; display values are looked up for the tags that can make a facet's top FACET_SIZE (rank()
        keeps the ties)."""
        sql = (
            f"WITH hits AS MATERIALIZED (SELECT a.facet_tags, a.site_name, a.sort_at FROM articles a {clause}),"
            " counted AS (SELECT t, count(*) AS n FROM hits, unnest(hits.facet_tags) t GROUP BY t),"
            " ranked AS (SELECT t, n, rank() OVER (PARTITION BY split_part(t, ':', 1) ORDER BY n DESC) AS r FROM counted)"
            " SELECT split_part(r.t, ':', 1), tn.value, r.n FROM ranked r JOIN tag_names tn ON tn.tag = r.t WHERE r.r <= %s"
            " UNION ALL SELECT 'site', site_name, count(*) FROM hits WHERE site_name IS NOT NULL GROUP BY site_name"
            " UNION ALL SELECT 'day', to_char(sort_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*) FROM hits GROUP BY 2"
            " UNION ALL SELECT 'total', NULL, count(*) FROM hits"
        )
        with self._connection(deadline) as conn:
            rows = conn.execute(sql, [*params, query.FACET_SIZE]).fetchall()
        total = next(n for facet, _, n in rows if facet == "total")
        return total, query.rank_facets(row for row in rows if row[0] != "total")  # (facet, value, n)
