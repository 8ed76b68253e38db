"""The PostgreSQL store: its connection pools and writes (parallel upserts, tag names first). Its schema
is newsflow.search.postgres.migrations, its searches newsflow.search.postgres.search."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from newsflow.logs import get_logger
from newsflow.schemas import EnrichedArticle, utcnow
from newsflow.search import query
from newsflow.search.postgres.migrations import TEXT_INDEXES, migrate, scalar
from newsflow.search.postgres.search import PostgresSearch, article_of
from newsflow.search.store import TAG_CACHE_MAX, StoredArticle, article_tags

PARALLEL_MIN_PART = 50  # below this many articles a part, a second connection costs more than it saves

log = get_logger("newsflow.store")


class StoreUnavailable(RuntimeError):
    """The store's database could not be reached at start, with the server's reason."""


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


class PostgresStore(PostgresSearch):
    """Connections, migrations on start, and writes; how searches are answered is PostgresSearch's."""

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
            with self.pool.connection() as conn:
                self.text_index = migrate(conn, text_index, keep_text_index)
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
                seqs.append(scalar(cur))
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

    def get(self, article_id: str) -> EnrichedArticle | None:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT doc, body FROM articles WHERE id = %s", (article_id,)).fetchone()
        return article_of(*row) if row else None

    def scan(self, after: int = 0, limit: int = 500) -> list[StoredArticle]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT seq, doc, body, first_seen_at FROM articles WHERE seq > %s ORDER BY seq LIMIT %s",
                (after, limit),
            ).fetchall()
        return [StoredArticle(seq, article_of(doc, body), first_seen) for seq, doc, body, first_seen in rows]

    def count(self) -> int:
        with self.pool.connection() as conn:
            return scalar(conn.execute("SELECT count(*) FROM articles"))

    def size_bytes(self) -> int:
        with self.pool.connection() as conn:
            return (
                scalar(
                    conn.execute(
                        "SELECT sum(pg_total_relation_size(c))::bigint FROM unnest(ARRAY['articles','article_text',"
                        "'tag_names','article_places','article_facet_tags']::regclass[]) c"
                    )
                )
                or 0
            )
