"""The enrich worker: one news.articles entry -> places and tags -> one news.enriched entry."""

from __future__ import annotations

import anyio
from redis.asyncio import Redis

from newsflow.enrich.enricher import Enricher
from newsflow.errors import Overran
from newsflow.logs import get_logger
from newsflow.runtime import Entry, StageHandler
from newsflow.schemas import Article
from newsflow.streams import encode_event, parse_event

log = get_logger("newsflow.enrich")


class EnrichHandler(StageHandler):
    stage_name = "enrich"
    enricher: Enricher | None = None

    async def start(self, redis: Redis) -> None:
        # Loading the gazetteer and the model takes seconds: done once, before the first entry.
        max_chars = self.settings.enrich_max_chars
        self.enricher = await anyio.to_thread.run_sync(lambda: Enricher(max_chars=max_chars))

    async def handle(self, entry: Entry) -> dict[str, str]:
        assert self.enricher is not None
        article = parse_event(entry.fields, Article)
        budget = self.settings.enrich_budget_s or None
        # In a thread, so the event loop keeps serving Redis (and shutdown) while the model runs, and
        # can give up on it at the budget; the runtime then dead-letters the entry and exits (Overran).
        with anyio.move_on_after(budget) as scope:
            enriched = await anyio.to_thread.run_sync(self.enricher.enrich, article, abandon_on_cancel=True)
        if scope.cancelled_caught:
            raise Overran(
                f"enrichment took longer than its budget of {budget:g} s (NEWSFLOW_ENRICH_BUDGET_S)"
            )
        log.info(
            "article_enriched",
            places=len(enriched.places),
            focus=enriched.focus.country_code if enriched.focus else None,
            people=len(enriched.people),
            organizations=len(enriched.organizations),
        )
        return encode_event(enriched)
