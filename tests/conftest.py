"""Shared fixtures. Integration tests use a real redis-server: NEWSFLOW_TEST_REDIS_URL when set,
otherwise one the suite starts itself (the same embedded redis-server `newsflow up` uses)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from newsflow.settings import Settings

REPO = Path(__file__).resolve().parent.parent
PAGES = REPO / "libs" / "cli" / "newsflow" / "cli" / "demo" / "pages"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("NEWSFLOW_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    from newsflow.redis_server import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def settings(tmp_path: Path, redis_url: str) -> Settings:
    """Settings of one test: its own streams (so tests never see each other's entries) and data dir."""
    tag = uuid.uuid4().hex[:8]
    return Settings(
        redis_url=redis_url,
        data_dir=tmp_path,
        stream_urls=f"t{tag}.urls",
        stream_articles=f"t{tag}.articles",
        stream_enriched=f"t{tag}.enriched",
        stream_dlq=f"t{tag}.dlq",
        fetch_allow_private=True,
        fetch_host_interval_s=0,  # one local test server; politeness has its own tests
        claim_idle_ms=60_000,
    )


@pytest.fixture(scope="session")
def gazetteer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gazetteer")


@pytest.fixture(scope="session")
def enricher(gazetteer_dir: Path):
    from newsflow.enrich.enricher import Enricher
    from newsflow.enrich.gazetteer import load_gazetteer

    return Enricher(gazetteer=load_gazetteer(gazetteer_dir))


@pytest.fixture(scope="session")
def dw_html() -> str:
    return (PAGES / "dw-mali-russia.html").read_text()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on a real PostgreSQL (NEWSFLOW_TEST_POSTGRES_URL, else 127.0.0.1:5432), dropped after.

    Without a PostgreSQL the tests skip, except under CI=true, where a missing server fails the run.
    """
    import psycopg

    base = os.environ.get("NEWSFLOW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _missing(f"PostgreSQL not reachable at {base}: {exc}")
    name = f"newsflow_test_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session")
def postgres_rum_url(postgres_url: str) -> str:
    """The test database, on a PostgreSQL that offers the RUM extension (the compose image's text index).

    Without it the RUM tests skip, except under CI=true (`.ci/run` installs the Debian package)."""
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        offered = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'").fetchone()
    if offered is None:
        _missing("this PostgreSQL has no RUM extension (Debian: postgresql-<version>-rum)")
    return postgres_url


def _missing(message: str) -> NoReturn:
    """A service the tests need is absent: they skip, except under CI=true, where they must run."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message + " (CI=true: these tests must run, not skip)")
    pytest.skip(message)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that run whole processes (e2e, faults, install) are `slow`: `./dev fast` leaves them out."""
    for item in items:
        if any(item.get_closest_marker(m) for m in ("e2e", "faults", "install")):
            item.add_marker(pytest.mark.slow)
