"""The toy stage's handler: an enriched article in, its word count out."""

from __future__ import annotations

import json

from redis.asyncio import Redis

from newsflow.pipeline import Stage
from newsflow.runtime import Entry
from newsflow.schemas import EnrichedArticle
from newsflow.settings import Settings
from newsflow.streams import parse_event


class WordCountHandler:
    def __init__(self, settings: Settings, stage: Stage):
        self.settings, self.stage = settings, stage

    async def start(self, redis: Redis) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def handle(self, entry: Entry) -> dict[str, str]:
        article = parse_event(entry.fields, EnrichedArticle)
        count = {"id": article.id, "words": len(article.text.split()), "title": article.title}
        return {"id": article.id, "schema": "word-count/1", "json": json.dumps(count)}
