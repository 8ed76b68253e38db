"""The enrich worker: one news.articles entry -> places and tags -> one news.enriched entry."""

from __future__ import annotations

import anyio
from redis.asyncio import Redis

from newsflow.enrich.enricher import Enricher
from newsflow.logs import get_logger
from newsflow.pipeline import Stage, stage_of
from newsflow.runtime import Entry
from newsflow.schemas import Article
from newsflow.settings import Settings
from newsflow.streams import encode_event, parse_event

log = get_logger("newsflow.enrich")


class EnrichHandler:
    def __init__(self, settings: Settings, stage: Stage | None = None):
        self.settings = settings
        self.stage: Stage = stage or stage_of(settings, "enrich")
        self.redis: Redis | None = None
        self.enricher: Enricher | None = None

    async def start(self, redis: Redis) -> None:
        self.redis = redis
        # Loading the gazetteer and the model takes seconds: done once, before the first entry.
        self.enricher = await anyio.to_thread.run_sync(Enricher)

    async def stop(self) -> None:
        pass

    async def handle(self, entry: Entry) -> dict[str, str]:
        assert self.redis is not None and self.enricher is not None
        article = parse_event(entry.fields, Article)
        # In a thread, so the event loop keeps serving Redis (and shutdown) while the model runs.
        enriched = await anyio.to_thread.run_sync(self.enricher.enrich, article)
        log.info(
            "article_enriched",
            places=len(enriched.places),
            focus=enriched.focus.country_code if enriched.focus else None,
            people=len(enriched.people),
            organizations=len(enriched.organizations),
        )
        return encode_event(enriched)
