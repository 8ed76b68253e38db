"""The index worker: news.enriched entries -> upserted into the search store, a batch at a time."""

from __future__ import annotations

from redis.asyncio import Redis

from newsflow.errors import Quarantine
from newsflow.logs import get_logger
from newsflow.runtime import BatchHandler, Entry
from newsflow.schemas import EnrichedArticle
from newsflow.search.store import Store, open_configured_store
from newsflow.streams import parse_event

log = get_logger("newsflow.index")


class IndexHandler(BatchHandler):
    stage_name = "index"
    store: Store | None = None

    async def start(self, redis: Redis) -> None:
        self.store = open_configured_store(self.settings)

    async def stop(self) -> None:
        if self.store:
            self.store.close()

    async def handle_batch(self, entries: list[Entry]) -> list[tuple[Entry, Exception]]:
        """Store every well-formed entry in one transaction; return the malformed ones, with why."""
        assert self.store is not None
        parsed: list[tuple[Entry, EnrichedArticle]] = []
        rejected: list[tuple[Entry, Exception]] = []
        for entry in entries:
            try:
                parsed.append((entry, parse_event(entry.fields, EnrichedArticle)))
            except Quarantine as exc:
                rejected.append((entry, exc))
        self.store.upsert([article for _, article in parsed])
        for entry, article in parsed:
            log.info("article_indexed", entry_id=entry.entry_id, article_id=article.id, title=article.title)
        return rejected

    async def handle(self, entry: Entry) -> None:
        """One entry at a time: retries, which the reclaimer hands over one by one."""
        assert self.store is not None
        article = parse_event(entry.fields, EnrichedArticle)
        # SQLite upserts take milliseconds; the store connection stays on the loop thread.
        self.store.upsert([article])
        log.info("article_indexed", title=article.title)
