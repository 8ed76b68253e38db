"""The search store contract, and the choice of implementation from NEWSFLOW_STORE_URL."""

from __future__ import annotations

from typing import Protocol

from newsflow.index.query import SearchPage, SearchQuery

from newsflow.schemas import EnrichedArticle


class Store(Protocol):
    def upsert(self, articles: list[EnrichedArticle]) -> None: ...
    def get(self, article_id: str) -> EnrichedArticle | None: ...
    def search(self, query: SearchQuery) -> SearchPage: ...
    def count(self) -> int: ...
    def close(self) -> None: ...


def open_store(url: str) -> Store:
    if url.startswith("sqlite:///"):
        from newsflow.index.sqlite_store import SqliteStore  # noqa: PLC0415

        return SqliteStore(url.removeprefix("sqlite:///"))
    scheme = url.split(":", 1)[0]
    raise ValueError(f"unsupported store URL scheme {scheme!r} (supported: sqlite:///PATH)")
