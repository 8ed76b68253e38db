"""The webhook sink against local receivers, over real HTTP and a real redis-server: every article
reaches every receiver once, signed, through a receiver that fails and recovers; a receiver that refuses
an article dead-letters it; the fetcher's SSRF rules hold unless private addresses are allowed."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler

import pytest
from pydantic import SecretStr

from newsflow.cli.pageserver import PageServer
from newsflow.streams import encode_event, ensure_groups
from newsflow.webhook.worker import WebhookHandler
from tests.integration.test_poison import article
from tests.integration.test_workers import _at_least, dead_letters, running, wait_for

pytestmark = [pytest.mark.anyio, pytest.mark.redis]
SECRET = "webhook-test-secret"


class Receiver:
    """An HTTP receiver that answers `failures` 503s first, then takes every article."""

    def __init__(self, failures: int = 0, status: int = 200):
        self.failures, self.status = failures, status
        self.taken: list[dict] = []
        self.refused = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    if receiver.failures > 0:
                        receiver.failures -= 1
                        receiver.refused += 1
                        status = 503
                    else:
                        status = receiver.status
                        if status == 200:
                            receiver.taken.append({"headers": dict(self.headers), "body": body})
                self.send_response(status)
                self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = PageServer(handler=Handler)

    def __enter__(self) -> Receiver:
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return self.server.url("/hook")


def hook_settings(settings, *urls: str, **more):
    return settings.model_copy(
        update={
            "pipeline": "newsflow.pipeline:WITH_WEBHOOK",
            "webhook_urls": ",".join(urls),
            "webhook_secret": SecretStr(SECRET),
            "webhook_allow_private": True,
            "claim_idle_ms": 500,
            "retry_base_s": 0.2,
            "max_deliveries": 5,
            **more,
        }
    )


async def test_every_article_reaches_each_receiver_once_signed_through_a_failing_one(settings, redis):
    with Receiver() as steady, Receiver(failures=4) as flaky:
        s = hook_settings(settings, steady.url, flaky.url)
        await ensure_groups(redis, s)
        sent = [encode_event(article(i)) for i in range(3)]
        for fields in sent:
            await redis.xadd(s.stream_enriched, fields)
        async with running(WebhookHandler(s), s):

            async def all_taken():
                return len(steady.taken) >= 3 and len(flaky.taken) >= 3

            await wait_for(all_taken, timeout=40)
            await wait_for(lambda: _pending_zero(redis, s), timeout=10)
    assert flaky.refused == 4  # it failed, and recovered
    for receiver in (steady, flaky):
        ids = [r["headers"]["X-Newsflow-Id"] for r in receiver.taken]
        assert sorted(ids) == ["g0", "g1", "g2"]  # each once: the steady one got no repeats
        for request in receiver.taken:
            headers, body = request["headers"], request["body"]
            expected = hmac.new(
                SECRET.encode(), headers["X-Newsflow-Timestamp"].encode() + b"." + body, hashlib.sha256
            ).hexdigest()
            assert hmac.compare_digest(headers["X-Newsflow-Signature"], "sha256=" + expected)
            assert headers["X-Newsflow-Event"] == "enriched-article/1"
            assert json.loads(body)["id"] == headers["X-Newsflow-Id"]
            assert body.decode() in {f["json"] for f in sent}  # as published, byte for byte
    assert await dead_letters(redis, s) == []


async def _pending_zero(redis, s) -> bool:
    groups = {_text(g["name"]): g for g in await redis.xinfo_groups(s.stream_enriched)}
    return groups["webhook"]["pending"] == 0  # its own group, beside index's


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def test_a_receiver_that_refuses_an_article_dead_letters_it_at_once(settings, redis):
    with Receiver(status=400) as refusing:
        s = hook_settings(settings, refusing.url)
        await ensure_groups(redis, s)
        await redis.xadd(s.stream_enriched, encode_event(article(7)))
        async with running(WebhookHandler(s), s):
            letters = await wait_for(lambda: _at_least(dead_letters(redis, s), 1), timeout=20)
    assert letters[0]["stage"] == "webhook" and letters[0]["attempts"] == "1"
    assert "HTTP 400" in letters[0]["reason"]


async def test_a_loopback_receiver_is_refused_unless_private_addresses_are_allowed(settings, redis):
    with Receiver() as local:
        s = hook_settings(settings, local.url, webhook_allow_private=False)
        await ensure_groups(redis, s)
        await redis.xadd(s.stream_enriched, encode_event(article(8)))
        async with running(WebhookHandler(s), s):
            letters = await wait_for(lambda: _at_least(dead_letters(redis, s), 1), timeout=20)
    assert local.taken == []
    assert "non-public address 127.0.0.1" in letters[0]["reason"]
    assert "NEWSFLOW_WEBHOOK_ALLOW_PRIVATE" in letters[0]["reason"]
