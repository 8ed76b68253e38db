"""The discover stage against a real Redis and the repository's feed and sitemap files served on 127.0.0.1:
finding a site's sources, pushing new items once, conditional GETs, backoff and disabling, leases."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from redis.asyncio import Redis

from newsflow.cli.pageserver import PageServer
from newsflow.discover.find import find_sources
from newsflow.discover.sources import Registry
from newsflow.discover.worker import DiscoverWorker
from newsflow.ingest.fetch import Fetcher
from newsflow.schemas import utcnow
from newsflow.status import sources_status

pytestmark = pytest.mark.redis

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
TYPES = {".xml": "application/xml", ".gz": "application/gzip", ".html": "text/html", ".txt": "text/plain"}


class _Site(BaseHTTPRequestHandler):
    """The feed files, with http://news.example replaced by this server; ETag and 304 like a real server;
    /fail answers 500, /busy 429 with Retry-After; a request count per path."""

    protocol_version = "HTTP/1.1"
    hits: Counter[str] = Counter()
    extra: dict[str, bytes] = {}
    lock = threading.Lock()

    def log_message(self, format, *args):
        pass

    def _send(self, status: int, body: bytes = b"", ctype: str = "text/plain", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?")[0]
        with self.lock:
            self.hits[path] += 1
        base = f"http://{self.headers['Host']}".encode()
        if path == "/fail":
            return self._send(500, b"broken")
        if path == "/busy":
            return self._send(429, b"slow down", Retry_After="3600")
        if path == "/moved.xml":  # a feed that moved: followed as the fetcher follows pages
            return self._send(301, Location="/rss2.xml")
        if path == "/huge-sitemap.xml":  # past the sitemap protocol's 50 MB
            return self._send(200, b"<urlset>" + b" " * (51 * 1024 * 1024) + b"</urlset>", "application/xml")
        name = "home.html" if path == "/" else path.lstrip("/")
        if name in self.extra:
            body = self.extra[name]
        elif (FEEDS / name).is_file() and "/" not in name:
            body = (FEEDS / name).read_bytes()
        else:
            return self._send(404, b"not here")
        if name.endswith(".gz"):
            import gzip

            body = gzip.compress(gzip.decompress(body).replace(b"http://news.example", base))
        else:
            body = body.replace(b"http://news.example", base)
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self._send(304, ETag=etag)
        return self._send(200, body, TYPES.get(Path(name).suffix, "application/xml"), ETag=etag)


@pytest.fixture
def site():
    _Site.hits.clear()
    _Site.extra.clear()
    with PageServer(handler=_Site) as server:
        yield server


@pytest.fixture
def discover_settings(settings):
    # Items of any age: the files are dated December 2026, whatever day the tests run.
    return settings.model_copy(update={"discover_max_age_s": 0, "discover_max_failures": 3})


def run(coro):
    return asyncio.run(coro)


async def _with(settings, work):
    redis = Redis.from_url(settings.redis_url)
    fetcher = Fetcher(settings)
    try:
        return await work(redis, fetcher)
    finally:
        await fetcher.aclose()
        await redis.aclose()


async def _pushed(redis: Redis, settings) -> list[dict[str, str]]:
    rows = await redis.xrange(settings.stream_urls)
    return [{k.decode(): v.decode() for k, v in fields.items()} for _, fields in rows]


def test_a_site_added_by_its_home_page_has_its_feeds_and_news_sitemaps_found(site, discover_settings):
    found = run(_with(discover_settings, lambda r, f: find_sources(f, site.url("/"))))
    assert found.sources == [
        site.url("rss2.xml"),
        site.url("atom.xml"),
        site.url("news-sitemap.xml"),  # robots.txt's news sitemap; the index is not followed beside feeds
    ]
    assert any("robots.txt names 2 sitemaps, 1 of them news sitemaps" in n for n in found.notes)


def test_a_feed_url_is_its_own_source(site, discover_settings):
    found = run(_with(discover_settings, lambda r, f: find_sources(f, site.url("atom.xml"))))
    assert found.sources == [site.url("atom.xml")]


def test_new_items_are_pushed_once_and_a_second_poll_pushes_nothing(site, discover_settings):
    async def work(redis, fetcher):
        registry = Registry(redis, discover_settings)
        worker = DiscoverWorker(redis, discover_settings, fetcher)
        source, new = await registry.add(site.url("rss2.xml"))
        assert new
        first = await worker.poll_due()
        pushed = await _pushed(redis, discover_settings)
        later = utcnow() + timedelta(seconds=first[0].interval_s + 1)
        second = await worker.poll_due(later)
        return source, first, second, pushed, await _pushed(redis, discover_settings)

    source, (first,), (second,), pushed, after = run(_with(discover_settings, work))
    assert [p["url"] for p in pushed] == [
        site.url("story/101"),
        site.url("story/102?utm_source=rss&utm_medium=feed"),
        site.url("story/103"),
    ]
    assert {p["source"] for p in pushed} == {f"discover {source.url}"}
    assert {p["feed"] for p in pushed} == {source.url}
    assert first.kind == "rss" and first.new == [3] and first.pushed == 3 and first.etag
    # The second poll sent the ETag back, got 304, and pushed nothing; the quiet source is polled less often.
    assert second.new == [3, 0] and after == pushed
    assert second.interval_s > first.interval_s
    assert _Site.hits["/rss2.xml"] == 2


def test_a_url_listed_by_two_sources_is_pushed_once(site, discover_settings):
    _Site.extra["copy.xml"] = (FEEDS / "rss2.xml").read_bytes()

    async def work(redis, fetcher):
        registry = Registry(redis, discover_settings)
        await registry.add(site.url("rss2.xml"))
        await registry.add(site.url("copy.xml"))
        await DiscoverWorker(redis, discover_settings, fetcher).poll_due()
        return await _pushed(redis, discover_settings)

    pushed = run(_with(discover_settings, work))
    assert len(pushed) == 3 and len({p["url"] for p in pushed}) == 3


def test_a_story_under_a_new_url_with_the_same_title_is_not_pushed_again(site, discover_settings):
    feed = (FEEDS / "rss2.xml").read_bytes()

    async def work(redis, fetcher):
        worker = DiscoverWorker(redis, discover_settings, fetcher)
        source, _ = await worker.registry.add(site.url("syndicated.xml"))
        _Site.extra["syndicated.xml"] = feed
        (polled,) = await worker.poll_due()
        _Site.extra["syndicated.xml"] = feed.replace(b"story/101", b"story/101-syndicated")
        await worker.poll_due(polled.next_poll_at)
        return await _pushed(redis, discover_settings)

    pushed = [p["url"] for p in run(_with(discover_settings, work))]
    assert len(pushed) == 3 and site.url("story/101-syndicated") not in pushed


def poll_once(settings, url: str):
    """A new source polled once: the source afterwards, and what it pushed."""

    async def work(redis, fetcher):
        worker = DiscoverWorker(redis, settings, fetcher)
        await worker.registry.add(url)
        (polled,) = await worker.poll_due()
        return polled, await _pushed(redis, settings)

    return run(_with(settings, work))


def test_a_sitemap_index_is_followed_to_its_gzipped_children(site, discover_settings):
    polled, pushed = poll_once(discover_settings, site.url("sitemap-index.xml"))
    assert polled.kind == "sitemapindex" and not polled.failures
    assert sorted(p["url"] for p in pushed) == [site.url(f"story/{n}") for n in (501, 502, 503)]


def test_a_sitemap_index_that_lists_itself_is_read_once(site, discover_settings):
    polled, pushed = poll_once(discover_settings, site.url("loop-index.xml"))
    assert any("already read (a loop)" in p for p in polled.problems)
    assert sorted(p["url"] for p in pushed) == [site.url("story/401"), site.url("story/402")]
    assert _Site.hits["/loop-index.xml"] == 1


def test_a_failing_source_backs_off_and_is_disabled_after_n_failures(site, discover_settings):
    async def work(redis, fetcher):
        worker = DiscoverWorker(redis, discover_settings, fetcher)
        source, _ = await worker.registry.add(site.url("fail"))
        seen = []
        at = utcnow()
        for _ in range(discover_settings.discover_max_failures):
            (source,) = await worker.poll_due(at)
            seen.append(source)
            at = source.next_poll_at
        later = await worker.poll_due(at + timedelta(days=30))
        return (
            seen,
            later,
            await redis.zcard(worker.registry.due),
            await sources_status(redis, discover_settings),
        )

    seen, later, due, status = run(_with(discover_settings, work))
    assert status == {"followed": 1, "ok": 0, "failing": 0, "disabled": 1, "due": 0}  # newsflow status
    waits = [(s.next_poll_at - s.last_poll_at).total_seconds() for s in seen]
    assert waits[0] < waits[1] < waits[2] or waits[-1] == discover_settings.discover_max_interval_s
    assert [s.failures for s in seen] == [1, 2, 3]
    assert seen[-1].disabled and not seen[-2].disabled
    assert seen[-1].last_error == "HTTP 500"
    assert later == [] and due == 0  # a disabled source is never polled


def test_retry_after_is_obeyed(site, discover_settings):
    source, _ = poll_once(discover_settings, site.url("busy"))
    assert (source.next_poll_at - source.last_poll_at).total_seconds() >= 3600
    assert source.last_error.startswith("HTTP 429")


def test_a_feed_that_redirects_is_followed_and_a_huge_sitemap_refused(site, discover_settings):
    async def work(redis, fetcher):
        worker = DiscoverWorker(redis, discover_settings, fetcher)
        for name in ("moved.xml", "huge-sitemap.xml"):
            await worker.registry.add(site.url(name))
        polled = {s.url.rsplit("/", 1)[1]: s for s in await worker.poll_due()}
        return polled, await _pushed(redis, discover_settings)

    polled, pushed = run(_with(discover_settings, work))
    assert polled["moved.xml"].kind == "rss" and len(pushed) == 3
    assert polled["huge-sitemap.xml"].last_error.startswith("too large")


def test_bad_sources_say_why_and_nothing_crashes(site, discover_settings):
    async def work(redis, fetcher):
        worker = DiscoverWorker(redis, discover_settings, fetcher)
        for name in ("html-as-feed.xml", "truncated.xml", "future.xml", "latin1-sitemap.xml", "missing.xml"):
            await worker.registry.add(site.url(name))
        return {s.url.rsplit("/", 1)[1]: s for s in await worker.poll_due()}

    polled = run(_with(discover_settings, work))
    assert polled["html-as-feed.xml"].last_error == "an HTML page, not a feed or sitemap"
    assert polled["missing.xml"].last_error == "HTTP 404"
    assert "malformed feed" in polled["truncated.xml"].problems[0] and polled["truncated.xml"].new == [1]
    assert polled["future.xml"].problems == ["1 dated in the future: those dates ignored"]
    assert polled["latin1-sitemap.xml"].failures == 0


def test_two_replicas_never_poll_one_source_at_once(site, discover_settings):
    async def work(redis, fetcher):
        other_redis = Redis.from_url(discover_settings.redis_url)
        other = DiscoverWorker(other_redis, discover_settings.model_copy(update={"consumer_name": "b"}))
        one = DiscoverWorker(redis, discover_settings.model_copy(update={"consumer_name": "a"}), fetcher)
        for name in ("rss2.xml", "atom.xml", "rdf.xml", "news-sitemap.xml"):
            await one.registry.add(site.url(name))
        try:
            rounds = await asyncio.gather(*(w.poll_due() for w in (one, other, one, other)))
        finally:
            await other.fetcher.aclose()
            await other_redis.aclose()
        return [s.url for r in rounds for s in r]

    polled = run(_with(discover_settings, work))
    assert sorted(polled) == sorted(
        site.url(n) for n in ("rss2.xml", "atom.xml", "rdf.xml", "news-sitemap.xml")
    )
    assert all(_Site.hits[f"/{n}"] == 1 for n in ("rss2.xml", "atom.xml", "rdf.xml", "news-sitemap.xml"))


def test_removing_a_source_and_adding_a_disabled_one_again(site, discover_settings):
    async def work(redis, fetcher):
        registry = Registry(redis, discover_settings)
        source, _ = await registry.add(site.url("rss2.xml"))
        disabled = source.model_copy(update={"disabled": True, "failures": 3})
        await registry.save(disabled)
        again, new = await registry.add(site.url("rss2.xml"))
        removed = await registry.remove(source.id)
        return again, new, removed, await registry.all(), await redis.zcard(registry.due)

    again, new, removed, left, due = run(_with(discover_settings, work))
    assert not new and not again.disabled and again.failures == 0
    assert removed and left == [] and due == 0


def _newsflow(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_the_sources_commands_add_find_list_import_and_remove(site, discover_settings, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")},
        "NEWSFLOW_REDIS_URL": discover_settings.redis_url,
        "NEWSFLOW_STREAM_URLS": discover_settings.stream_urls,
        "NEWSFLOW_DATA_DIR": str(tmp_path),
        "NEWSFLOW_FETCH_ALLOW_PRIVATE": "true",
        "NEWSFLOW_FETCH_HOST_INTERVAL_S": "0",
    }
    added = _newsflow("sources", "add", site.url("/"), env=env)
    assert added.returncode == 0, added.stderr
    assert f"added: {site.url('rss2.xml')}" in added.stdout
    assert "robots.txt names 2 sitemaps" in added.stdout
    again = _newsflow("sources", "add", "--exact", site.url("rss2.xml"), env=env)
    assert f"already followed: {site.url('rss2.xml')}" in again.stdout

    opml = tmp_path / "subscriptions.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body><outline text="news">'
        f'<outline type="rss" text="Business" xmlUrl="{site.url("rdf.xml")}"/>'
        f'<outline type="rss" text="Tomorrow" xmlUrl="{site.url("future.xml")}"/>'
        "</outline></body></opml>"
    )
    imported = _newsflow("sources", "import", str(opml), env=env)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.count("added: ") == 2

    listed = _newsflow("sources", "list", "--json", env=env)
    urls = {json.loads(line)["url"] for line in listed.stdout.splitlines()}
    assert urls == {
        site.url(n) for n in ("rss2.xml", "atom.xml", "news-sitemap.xml", "rdf.xml", "future.xml")
    }
    shown = _newsflow("sources", "list", env=env).stdout
    assert "not yet polled" in shown

    removed = _newsflow("sources", "remove", site.url("future.xml"), "no-such-source", env=env)
    assert removed.returncode == 1  # one of the two was not there
    assert (
        f"removed: {site.url('future.xml')}" in removed.stdout
        and "no such source: no-such-source" in removed.stdout
    )
    assert len(_newsflow("sources", "list", "--json", env=env).stdout.splitlines()) == 4


def test_the_api_adds_lists_and_removes_sources_and_writes_need_the_token(site, discover_settings):
    from fastapi.testclient import TestClient

    from newsflow.api.app import create_app
    from newsflow.settings import Settings

    token = {"Authorization": "Bearer s3cret"}
    with_token = Settings(**{**discover_settings.model_dump(), "api_token": "s3cret"})
    with TestClient(create_app(with_token)) as api:
        assert api.post("/v1/sources", json={"url": site.url("/")}).status_code == 401
        added = api.post("/v1/sources", json={"url": site.url("/")}, headers=token)
        assert added.status_code == 201, added.text
        body = added.json()
        assert body["added"] == [site.url(n) for n in ("rss2.xml", "atom.xml", "news-sitemap.xml")]
        assert body["already"] == [] and any("robots.txt" in n for n in body["notes"])
        again = api.post("/v1/sources", json={"url": site.url("rss2.xml"), "exact": True}, headers=token)
        assert again.json()["already"] == [site.url("rss2.xml")]
        nothing = api.post("/v1/sources", json={"url": site.url("missing")}, headers=token)
        assert nothing.status_code == 422 and "HTTP 404" in nothing.text
        assert (
            api.post("/v1/sources", json={"url": "ftp://x", "exact": True}, headers=token).status_code == 422
        )

        listed = api.get("/v1/sources").json()  # reads need no token
        assert {s["url"] for s in listed} == set(body["added"])
        victim = listed[0]["id"]
        assert api.delete(f"/v1/sources/{victim}").status_code == 401
        assert api.delete(f"/v1/sources/{victim}", headers=token).status_code == 204
        assert api.delete(f"/v1/sources/{victim}", headers=token).status_code == 404
        assert len(api.get("/v1/sources").json()) == 2
