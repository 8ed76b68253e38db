"""The index worker: one news.enriched entry -> upserted into the search store."""

from __future__ import annotations

from redis.asyncio import Redis

from newsflow.errors import Quarantine
from newsflow.logs import get_logger
from newsflow.pipeline import Stage, stage_of
from newsflow.runtime import Entry
from newsflow.schemas import EnrichedArticle
from newsflow.search.store import Store, open_configured_store
from newsflow.settings import Settings
from newsflow.streams import parse_event

log = get_logger("newsflow.index")


class IndexHandler:
    def __init__(self, settings: Settings, stage: Stage | None = None):
        self.settings = settings
        self.stage: Stage = stage or stage_of(settings, "index")
        self.store: Store | None = None

    async def start(self, redis: Redis) -> None:
        self.store = open_configured_store(self.settings)

    async def stop(self) -> None:
        if self.store:
            self.store.close()

    async def handle_batch(self, entries: list[Entry]) -> list[tuple[Entry, Exception]]:
        """Store every well-formed entry in one transaction; return the malformed ones, with why."""
        assert self.store is not None
        articles, rejected = [], []
        for entry in entries:
            try:
                articles.append(parse_event(entry.fields, EnrichedArticle))
            except Quarantine as exc:
                rejected.append((entry, exc))
        self.store.upsert(articles)
        for entry, article in zip(
            [e for e in entries if all(e is not r for r, _ in rejected)], articles, strict=True
        ):
            log.info("article_indexed", entry_id=entry.entry_id, article_id=article.id, title=article.title)
        return rejected

    async def handle(self, entry: Entry) -> None:
        """One entry at a time: retries, which the reclaimer hands over one by one."""
        assert self.store is not None
        article = parse_event(entry.fields, EnrichedArticle)
        # SQLite upserts take milliseconds; the store connection stays on the loop thread.
        self.store.upsert([article])
        log.info("article_indexed", title=article.title)
