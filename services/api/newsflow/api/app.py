"""The HTTP API: push URLs, search, read one article, health and Prometheus metrics."""
# No `from __future__ import annotations` here: FastAPI must evaluate the Annotated[..., Depends(local)] hints.

import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from newsflow.errors import one_line
from newsflow.logs import get_logger
from newsflow.metrics import (
    DEAD_LETTERS,
    SEARCH_SECONDS,
    SEARCHES,
    SOURCES,
    STORE_ARTICLES,
    STREAM_LAG,
    STREAM_LENGTH,
    STREAM_PENDING,
    URLS_PUSHED,
)
from newsflow.push import RETRY_AFTER_S, Backpressure, push_urls
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
        await send_error(send, 413, f"request body larger than {self.max_bytes} bytes")


# Every error the API answers has one shape: {"error": a code per status, "detail": what went wrong}.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid",
    429: "busy",
    500: "internal",
    503: "unavailable",
    504: "timeout",
}


def error_body(status_code: int, detail: Any) -> dict[str, Any]:
    return {"error": ERROR_CODES.get(status_code, "error"), "detail": detail}


async def send_error(send: Any, status_code: int, detail: str, headers: dict[str, str] | None = None) -> None:
    """An error response from ASGI middleware, before FastAPI sees the request."""
    body = json.dumps(error_body(status_code, detail)).encode()
    extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send(
        {
            "type": "http.response.start",
            "status": status_code,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class TokenGate:
    """Writes (any method but GET, HEAD, OPTIONS) need the bearer token; checked before the body is
    read, so a caller without it learns nothing from how its body would have been parsed."""

    def __init__(self, app: Any, token: str | None):
        self.app, self.token = app, token

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.token is None or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        if scheme.lower() != b"bearer" or not secrets.compare_digest(given.strip(), self.token.encode()):
            return await send_error(
                send, 401, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"}
            )
        await self.app(scope, receive, send)


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


class ErrorOut(BaseModel):
    """The body of every error the API answers."""

    error: str = Field(
        description="a code per status: " + ", ".join(f"{k} {v}" for k, v in ERROR_CODES.items())
    )
    detail: Any = Field(description="what went wrong: a sentence, or a list of what was invalid")


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    reasons = {
        400: "the body is not JSON (or not UTF-8)",
        401: "the bearer token is missing or wrong (writes only)",
        404: "no such article (or source)",
        413: "the request body is larger than NEWSFLOW_API_MAX_BODY_BYTES",
        422: "invalid parameters or body; for URLs, the rejected ones with their reasons",
        429: "news.urls is backed up past NEWSFLOW_URLS_MAX_LAG: retry after Retry-After seconds",
        503: "Redis is unavailable: retry after Retry-After seconds",
        504: "the search ran past NEWSFLOW_SEARCH_TIMEOUT_S and was stopped",
    }
    return {code: {"model": ErrorOut, "description": reasons[code]} for code in codes}


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route serves at the request's path."""
    methods: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, Route) and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


class SourceIn(BaseModel):
    url: str = Field(
        min_length=1,
        max_length=4096,
        description="a feed or sitemap URL, or a site's address (its feeds are found)",
    )
    exact: bool = Field(default=False, description="follow the URL as given: look for nothing else")


class SourcesAdded(BaseModel):
    added: list[str] = Field(description="sources followed from now on")
    already: list[str] = Field(description="sources that were followed already")
    notes: list[str] = Field(description="what was looked at to find them")


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
    # Added last, runs first: the token before the body is read, the body's size before it is parsed.
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(TokenGate, token=settings.api_token.get_secret_value() if settings.api_token else None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = exc.headers
        if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
            # Starlette names only the first matching route's methods; /v1/sources has two routes.
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(app, request))}
        return JSONResponse(error_body(exc.status_code, exc.detail), exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Without the input: echoing a 300 KB body back helps no one.
        errors = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors()]
        return JSONResponse(error_body(422, errors), 422)

    @app.exception_handler(RedisError)
    async def redis_down(request: Request, exc: RedisError) -> JSONResponse:
        log.warning("redis_unavailable", path=request.url.path, error=type(exc).__name__)
        return JSONResponse(
            error_body(503, "the queue (Redis) is unavailable; retry later"),
            503,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.error("api_error", path=request.url.path, error=type(exc).__name__, exc_info=exc)
        return JSONResponse(error_body(500, "internal error; the API's log has the details"), 500)

    def redis_of(request: Request) -> Redis:
        return request.app.state.redis

    def store_of(request: Request) -> Store:
        return request.app.state.store

    @app.post(
        "/v1/urls",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=PushOut,
        # TokenGate checks the token, before the body is read; this declares it in the OpenAPI.
        dependencies=[Depends(bearer)],
        responses=_errors(400, 401, 413, 422, 429, 503),
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
        # A rejected URL may hold what JSON cannot carry (a lone surrogate): echoed escaped.
        rejected = [
            Rejected(url=r.url.encode("utf-8", "backslashreplace").decode(), error=r.error or "")
            for r in results
            if r.error
        ]
        if not queued:
            raise HTTPException(422, {"rejected": [r.model_dump() for r in rejected]})
        URLS_PUSHED.inc(len(queued))
        return PushOut(queued=queued, rejected=rejected)

    @app.get(
        "/v1/search",
        response_model=SearchPage,
        responses=_errors(422, 504),
    )
    def search(
        store: Annotated[Store, Depends(store_of)], params: Annotated[SearchParams, Query()]
    ) -> SearchPage:
        try:
            query = params.to_query()
        except ValueError as exc:
            raise HTTPException(422, one_line(exc)) from exc
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

    @app.get("/v1/articles/{article_id}", response_model=EnrichedArticle, responses=_errors(404))
    def get_article(article_id: str, store: Annotated[Store, Depends(store_of)]) -> EnrichedArticle:
        article = store.get(article_id)
        if article is None:
            raise HTTPException(404, f"no article {article_id}")
        return article

    @app.get("/v1/sources", responses=_errors(503))
    async def list_sources(redis: Annotated[Redis, Depends(redis_of)]) -> list[dict[str, Any]]:
        """The feeds and sitemaps followed, as `newsflow sources list --json` shows them."""
        registry = _sources(redis)
        return [json.loads(s.model_dump_json()) for s in await registry.all()]

    @app.post(
        "/v1/sources",
        status_code=status.HTTP_201_CREATED,
        response_model=SourcesAdded,
        dependencies=[Depends(bearer)],
        responses=_errors(400, 401, 413, 422, 503),
    )
    async def add_sources(body: SourceIn, redis: Annotated[Redis, Depends(redis_of)]) -> SourcesAdded:
        """Follow a feed or sitemap, or a site's (found as `newsflow sources add` finds them)."""
        from newsflow.discover.find import follow
        from newsflow.ingest.fetch import Fetcher
        from newsflow.urls import InvalidUrl

        registry = _sources(redis)
        fetcher = Fetcher(settings)
        try:
            followed = await follow(registry, fetcher, body.url, exact=body.exact)
        except InvalidUrl as exc:
            raise HTTPException(422, f"not a URL newsflow can follow: {exc}") from exc
        finally:
            await fetcher.aclose()
        if not followed.sources:
            raise HTTPException(422, {"notes": followed.notes or ["nothing to follow"]})
        return SourcesAdded(
            added=[s.url for s, new in followed.sources if new],
            already=[s.url for s, new in followed.sources if not new],
            notes=followed.notes,
        )

    @app.delete(
        "/v1/sources/{source_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        dependencies=[Depends(bearer)],
        responses=_errors(401, 404, 503),
    )
    async def remove_source(source_id: str, redis: Annotated[Redis, Depends(redis_of)]) -> Response:
        """Stop following a source (by its id, as `GET /v1/sources` lists it)."""
        if not await _sources(redis).remove(source_id):
            raise HTTPException(404, f"no source {source_id}")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    def _sources(redis: Redis) -> Any:
        # The discover part, imported here only: an API without it still serves everything else.
        try:
            from newsflow.discover.sources import Registry
        except ModuleNotFoundError as exc:
            raise HTTPException(503, "the discover stage is not installed with this API") from exc
        return Registry(redis, settings)

    @app.get("/healthz", responses={503: {"description": "Redis or the store does not answer"}})
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
            for state, count in snapshot["sources"].items():
                SOURCES.labels(state).set(count)
            STORE_ARTICLES.set(snapshot["store"]["articles"] or 0)
        except Exception:  # noqa: BLE001 - stale gauges beat a failed scrape
            pass
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
