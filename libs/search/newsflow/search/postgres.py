"""The deployment store: PostgreSQL full text (tsvector, websearch_to_tsquery), tags as a text[] with a
GIN index, and a geo filter by bounding box plus great-circle distance in plain SQL (no PostGIS). The
text index is core PostgreSQL's GIN, ranked by ts_rank_cd over every match, or, chosen by setting, RUM
(an extension), which ranks from the index by its own score. Migrations run on start, under an advisory
lock, each once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from newsflow.logs import get_logger
from newsflow.schemas import EnrichedArticle, format_utc, utcnow
from newsflow.search import query
from newsflow.search.query import (
    SearchPage,
    SearchQuery,
    SearchTimeout,
    decode_cursor,
    next_cursor,
    parse_terms,
)
from newsflow.search.store import TAG_CACHE_MAX, StoredArticle, article_tags, side_jobs

PARALLEL_MIN_PART = 50  # below this many articles a part, a second connection costs more than it saves
MIGRATION_LOCK = 7_202_611  # pg_advisory_xact_lock key: one migrating process at a time
TEXT_INDEXES = {"gin": "article_text_gin", "rum": "article_text_rum"}
TEXT_JOIN = "JOIN article_text t ON t.seq = a.seq"  # the tsvector, for a search with text
RANK_CHUNK = 256  # matches fetched at a time past the first page's, while they tie with the page's last

log = get_logger("newsflow.store")


def _scalar(cur: psycopg.Cursor[Any]) -> Any:
    """The first column of the one row a statement returns (a count, a sequence value, to_regclass)."""
    row = cur.fetchone()
    if row is None:
        raise psycopg.ProgrammingError("the statement returned no row")
    return row[0]


class StoreUnavailable(RuntimeError):
    """The store's database could not be reached at start, with the server's reason."""


MIGRATIONS = [
    """
    CREATE FUNCTION newsflow_distance_km(lat1 float8, lon1 float8, lat2 float8, lon2 float8) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT 6371.0088 * 2 * asin(sqrt(least(1.0,
            sin(radians(lat2 - lat1) / 2) ^ 2
            + cos(radians(lat1)) * cos(radians(lat2)) * sin(radians(lon2 - lon1) / 2) ^ 2)))
    $$;
    CREATE TABLE articles (
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        id text PRIMARY KEY,
        doc jsonb NOT NULL,
        title text NOT NULL DEFAULT '',
        body text NOT NULL DEFAULT '',
        tsv tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
        ) STORED,
        site_name text,
        language text,
        published_at timestamptz,
        sort_at timestamptz NOT NULL,
        first_seen_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        tags text[] NOT NULL DEFAULT '{}'
    );
    CREATE INDEX articles_tsv ON articles USING gin (tsv);
    CREATE INDEX articles_tags ON articles USING gin (tags);
    CREATE INDEX articles_sort ON articles (sort_at DESC, seq DESC);
    CREATE TABLE article_tags (
        article bigint NOT NULL REFERENCES articles (seq) ON DELETE CASCADE,
        kind text NOT NULL,
        key text NOT NULL,
        value text NOT NULL
    );
    CREATE INDEX article_tags_article ON article_tags (article, kind);
    CREATE TABLE article_places (
        article bigint NOT NULL REFERENCES articles (seq) ON DELETE CASCADE,
        geonameid bigint,
        lat float8 NOT NULL,
        lon float8 NOT NULL
    );
    CREATE INDEX article_places_lat ON article_places (lat, lon);
    CREATE INDEX article_places_article ON article_places (article);
    """,
    # Facets from the articles' own arrays: `facet_tags` holds the counted kinds' tags, and display
    # values live once per tag in `tag_names`. The per-article tag rows (36 an article) are gone: facets
    # read one array per hit instead of looking up its rows (100k bench articles: p50 155 -> 79 ms).
    """
    CREATE TABLE tag_names (tag text PRIMARY KEY, value text NOT NULL);
    INSERT INTO tag_names (tag, value) SELECT kind || ':' || key, max(value) FROM article_tags GROUP BY kind, key;
    ALTER TABLE articles ADD COLUMN facet_tags text[] NOT NULL DEFAULT '{}';
    UPDATE articles a SET facet_tags = ARRAY(SELECT t FROM unnest(a.tags) t
        WHERE split_part(t, ':', 1) IN ('country', 'topic', 'organization', 'person'));
    DROP TABLE article_tags;
    """,
    # The tsvector moves to a narrow table of its own, stored inline (one row a page, no TOAST): ranking
    # and phrase checks read each match's tsvector, and out of line that took a TOAST index lookup and
    # three chunks a match (100k bench: ranking 20k matches 480 -> 80 ms). In `articles` the inline
    # tsvector had made date-ordered scans read a page a row. The text index moves with it
    # (_ensure_text_index). The tags are copied beside the text, with their own index, so text and tag
    # filters combine in one bitmap (text + country: 152 -> 18 ms); tag-only searches keep the narrow
    # rows of `articles`. Analysed at once: without statistics the planner took `a | b & !c` for
    # most rows and walked every article instead of the index (45 -> 220 ms).
    """
    CREATE TABLE article_text (
        seq bigint PRIMARY KEY REFERENCES articles (seq) ON DELETE CASCADE,
        tsv tsvector NOT NULL,
        tags text[] NOT NULL DEFAULT '{}'
    ) WITH (toast_tuple_target = 8160);
    ALTER TABLE article_text ALTER COLUMN tsv SET STORAGE MAIN;
    INSERT INTO article_text (seq, tsv, tags) SELECT seq, tsv, tags FROM articles;
    CREATE INDEX article_text_tags ON article_text USING gin (tags);
    ALTER TABLE articles DROP COLUMN tsv;
    ANALYZE article_text;
    """,
    # Browsing a country, topic, person or organisation newest first: the counted kinds' tags once more,
    # each beside its article's date, in a btree. The page is then the index's first rows and the total
    # an index-only count: through the tags' GIN index, both read every hit's row (100k bench, the US's
    # 27,938 articles: count 241 -> 5 ms). The other filters keep the GIN path.
    """
    CREATE TABLE article_facet_tags (
        article bigint NOT NULL REFERENCES articles (seq) ON DELETE CASCADE,
        tag text NOT NULL,
        sort_at timestamptz NOT NULL
    );
    INSERT INTO article_facet_tags (article, tag, sort_at) SELECT a.seq, t, a.sort_at FROM articles a, unnest(a.facet_tags) t;
    CREATE INDEX article_facet_tags_tag ON article_facet_tags (tag, sort_at DESC, article DESC);
    CREATE INDEX article_facet_tags_article ON article_facet_tags (article);
    ANALYZE article_facet_tags;
    """,
    # Bodies and documents compressed with lz4 instead of pglz: pglz cost ~0.15 ms an article on insert,
    # lz4 ~0.05 (3,000 bench articles: 460 -> 165 ms), for bodies 13% larger, and reads (snippets,
    # GET /v1/articles) decompress faster. Values already stored keep pglz; both are read alike. A
    # server built without lz4 (or older than 14) keeps pglz rather than refusing to start.
    """
    DO $$
    BEGIN
        EXECUTE 'ALTER TABLE articles ALTER COLUMN body SET COMPRESSION lz4, ALTER COLUMN doc SET COMPRESSION lz4';
    EXCEPTION WHEN feature_not_supported OR syntax_error THEN
        RAISE NOTICE 'newsflow: no lz4 on this server; article bodies stay compressed with pglz';
    END
    $$;
    """,
]


UPSERT = """
WITH a AS (
INSERT INTO articles (id, doc, title, body, site_name, language, published_at, sort_at, first_seen_at, updated_at, tags,
                      facet_tags)
VALUES (%(id)s, %(doc)s::jsonb, %(title)s, %(body)s, %(site)s, %(lang)s, %(published)s,
        COALESCE(%(published)s, %(first_seen)s), %(first_seen)s, %(now)s, %(tags)s, %(facet_tags)s)
ON CONFLICT (id) DO UPDATE SET
    doc = EXCLUDED.doc, title = EXCLUDED.title, body = EXCLUDED.body, site_name = EXCLUDED.site_name,
    language = EXCLUDED.language, published_at = EXCLUDED.published_at,
    first_seen_at = LEAST(articles.first_seen_at, EXCLUDED.first_seen_at),
    sort_at = COALESCE(EXCLUDED.published_at, LEAST(articles.first_seen_at, EXCLUDED.first_seen_at)),
    updated_at = EXCLUDED.updated_at, tags = EXCLUDED.tags, facet_tags = EXCLUDED.facet_tags
RETURNING seq, title, body, tags
)
INSERT INTO article_text (seq, tsv, tags)
SELECT seq, setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B'), tags
FROM a
ON CONFLICT (seq) DO UPDATE SET tsv = EXCLUDED.tsv, tags = EXCLUDED.tags
RETURNING seq
"""


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


class PostgresStore:
    def __init__(
        self,
        url: str,
        pool_size: int = 6,
        write_parallelism: int | None = None,
        text_index: str = "gin",
        search_timeout_s: float | None = None,
        keep_text_index: bool = False,
        pool_timeout_s: float = 30.0,
    ):
        """keep_text_index: a database that has a text index keeps it, whatever `text_index` says (a copy
        must not rebuild a deployment's index); `text_index` is then for a new database.
        pool_timeout_s: how long a write (and the start) waits for a connection: a server still starting
        is waited for, then StoreUnavailable says why it refused."""
        if text_index not in TEXT_INDEXES:
            raise ValueError(f"text_index must be rum or gin, not {text_index!r}")
        self.url = url
        self.search_timeout_s = search_timeout_s
        self.write_parallelism = write_parallelism or max(1, min(pool_size - 1, os.cpu_count() or 1))
        self._known_tags: set[str] = set()  # in tag_names, committed
        self.tag_cache_max = TAG_CACHE_MAX
        # JIT compiling costs 50-200 ms on a broad search's first rows and saves less than that here.
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            timeout=pool_timeout_s,
            kwargs={"autocommit": True, "options": "-c jit=off"},
            open=True,
        )
        self._pool_size = pool_size
        self._search_pool: ConnectionPool | None = None if search_timeout_s else self.pool
        self._search_pool_lock = threading.Lock()
        try:
            self.text_index = self._migrate(text_index, keep_text_index)
        except PoolTimeout as exc:
            self.close()
            # The pool only says it waited; one more attempt says what the server answers (a database
            # or role that does not exist, a password refused, nothing listening).
            try:
                psycopg.connect(url, connect_timeout=5).close()
                reason = "connections are possible again"
            except psycopg.Error as refused:
                reason = " ".join(str(refused).split())  # one line: libpq adds a hint on the next
            raise StoreUnavailable(f"no PostgreSQL connection within {pool_timeout_s:g} s: {reason}") from exc
        except BaseException:
            self.close()  # a refused start (RUM missing, a bad migration) leaves no pool threads behind
            raise

    def _migrate(self, text_index: str, keep_text_index: bool) -> str:
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS newsflow_migrations"
                " (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM newsflow_migrations").fetchall()}
            for number, script in enumerate(MIGRATIONS, start=1):
                if number not in done:
                    conn.execute(script)
                    conn.execute("INSERT INTO newsflow_migrations (version) VALUES (%s)", (number,))
            return self._ensure_text_index(conn, text_index, keep_text_index)

    @staticmethod
    def _ensure_text_index(conn: psycopg.Connection, chosen: str, keep: bool = False) -> str:
        """Builds the chosen text index if missing and drops the other: RUM answers the same matches as
        GIN, and two would double the writing cost. Runs under the migration lock, so concurrent starts
        build it once (a CREATE INDEX that locks writes: ~20 s for RUM over 100,000 articles). With
        `keep`, an index already there is the chosen one."""
        present = {
            kind
            for kind, name in TEXT_INDEXES.items()
            if _scalar(conn.execute("SELECT to_regclass(%s)", (name,))) is not None
        }
        if keep and present and chosen not in present:
            chosen = min(present)
        if chosen == "rum":
            offered = conn.execute(
                "SELECT installed_version IS NOT NULL FROM pg_available_extensions WHERE name = 'rum'"
            ).fetchone()
            if offered is None:
                raise RuntimeError(
                    "NEWSFLOW_PG_TEXT_INDEX=rum, but the server has no RUM extension"
                    " (Debian: postgresql-<version>-rum; compose: deploy/compose.rum.yaml)"
                )
            if not offered[0]:
                try:
                    with conn.transaction():  # a savepoint: the error below is the one to report
                        conn.execute("CREATE EXTENSION rum")
                except psycopg.errors.InsufficientPrivilege as exc:
                    raise RuntimeError(
                        f"NEWSFLOW_PG_TEXT_INDEX=rum, but CREATE EXTENSION rum was refused"
                        f" ({exc.diag.message_primary}); a superuser can create it"
                    ) from exc
        if present != {chosen}:
            log.info("store_text_index_switch", index=chosen, was=sorted(present))
            method = "rum (tsv rum_tsvector_ops)" if chosen == "rum" else "gin (tsv)"
            conn.execute(f"CREATE INDEX IF NOT EXISTS {TEXT_INDEXES[chosen]} ON article_text USING {method}")
            for other in present - {chosen}:
                conn.execute(f"DROP INDEX {TEXT_INDEXES[other]}")
        return chosen

    @property
    def search_pool(self) -> ConnectionPool:
        """With a time limit, searches run on connections of their own whose every statement is bounded
        (a search's page and its facets each): no round trip to set the limit, and writes, migrations
        and a BEGIN never meet it. Waiting for a free one (every one busy with other searches) is bounded
        by the same limit, instead of the pool's 30 s. Made at the first search: an indexer, which never
        searches, has no such pool and no threads for it."""
        with self._search_pool_lock:
            if self._search_pool is None:
                assert self.search_timeout_s
                limit = f"-c statement_timeout={max(1, round(self.search_timeout_s * 1000))}"
                self._search_pool = ConnectionPool(
                    self.url,
                    min_size=0,
                    max_size=self._pool_size,
                    timeout=self.search_timeout_s,
                    kwargs={"autocommit": True, "options": f"-c jit=off {limit}"},
                    open=True,
                )
            return self._search_pool

    def close(self) -> None:
        if self._search_pool is not None and self._search_pool is not self.pool:
            self._search_pool.close()
        self.pool.close()

    def upsert(
        self, articles: list[EnrichedArticle], first_seen: Mapping[str, datetime] | None = None
    ) -> None:
        """Large batches are split over parallel connections: to_tsvector costs ~0.6 ms an article on
        the server, so one backend caps indexing. Each part commits on its own; a failed part fails the
        call and the caller retries the batch, which upserts (idempotently) what had committed."""
        # The last version of an id within one batch wins, as it would across batches.
        latest = list({a.id: a for a in articles}.values())
        if not latest:
            return
        tags = [article_tags(a) for a in latest]
        self._add_tag_names(tags)
        first_seen = first_seen or {}
        parts = max(1, min(self.write_parallelism, len(latest) // PARALLEL_MIN_PART))
        if parts == 1:
            self._upsert(latest, tags, first_seen)
            return
        with ThreadPoolExecutor(parts) as pool:
            for future in [
                pool.submit(self._upsert, latest[i::parts], tags[i::parts], first_seen) for i in range(parts)
            ]:
                future.result()

    def _add_tag_names(self, tags: list[list[tuple[str, str, str]]]) -> None:
        """Display values of tags not seen before, committed before any article that holds them (facets
        look them up). In a transaction of its own: inside the parts', a name new to two parts made the
        second wait on `ON CONFLICT` until the first part committed, and the parts ran one after the
        other (100k bench: a third of the samples of a load waited there)."""
        names = {f"{kind}:{key}": value for t in tags for kind, key, value in t}
        new_names = sorted(set(names) - self._known_tags)  # in one order: two indexers never deadlock on them
        if new_names:
            with self.pool.connection() as conn:
                conn.execute(
                    "INSERT INTO tag_names (tag, value) SELECT * FROM unnest(%s::text[], %s::text[])"
                    " ON CONFLICT DO NOTHING",
                    (new_names, [names[t] for t in new_names]),
                )
        if len(self._known_tags) > self.tag_cache_max:  # a long-running indexer's memory stays bounded
            self._known_tags.clear()
        self._known_tags.update(new_names)  # committed

    def _upsert(
        self,
        latest: list[EnrichedArticle],
        tags: list[list[tuple[str, str, str]]],
        first_seen: Mapping[str, datetime],
    ) -> None:
        now = utcnow()
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                UPSERT,
                [
                    # The body lives once, in its column; the document holds the rest (measured: the body
                    # in both cost ~0.6 ms an article in JSONB and TOAST work).
                    # pydantic writes the JSON (in Rust): a third of the time of a dict through json.dumps.
                    {
                        "id": a.id,
                        "doc": a.model_dump_json(exclude={"text"}),
                        "title": a.title or "",
                        "body": a.text,
                        "site": a.site_name,
                        "lang": (a.language or "").lower() or None,
                        "published": a.published_at,
                        "now": now,
                        "first_seen": first_seen.get(a.id, now),
                        "tags": [f"{kind}:{key}" for kind, key, _ in t],
                        "facet_tags": [f"{kind}:{key}" for kind, key, _ in t if kind in query.TAG_FACETS],
                    }
                    for a, t in zip(latest, tags, strict=True)
                ],
                returning=True,
            )
            seqs = []
            while True:
                seqs.append(_scalar(cur))
                if not cur.nextset():
                    break
            cur.execute("DELETE FROM article_places WHERE article = ANY(%s)", (seqs,))
            # From the rows just written: an article's date is decided in SQL (its first sighting when it
            # has no publication date).
            cur.execute("DELETE FROM article_facet_tags WHERE article = ANY(%s)", (seqs,))
            cur.execute(
                "INSERT INTO article_facet_tags (article, tag, sort_at) SELECT a.seq, t, a.sort_at"
                " FROM articles a, unnest(a.facet_tags) t WHERE a.seq = ANY(%s)",
                (seqs,),
            )
            with cur.copy("COPY article_places (article, geonameid, lat, lon) FROM STDIN") as copy:
                for seq, a in zip(seqs, latest, strict=True):
                    for row in {(p.geonameid, p.lat, p.lon) for p in a.places}:
                        copy.write_row((seq, *row))

    @staticmethod
    def _article(doc: dict[str, Any], body: str) -> EnrichedArticle:
        return EnrichedArticle.model_validate({**doc, "text": body})

    def get(self, article_id: str) -> EnrichedArticle | None:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT doc, body FROM articles WHERE id = %s", (article_id,)).fetchone()
        return self._article(*row) if row else None

    def scan(self, after: int = 0, limit: int = 500) -> list[StoredArticle]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT seq, doc, body, first_seen_at FROM articles WHERE seq > %s ORDER BY seq LIMIT %s",
                (after, limit),
            ).fetchall()
        return [
            StoredArticle(seq, self._article(doc, body), first_seen) for seq, doc, body, first_seen in rows
        ]

    def count(self) -> int:
        with self.pool.connection() as conn:
            return _scalar(conn.execute("SELECT count(*) FROM articles"))

    def size_bytes(self) -> int:
        with self.pool.connection() as conn:
            return (
                _scalar(
                    conn.execute(
                        "SELECT sum(pg_total_relation_size(c))::bigint FROM unnest(ARRAY['articles','article_text',"
                        "'tag_names','article_places','article_facet_tags']::regclass[]) c"
                    )
                )
                or 0
            )

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

    def search(self, q: SearchQuery) -> SearchPage:
        try:
            with side_jobs() as submit:
                return self._search(q, submit)
        except (psycopg.errors.QueryCanceled, PoolTimeout) as exc:  # statement_timeout, or no free connection
            if not self.search_timeout_s:  # cancelled by someone else (pg_cancel_backend): not a time limit
                raise
            raise SearchTimeout(self.search_timeout_s) from exc

    def _search(self, q: SearchQuery, submit: Callable[..., Future]) -> SearchPage:
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
        facet_job = submit(self._facets, clause, params) if q.facets else None
        total = None
        browsed = self._browsed_tag(q, tsq)
        if browsed:
            rows, total = self._browse(q, browsed, cursor)
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
            with self.search_pool.connection() as conn:
                rows = conn.execute(page_sql, [*text_params, *page_params, q.limit + 1]).fetchall()
        elif self.text_index == "rum":
            assert tsq is not None  # relevance order needs query text (SearchQuery.by_date)
            offset = int(cursor.get("o", 0))
            # The facets, when asked for, count the matches too: one scan of them, not two at once.
            count_job = None if facet_job else submit(self._count, matches, params)
            with self.search_pool.connection() as conn:
                seqs = self._ranked_by_index(conn, tsq, clause, params, offset, q.limit + 1)
                rows = conn.execute(
                    f"SELECT a.seq, a.id, a.doc, a.sort_at, {snippet.format('a')}, NULL::bigint,"
                    " a.body FROM articles a WHERE a.seq = ANY(%s)",
                    [*text_params, seqs],
                ).fetchall()
            place = {seq: i for i, seq in enumerate(seqs)}
            rows.sort(key=lambda r: place[r[0]])
            total = count_job.result() if count_job else None
        else:
            assert tsq is not None
            offset = int(cursor.get("o", 0))
            page_sql, page_params = self._ranked_page(
                tsq, snippet, not cursor, text_only, matches, clause, params, offset, q.limit + 1
            )
            with self.search_pool.connection() as conn:
                rows = conn.execute(page_sql, page_params).fetchall()
            if rows and rows[0][5] is not None:
                total = rows[0][5]
        facets = None
        if facet_job:
            counted, facets = facet_job.result()
            total = counted if total is None else total
        if total is None:
            total = self._count(matches, params)
        more, rows = len(rows) > q.limit, rows[: q.limit]
        return SearchPage(
            total=total,
            results=[self._article(r[2], r[6]) for r in rows],
            snippets={r[1]: r[4] for r in rows if r[4]},
            facets=facets,
            next_cursor=next_cursor(q, (format_utc(rows[-1][3]), rows[-1][0]) if more else None, offset),
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
        ranked: list[tuple[int, Any, float]] = []
        with conn.transaction(), conn.cursor(name="newsflow_ranked") as cur:
            cur.execute(
                f"SELECT a.seq, a.sort_at, t.tsv <=> ({tsq[0]}) FROM articles a {clause}"
                f" ORDER BY t.tsv <=> ({tsq[0]})",
                [*tsq[1], *params, *tsq[1]],
            )
            size = need
            while True:
                rows = cur.fetchmany(size)
                ranked += rows
                if len(rows) < size or ranked[-1][2] > ranked[need - 1][2]:
                    break
                size = RANK_CHUNK
        ranked.sort(key=lambda r: (r[2], -r[1].timestamp(), -r[0]))
        return [r[0] for r in ranked[offset:need]]

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

    def _browse(self, q: SearchQuery, tag: str, cursor: dict[str, Any]) -> tuple[list[Any], int]:
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
        with self.search_pool.connection() as conn:
            rows = conn.execute(page_sql, [*params, q.limit + 1]).fetchall()
            total = _scalar(conn.execute(count_sql, count_params))
        return rows, total

    def _count(self, matches: str, params: list[Any]) -> int:
        with self.search_pool.connection() as conn:
            return _scalar(conn.execute(f"SELECT count(*) FROM {matches}", params))

    def _facets(self, clause: str, params: list[Any]) -> tuple[int, dict[str, dict[str, int]]]:
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
        with self.search_pool.connection() as conn:
            rows = conn.execute(sql, [*params, query.FACET_SIZE]).fetchall()
        total = next(n for facet, _, n in rows if facet == "total")
        return total, query.rank_facets(r for r in rows if r[0] != "total")
