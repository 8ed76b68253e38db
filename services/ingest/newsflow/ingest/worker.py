"""The ingest worker: one news.urls entry -> fetched, extracted -> one news.articles entry."""

from __future__ import annotations

import json

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newsflow.errors import Defer, Quarantine, Requeue, Skip
from newsflow.ingest import dedup
from newsflow.ingest.extract import ExtractionError, extract_article
from newsflow.ingest.fetch import Fetcher, FetchError
from newsflow.logs import get_logger
from newsflow.metrics import FETCH_RESPONSES
from newsflow.runtime import Entry, StageHandler
from newsflow.schemas import UrlSubmitted, utcnow
from newsflow.streams import encode_event
from newsflow.urls import InvalidUrl, id_for_url

log = get_logger("newsflow.ingest")


def parse_url_entry(fields: dict[str, str]) -> UrlSubmitted:
    """`url` as a plain field (XADD news.urls * url https://...), or a JSON document holding one."""
    try:
        if "url" in fields:
            return UrlSubmitted(
                url=fields["url"],
                force=fields.get("force", "") in ("1", "true", "yes"),
                source=fields.get("source"),
                feed=fields.get("feed") or None,
            )
        for key in ("json", "__data__"):
            if key in fields:
                return UrlSubmitted.model_validate_json(fields[key])
    except (ValidationError, json.JSONDecodeError, RecursionError) as exc:
        raise Quarantine(
            f"malformed url entry: {exc.errors()[0]['msg'] if isinstance(exc, ValidationError) else exc}"
        ) from exc
    raise Quarantine(f"malformed url entry: no 'url' field (fields: {sorted(fields)[:10]})")


class IngestHandler(StageHandler):
    stage_name = "ingest"
    redis: Redis | None = None
    fetcher: Fetcher | None = None

    async def start(self, redis: Redis) -> None:
        self.redis = redis
        self.fetcher = Fetcher(self.settings)

    async def stop(self) -> None:
        if self.fetcher:
            await self.fetcher.aclose()

    async def handle(self, entry: Entry) -> dict[str, str]:
        assert self.redis is not None and self.fetcher is not None
        submitted = parse_url_entry(entry.fields)
        entry.identify(url=submitted.url)
        try:
            article_id, _ = id_for_url(submitted.url)
        except InvalidUrl as exc:
            raise Quarantine(f"invalid URL: {exc}") from exc
        entry.identify(article_id=article_id)
        if not submitted.force and (
            prior := await dedup.already_ingested(self.redis, self.settings, article_id)
        ):
            as_ = "" if prior.get("id") == article_id else f" as {prior.get('id')}"
            raise Skip(f"already ingested{as_} at {prior.get('at')}; push with --force to fetch it again")
        try:
            page = await self.fetcher.fetch(submitted.url)
        except FetchError as exc:
            if exc.attempted:
                FETCH_RESPONSES.labels(str(exc.status) if exc.status else "error").inc()
            if exc.permanent:
                raise Quarantine(exc.reason) from exc
            if not exc.attempted:
                raise Defer(exc.reason, retry_after_s=exc.retry_after_s) from exc
            raise Requeue(exc.reason, retry_after_s=exc.retry_after_s) from exc
        FETCH_RESPONSES.labels(str(page.status)).inc()
        try:
            article = extract_article(page.html, submitted.url, final_url=page.final_url, fetched_at=utcnow())
        except ExtractionError as exc:
            raise Quarantine(str(exc)) from exc
        article.feed = submitted.feed
        fp = dedup.fingerprint(article.text)
        article.fingerprint = f"{fp:016x}" if fp is not None else None
        article.duplicate_of = await dedup.find_original(self.redis, self.settings, article)
        log.info(
            "article_extracted",
            title=article.title,
            chars=len(article.text),
            status=page.status,
            encoding=page.encoding,
            redirects=len(page.redirects),
            duplicate_of=article.duplicate_of,
        )
        entry.state["article"] = article
        return encode_event(article)

    def after_publish(self, pipe: Pipeline, entry: Entry, output: dict[str, str]) -> None:
        """On the publishing MULTI: later pushes of this URL (and copies of this body) find it."""
        dedup.mark_ingested(pipe, self.settings, entry.state["article"])
