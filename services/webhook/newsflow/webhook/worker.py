"""The webhook worker: one news.enriched entry -> an HTTP POST of the article to every receiver.

For consumers that cannot read Redis. Each request carries the article JSON exactly as published on
the stream, and headers a receiver checks:

    X-Newsflow-Event      enriched-article/1
    X-Newsflow-Id         the article id
    X-Newsflow-Delivery   the stream entry's id: the same on every retry, so a receiver de-duplicates by it
    X-Newsflow-Timestamp  Unix seconds when the request was signed
    X-Newsflow-Signature  sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with NEWSFLOW_WEBHOOK_SECRET>

A receiver answers 2xx to take the article. 408, 425, 429, 5xx, timeouts and refused connections are
retried like any stage's transient failure (backoff, Retry-After obeyed, dead letter when retries run
out); any other answer (a 400, a 404) is dead-lettered at once, replayable with `newsflow dlq replay`.
The receivers an entry already reached are remembered for a week, so a retry reaches only the others.
Receivers' addresses pass the fetcher's SSRF rules unless NEWSFLOW_WEBHOOK_ALLOW_PRIVATE is set.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlsplit

import httpx
from redis.asyncio import Redis

from newsflow.errors import Quarantine, Requeue
from newsflow.guard import AddressRefused, HostNotFound, guarded_transport, parse_networks
from newsflow.logs import get_logger
from newsflow.retry import parse_retry_after
from newsflow.runtime import Entry, StageHandler
from newsflow.schemas import EnrichedArticle
from newsflow.streams import SCHEMA_NAMES, parse_event

log = get_logger("newsflow.webhook")

EVENT = SCHEMA_NAMES[EnrichedArticle]
DELIVERED_TTL_S = 7 * 86_400
RETRIED_STATUSES = {408, 425, 429}
HINT = "set NEWSFLOW_WEBHOOK_ALLOW_PRIVATE or NEWSFLOW_WEBHOOK_ALLOWED_NETWORKS to allow"


def receivers(spec: str) -> list[str]:
    urls = [u.strip() for u in spec.split(",") if u.strip()]
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"NEWSFLOW_WEBHOOK_URLS: {url!r} is not an http(s) URL")
    return urls


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class WebhookHandler(StageHandler):
    stage_name = "webhook"
    client: httpx.AsyncClient | None = None
    redis: Redis | None = None

    async def start(self, redis: Redis) -> None:
        self.urls = receivers(self.settings.webhook_urls)
        if not self.urls:
            raise ValueError("the webhook stage needs NEWSFLOW_WEBHOOK_URLS")
        secret = self.settings.webhook_secret
        self.secret = secret.get_secret_value().encode() if secret else None
        if self.secret is None:
            log.warning("webhook_unsigned", effect="requests carry no X-Newsflow-Signature")
        self.redis = redis
        self.client = httpx.AsyncClient(
            transport=guarded_transport(
                self.settings.webhook_allow_private,
                parse_networks(self.settings.webhook_allowed_networks),
                hint=HINT,
            ),
            timeout=httpx.Timeout(self.settings.webhook_timeout_s),
            follow_redirects=False,  # a receiver is configured, not discovered: a redirect is its error
            headers={"User-Agent": self.settings.user_agent},
        )

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.aclose()

    async def handle(self, entry: Entry) -> None:
        assert self.redis is not None
        article = parse_event(entry.fields, EnrichedArticle)  # a malformed entry is a Quarantine
        body = entry.fields["json"].encode()  # as published, byte for byte
        done_key = f"newsflow:webhook:{self.stage.input}:{entry.entry_id}"
        delivered = {m.decode() if isinstance(m, bytes) else m for m in await self.redis.smembers(done_key)}
        retry: Requeue | None = None
        for i, url in enumerate(self.urls):
            if str(i) in delivered:
                continue
            try:
                await self._post(url, body, article.id, entry.entry_id)
            except Requeue as exc:
                retry = retry or exc  # the others still get it now
                continue
            await self.redis.sadd(done_key, str(i))
            await self.redis.expire(done_key, DELIVERED_TTL_S)
            log.info("article_delivered", receiver=url)
        if retry is not None:
            raise retry

    async def _post(self, url: str, body: bytes, article_id: str, entry_id: str) -> None:
        assert self.client is not None
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Newsflow-Event": EVENT,
            "X-Newsflow-Id": article_id,
            "X-Newsflow-Delivery": entry_id,
            "X-Newsflow-Timestamp": timestamp,
        }
        if self.secret is not None:
            headers["X-Newsflow-Signature"] = signature(self.secret, timestamp, body)
        try:
            response = await self.client.post(url, content=body, headers=headers)
        except (AddressRefused, HostNotFound) as exc:
            raise Quarantine(f"receiver {url}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise Requeue(f"receiver {url}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return
        if status in RETRIED_STATUSES or status >= 500:
            raise Requeue(
                f"receiver {url} answered HTTP {status}",
                retry_after_s=parse_retry_after(response.headers.get("retry-after")),
            )
        raise Quarantine(f"receiver {url} refused the article: HTTP {status}")
