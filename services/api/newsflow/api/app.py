"""The HTTP API: push URLs, search, read one article, health and Prometheus metrics."""
# No `from __future__ import annotations` here: FastAPI must evaluate the Annotated[..., Depends(local)] hints.

import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from redis.asyncio import Redis

from newsflow.logs import get_logger
from newsflow.metrics import (
    DEAD_LETTERS,
    SEARCH_SECONDS,
    SEARCHES,
    STORE_ARTICLES,
    STREAM_LAG,
    STREAM_LENGTH,
    STREAM_PENDING,
    URLS_PUSHED,
)
from newsflow.push import Backpressure, push_urls
from newsflow.schemas import EnrichedArticle
from newsflow.search.query import SearchPage, SearchParams, SearchTimeout
from newsflow.search.store import Store, open_configured_store
from newsflow.settings import Settings, get_settings
from newsflow.stackfile import resolve_redis_url
from newsflow.status import collect_status

log = get_logger("newsflow.api")

MAX_URLS_PER_REQUEST = 1000


class BodyLimit:
    """Refuses request bodies over max_bytes with 413, by Content-Length or while reading a chunked body."""

    def __init__(self, app: Any, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await self._too_large(send)
        # Read the body here, at most max_bytes of it, and hand it on: FastAPI would turn an error raised
        # from receive() into a 400.
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                return await self._too_large(send)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Any) -> None:
        body = f'{{"detail": "request body larger than {self.max_bytes} bytes"}}'.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class UrlsIn(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=MAX_URLS_PER_REQUEST)
    force: bool = False


class Queued(BaseModel):
    url: str
    id: str
    entry_id: str


class Rejected(BaseModel):
    url: str
    error: str


class PushOut(BaseModel):
    queued: list[Queued]
    rejected: list[Rejected]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    bearer = HTTPBearer(auto_error=False)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = Redis.from_url(resolve_redis_url(settings))
        app.state.store = open_configured_store(settings)
        yield
        await app.state.redis.aclose()
        app.state.store.close()

    app = FastAPI(
        title="newsflow",
        version=version("newsflow-api"),
        lifespan=lifespan,
        description="Push news URLs; search the geolocated, tagged articles that come out.",
    )
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)

    def redis_of(request: Request) -> Redis:
        return request.app.state.redis

    def store_of(request: Request) -> Store:
        return request.app.state.store

    def require_token(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        if settings.api_token is None:
            return
        expected = settings.api_token.get_secret_value()
        if creds is None or not secrets.compare_digest(creds.credentials.encode(), expected.encode()):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "missing or wrong bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )

    @app.post(
        "/v1/urls",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=PushOut,
        dependencies=[Depends(require_token)],
    )
    async def post_urls(
        body: Annotated[
            list[str] | UrlsIn, Body(description='a JSON list of URLs, or {"urls": [...], "force": bool}')
        ],
        redis: Annotated[Redis, Depends(redis_of)],
    ) -> PushOut:
        urls, force = (body.urls, body.force) if isinstance(body, UrlsIn) else (body, False)
        if not urls or len(urls) > MAX_URLS_PER_REQUEST:
            raise HTTPException(422, f"send between 1 and {MAX_URLS_PER_REQUEST} URLs")
        try:
            results = await push_urls(redis, settings, urls, force=force, source="api")
        except Backpressure as exc:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS, str(exc), headers={"Retry-After": str(exc.retry_after)}
            ) from exc
        queued = [Queued(url=r.url, id=r.id, entry_id=r.entry_id) for r in results if r.id and r.entry_id]
        rejected = [Rejected(url=r.url, error=r.error or "") for r in results if r.error]
        if not queued:
            raise HTTPException(422, {"rejected": [r.model_dump() for r in rejected]})
        URLS_PUSHED.inc(len(queued))
        return PushOut(queued=queued, rejected=rejected)

    @app.get(
        "/v1/search",
        response_model=SearchPage,
        responses={504: {"description": "the search ran past NEWSFLOW_SEARCH_TIMEOUT_S and was stopped"}},
    )
    def search(
        store: Annotated[Store, Depends(store_of)], params: Annotated[SearchParams, Query()]
    ) -> SearchPage:
        try:
            query = params.to_query()
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        started = time.perf_counter()
        try:
            page = store.search(query)
        except SearchTimeout as exc:
            SEARCHES.labels("timeout").inc()
            log.warning(
                "search_timeout",
                query=query.model_dump(exclude_defaults=True, mode="json"),
                timeout_s=exc.seconds,
            )
            raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, str(exc)) from exc
        finally:
            SEARCH_SECONDS.observe(time.perf_counter() - started)
        SEARCHES.labels("ok").inc()
        return page

    @app.get("/v1/articles/{article_id}", response_model=EnrichedArticle)
    def get_article(article_id: str, store: Annotated[Store, Depends(store_of)]) -> EnrichedArticle:
        article = store.get(article_id)
        if article is None:
            raise HTTPException(404, f"no article {article_id}")
        return article

    @app.get("/healthz")
    async def healthz(request: Request, response: Response) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            checks["redis"] = bool(await redis_of(request).ping())
        except Exception as exc:  # noqa: BLE001 - health reports, never raises
            checks["redis"] = f"error: {type(exc).__name__}"
        try:
            checks["store_articles"] = store_of(request).count()
        except Exception as exc:  # noqa: BLE001
            checks["store_articles"] = f"error: {type(exc).__name__}"
        ok = checks["redis"] is True and isinstance(checks["store_articles"], int)
        if not ok:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "ok" if ok else "degraded", **checks}

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        try:
            snapshot = await collect_status(redis_of(request), settings, store_of(request).count())
            for stream, info in snapshot["streams"].items():
                STREAM_LENGTH.labels(stream).set(info["length"])
                for group, g in info["groups"].items():
                    STREAM_PENDING.labels(stream, group).set(g["pending"])
                    if g["lag"] is not None:
                        STREAM_LAG.labels(stream, group).set(g["lag"])
            DEAD_LETTERS.set(snapshot["dead_letters"])
            STORE_ARTICLES.set(snapshot["store"]["articles"] or 0)
        except Exception:  # noqa: BLE001 - stale gauges beat a failed scrape
            pass
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
