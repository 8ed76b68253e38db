"""The PostgreSQL store's schema: numbered migrations, run on start, each once, and its text index.

A database records the migrations applied to it in `newsflow_migrations`. Add a migration at the end
of MIGRATIONS, never edit one that has shipped: a database written by any earlier version is upgraded in
place by the ones it lacks (tests/integration/test_pg_upgrade.py starts from migration 1).
"""

from __future__ import annotations

from typing import Any

import psycopg

from newsflow.logs import get_logger

MIGRATION_LOCK = 7_202_611  # pg_advisory_xact_lock key: one migrating process at a time
TEXT_INDEXES = {"gin": "article_text_gin", "rum": "article_text_rum"}

log = get_logger("newsflow.store")


def scalar(cur: psycopg.Cursor[Any]) -> Any:
    """The first column of the one row a statement returns (a count, a sequence value, to_regclass)."""
    row = cur.fetchone()
    if row is None:
        raise psycopg.ProgrammingError("the statement returned no row")
    return row[0]


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


def migrate(conn: psycopg.Connection, text_index: str, keep_text_index: bool) -> str:
    """Every migration not yet applied, then the chosen text index; returns the text index in use.

    Under a transaction-scoped advisory lock: processes starting together migrate one at a time, and
    each migration runs once."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS newsflow_migrations"
            " (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {version for (version,) in conn.execute("SELECT version FROM newsflow_migrations").fetchall()}
        for number, script in enumerate(MIGRATIONS, start=1):
            if number not in done:
                conn.execute(script)
                conn.execute("INSERT INTO newsflow_migrations (version) VALUES (%s)", (number,))
        return ensure_text_index(conn, text_index, keep_text_index)


def ensure_text_index(conn: psycopg.Connection, chosen: str, keep: bool = False) -> str:
    """Builds the chosen text index if missing and drops the other: RUM answers the same matches as
    GIN, and two would double the writing cost. Runs under the migration lock, so concurrent starts
    build it once (a CREATE INDEX that locks writes: ~20 s for RUM over 100,000 articles). With
    `keep`, an index already there is the chosen one."""
    present = {
        kind
        for kind, name in TEXT_INDEXES.items()
        if scalar(conn.execute("SELECT to_regclass(%s)", (name,))) is not None
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
