"""The index worker: one news.enriched entry -> upserted into the search store."""

from __future__ import annotations

from newsflow.index.store import Store, open_store
from redis.asyncio import Redis

from newsflow.logs import get_logger
from newsflow.runtime import Entry
from newsflow.schemas import EnrichedArticle
from newsflow.settings import Settings
from newsflow.streams import Stage, parse_event, stages

log = get_logger("newsflow.index")


class IndexHandler:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.stage: Stage = stages(settings)["index"]
        self.concurrency = 1  # one writer; SQLite serialises writes anyway
        self.store: Store | None = None

    async def start(self, redis: Redis) -> None:
        self.store = open_store(self.settings.effective_store_url)

    async def stop(self) -> None:
        if self.store:
            self.store.close()

    async def handle(self, entry: Entry) -> None:
        assert self.store is not None
        article = parse_event(entry.fields, EnrichedArticle)
        # SQLite upserts take milliseconds; the store connection stays on the loop thread.
        self.store.upsert([article])
        log.info("article_indexed", title=article.title)
