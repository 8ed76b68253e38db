"""`newsflow store copy`: a laptop's SQLite archive into PostgreSQL and back, on real stores, through the
command as users run it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import psycopg
import pytest

from newsflow.search.postgres import PostgresStore
from newsflow.search.query import SearchQuery
from newsflow.search.sqlite import SqliteStore
from tests.integration.test_store_contract import ARTICLES, make


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli", "store", "copy", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **env},
    )


def archive(path) -> list:
    """The contract's articles, an undated one first seen in 2021 and enough more to take several batches."""
    store = SqliteStore(str(path))
    store.upsert(ARTICLES)
    store.upsert(
        [make("u1", "Undated story", "No publication date on this page.")],
        first_seen={"u1": datetime(2021, 5, 1, tzinfo=UTC)},
    )
    store.upsert(
        [
            make(
                f"b{i:03d}",
                f"Bulk story {i}",
                "Routine bulk report from Bamako.",
                published=datetime(2023, 1, 1 + i % 28, tzinfo=UTC),
            )
            for i in range(120)
        ]
    )
    stored = store.scan(0, 1000)
    store.close()
    return stored


def everything(store) -> dict:
    return {s.article.id: (s.article, s.first_seen_at) for s in store.scan(0, 10_000)}


def empty_postgres(url: str, text_index: str) -> None:
    store = PostgresStore(url, text_index=text_index)
    with store.pool.connection() as conn:
        conn.execute("TRUNCATE articles CASCADE")
    store.close()


@pytest.mark.postgres
def test_sqlite_to_postgres_and_back_keeps_every_article_and_its_first_sighting(tmp_path, postgres_url):
    source = tmp_path / "laptop.db"
    stored = archive(source)
    empty_postgres(postgres_url, "gin")

    out = cli("--from", f"sqlite:///{source}", "--to", postgres_url, "--batch", "50")
    assert out.returncode == 0, out.stderr
    assert f"copied {len(stored)} articles" in out.stdout and f"it holds {len(stored)}" in out.stdout
    target = PostgresStore(postgres_url)
    try:
        copied = everything(target)
        assert copied == {s.article.id: (s.article, s.first_seen_at) for s in stored}
        assert copied["u1"][1] == datetime(2021, 5, 1, tzinfo=UTC)
        # Searchable there, with the same answers: the undated story keeps its place by date.
        assert [a.id for a in target.search(SearchQuery(q="undated")).results] == ["u1"]
        assert [a.id for a in target.search(SearchQuery(sort="date", limit=200)).results][-2:] == ["a1", "u1"]
    finally:
        target.close()

    again = cli("--from", f"sqlite:///{source}", "--to", postgres_url)  # idempotent: nothing doubles
    assert again.returncode == 0, again.stderr
    assert f"it holds {len(stored)}" in again.stdout

    back = tmp_path / "back.db"
    out = cli("--from", postgres_url, "--to", f"sqlite:///{back}")
    assert out.returncode == 0, out.stderr
    restored = SqliteStore(str(back))
    try:
        assert everything(restored) == {s.article.id: (s.article, s.first_seen_at) for s in stored}
    finally:
        restored.close()


@pytest.mark.postgres
def test_a_copy_leaves_a_databases_text_index_as_it_is(tmp_path, postgres_rum_url):
    source = tmp_path / "laptop.db"
    archive(source)
    empty_postgres(postgres_rum_url, "rum")  # a deployment on RUM; the copying shell says nothing of it
    out = cli("--from", f"sqlite:///{source}", "--to", postgres_rum_url)
    assert out.returncode == 0, out.stderr
    out = cli("--from", postgres_rum_url, "--to", f"sqlite:///{tmp_path / 'back.db'}")
    assert out.returncode == 0, out.stderr
    with psycopg.connect(postgres_rum_url) as conn:  # not through a store, which would pick an index
        present = conn.execute(
            "SELECT to_regclass('article_text_rum') IS NOT NULL, to_regclass('article_text_gin') IS NOT NULL"
        ).fetchone()
    assert present == (True, False)


def test_the_running_stacks_store_is_the_default_source(tmp_path):
    archive(tmp_path / "newsflow.db")  # where `newsflow up` keeps it, under NEWSFLOW_DATA_DIR
    out = cli("--to", f"sqlite:///{tmp_path / 'copy.db'}", NEWSFLOW_DATA_DIR=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "copied 126 articles" in out.stdout


@pytest.mark.parametrize(
    "args,reason",
    [
        (["--from", "sqlite:///{tmp}/a.db", "--to", "sqlite:///{tmp}/../{name}/a.db"], "the same store"),
        (["--from", "sqlite:///{tmp}/missing.db", "--to", "sqlite:///{tmp}/b.db"], "no store at"),
        (["--from", "sqlite:///{tmp}/a.db", "--to", "mysql://somewhere/db"], "unsupported store URL scheme"),
    ],
)
def test_a_copy_that_cannot_be_made_says_why(tmp_path, args, reason):
    archive(tmp_path / "a.db")
    out = cli(*[a.format(tmp=tmp_path, name=tmp_path.name) for a in args])
    assert out.returncode == 2
    assert reason in out.stderr
    assert not (tmp_path / "missing.db").exists()  # a missing source is not made, empty, by opening it
