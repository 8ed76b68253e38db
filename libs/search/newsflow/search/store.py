"""The search store contract, what every store indexes of an article, and the choice of store."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Protocol
from urllib.parse import urlsplit

from newsflow.schemas import EnrichedArticle
from newsflow.search.query import SearchPage, SearchQuery
from newsflow.settings import Settings
from newsflow.text import fold


class StoredArticle(NamedTuple):
    position: int  # the order in which the store first took the article; `scan` pages by it
    article: EnrichedArticle
    first_seen_at: datetime


class Store(Protocol):
    def upsert(
        self, articles: list[EnrichedArticle], first_seen: Mapping[str, datetime] | None = None
    ) -> None:
        """Insert or replace by id. An article's first_seen_at (its date when it has no publication date)
        is its earliest sighting: now for a new article, unless `first_seen` gives an earlier time (aware)
        by id, as a copy from another store does. A call that fails may have written part of the batch
        (PostgreSQL commits its parallel parts apart): retrying it is safe."""

    def get(self, article_id: str) -> EnrichedArticle | None: ...

    def scan(self, after: int = 0, limit: int = 500) -> list[StoredArticle]:
        """Up to `limit` stored articles past position `after`, in the order they were first stored: every
        article, a page at a time, for a copy. Articles stored during a scan land after it, so a scan that
        goes on to the end sees them too."""

    def search(self, query: SearchQuery) -> SearchPage:
        """One page of matches; raises SearchTimeout past the store's time limit (search_timeout_s)."""

    def count(self) -> int: ...
    def size_bytes(self) -> int: ...
    def close(self) -> None: ...


SQLITE_SCHEME = "sqlite:///"
TAG_CACHE_MAX = 500_000  # tags a store remembers; past it the memory is let go and misses ask the database


@lru_cache(maxsize=1)
def background() -> ThreadPoolExecutor:
    """Threads that run a search's facets (and total) on other connections while the page is found;
    one pool for every store of the process."""
    return ThreadPoolExecutor(4, thread_name_prefix="store-background")


@contextmanager
def side_jobs() -> Iterator[Callable[..., Future]]:
    """A submit function for work beside a search (its facets, its total) on background(); all of it is
    waited for on the way out, when the search fails too. A job left running holds a connection of a
    store that may be closed next, and SQLite must not close a connection another thread is stepping
    (`newsflow search` died of SIGSEGV once, in a test run, after its search was stopped at the time
    limit while the facets ran; not reproduced since, but this leaves no such window)."""
    jobs: list[Future] = []

    def submit(fn: Callable[..., object], *args: object) -> Future:
        jobs.append(background().submit(fn, *args))
        return jobs[-1]

    try:
        yield submit
    finally:
        wait(jobs)


# Tag values repeat across articles (countries, topics, busy people and organisations): folding each
# once is a fifth of a SQLite upsert's Python time saved.
_fold = lru_cache(maxsize=200_000)(fold)


def article_tags(article: EnrichedArticle) -> list[tuple[str, str, str]]:
    """(kind, folded key, display value) of everything a search can filter or facet on."""
    pairs: list[tuple[str, str]] = [("country", c) for c in article.countries]
    pairs += [("person", p) for p in article.people]
    pairs += [("organization", o) for o in article.organizations]
    pairs += [("keyword", k) for k in article.keywords]
    pairs += [("topic", t) for t in article.topics]
    for p in article.places:
        pairs.append(("place", p.resolved_name or p.name))
        pairs.append(("place", p.name))
        if p.geonameid is not None:
            pairs.append(("place_id", str(p.geonameid)))
    if article.focus and article.focus.country_code:
        pairs.append(("focus_country", article.focus.country_code))
    # A site is found by its name or its host ("Deutsche Welle", "dw.com").
    if article.site_name:
        pairs.append(("site", article.site_name))
    for url in (article.canonical_url, article.url):
        host = urlsplit(url).hostname if url else None
        if host:
            pairs.append(("site", host.removeprefix("www.")))
    seen: dict[tuple[str, str], str] = {}
    for kind, value in pairs:
        seen.setdefault((kind, _fold(value)), value)
    return [(kind, key, value) for (kind, key), value in seen.items()]


def open_configured_store(settings: Settings) -> Store:
    """The store the settings name, opened as every process of a deployment must open it: with the
    same PostgreSQL text index, since opening builds that index and drops the other."""
    return open_store(settings.effective_store_url, settings.pg_text_index, settings.search_timeout_s or None)


def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:///PATH store URL; None for any other scheme."""
    return Path(url.removeprefix(SQLITE_SCHEME)) if url.startswith(SQLITE_SCHEME) else None


def open_store(
    url: str, pg_text_index: str = "gin", search_timeout_s: float | None = None, keep_text_index: bool = False
) -> Store:
    """search_timeout_s: a search running longer is stopped with SearchTimeout (None: no limit).
    keep_text_index: a PostgreSQL database that has a text index keeps it; pg_text_index is then for a new
    one (a copy reads and fills another deployment's store without rebuilding its index)."""
    if sqlite_path(url) is not None:
        from newsflow.search.sqlite import SqliteStore

        return SqliteStore(url.removeprefix(SQLITE_SCHEME), search_timeout_s=search_timeout_s)
    if url.startswith(("postgresql://", "postgres://")):
        from newsflow.search.postgres import PostgresStore

        return PostgresStore(
            url, text_index=pg_text_index, search_timeout_s=search_timeout_s, keep_text_index=keep_text_index
        )
    scheme = url.split(":", 1)[0]
    raise ValueError(f"unsupported store URL scheme {scheme!r} (supported: sqlite:///PATH, postgresql://…)")
