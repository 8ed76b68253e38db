"""The toy stage's handler: an enriched article in, its word count out."""

from __future__ import annotations

import json

from newsflow.runtime import Entry, StageHandler
from newsflow.schemas import EnrichedArticle
from newsflow.streams import parse_event


class WordCountHandler(StageHandler):
    stage_name = "wordcount"

    async def handle(self, entry: Entry) -> dict[str, str]:
        article = parse_event(entry.fields, EnrichedArticle)
        count = {"id": article.id, "words": len(article.text.split()), "title": article.title}
        return {"id": article.id, "schema": "word-count/1", "json": json.dumps(count)}
