"""The discover stage measured, each figure beside its reference from the same run.

    .venv/bin/python bench/discover.py [--sources 200] [--items 20] [--fresh 10] [--interval 5]

1. **polls**: N feeds of K items each, served from 127.0.0.1, registered as sources on a real embedded
   redis-server and polled by `DiscoverWorker.poll_due` (the worker's own path: lease, fetch, parse,
   dedup, push) until each was polled once (every item new, so pushed), then a second round (the
   server's ETag answers 304: nothing read or pushed). Politeness is off (NEWSFLOW_FETCH_HOST_INTERVAL_S=0):
   every feed comes from one host, which pacing would hold to one request a second. Reference: feedparser
   alone parsing the same N bodies, in the same run.
2. **freshness**: `newsflow up` on a fresh data dir (embedded Redis, SQLite) following one feed polled every
   S seconds (the interval's bounds set to S). M times, a new story is added to the feed; each is timed
   from the moment it was added to the moment its trace says indexed. Reference: M other stories pushed
   directly (`push_urls`, what `newsflow push` calls) into the same stack, push -> indexed.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import feedparser
from pipeline import bench_env, parse_utc, pct, wait_all  # bench/ is the script's directory
from redis.asyncio import Redis

from newsflow.cli.pageserver import PageServer
from newsflow.discover.sources import Source
from newsflow.discover.worker import DiscoverWorker
from newsflow.logs import configure_logging
from newsflow.push import push_urls
from newsflow.redis_server import EmbeddedRedis
from newsflow.settings import Settings

PLACES = ["Bamako", "Nairobi", "Lagos", "Lima", "Hanoi", "Berlin", "Marseille", "Cairo", "Quito", "Osaka"]


def story(n: int) -> bytes:
    a, b = PLACES[n % len(PLACES)], PLACES[(n * 7 + 3) % len(PLACES)]
    words = " ".join(hashlib.sha256(f"{n}-{i}".encode()).hexdigest()[:8] for i in range(40))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Talks in {a} resume, story {n}"
        f"</title></head><body><article><h1>Talks in {a} resume, story {n}</h1><p>Officials in {a} said on "
        f"Tuesday that talks with delegates from {b} would resume next week, story number {n}.</p>"
        f"<p>Reference codes of the talks: {words}.</p><p>Analysts in {b} said the outcome would shape "
        f"trade between the two regions for years to come.</p></article></body></html>"
    ).encode()


def feed(base: str, numbers: list[int], now: datetime) -> bytes:
    items = "".join(
        f"<item><title>Talks resume, story {n}</title><link>{base}/story/{n}</link>"
        f"<pubDate>{(now - timedelta(minutes=i)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for i, n in enumerate(reversed(numbers))
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Bench</title>'
        f"<link>{base}/</link><description>bench</description>{items}</channel></rss>"
    ).encode()


class Site(BaseHTTPRequestHandler):
    """/feed/F lists its stories; /story/N is a page; ETag and 304 as a real server does."""

    protocol_version = "HTTP/1.1"
    feeds: dict[int, list[int]] = {}
    now = datetime.now(UTC)
    lock = threading.Lock()

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        base = f"http://{self.headers['Host']}"
        if parts[0] == "feed":
            with self.lock:
                numbers = list(self.feeds.get(int(parts[1]), []))
            body, ctype = feed(base, numbers, self.now), "application/rss+xml"
        elif parts[0] == "story":
            body, ctype = story(int(parts[1])), "text/html; charset=utf-8"
        else:
            body, ctype = b"not here", "text/plain"
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200 if body != b"not here" else 404)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)


def bench_polls(server: PageServer, work: Path, n_sources: int, n_items: int) -> dict:
    Site.feeds = {f: list(range(f * 1000, f * 1000 + n_items)) for f in range(n_sources)}
    redis_server = EmbeddedRedis(work / "redis")
    url = redis_server.start()
    settings = Settings(
        redis_url=url,
        data_dir=work,
        fetch_allow_private=True,
        fetch_host_interval_s=0,
        fetch_host_concurrency=8,
        discover_max_age_s=0,
    )

    async def go() -> dict:
        redis = Redis.from_url(url)
        worker = DiscoverWorker(redis, settings)
        try:
            for f in range(n_sources):
                await worker.registry.add(server.url(f"feed/{f}"))
            rounds = []
            for label, at in (("first", None), ("again", timedelta(days=2))):
                now = datetime.now(UTC) + (at or timedelta())
                started, polled = time.perf_counter(), list[Source]()
                while len(polled) < n_sources:
                    batch = await worker.poll_due(now)
                    if not batch:
                        break
                    polled += batch
                wall = time.perf_counter() - started
                rounds.append((label, len(polled), wall, sum(s.new[-1] for s in polled)))
            pushed = await redis.xlen(settings.stream_urls)
            return {"rounds": rounds, "pushed": pushed}
        finally:
            await worker.fetcher.aclose()
            await redis.aclose()

    try:
        result = asyncio.run(go())
    finally:
        redis_server.stop()
    bodies = [feed(server.base_url, Site.feeds[f], Site.now) for f in range(n_sources)]
    started = time.perf_counter()
    for body in bodies:
        feedparser.parse(body)
    result["parse_only"] = time.perf_counter() - started
    return result


def bench_freshness(server: PageServer, work: Path, n_fresh: int, interval: float, timeout: float) -> dict:
    Site.feeds = {0: [900_000]}  # one old story, so the feed's first poll has something
    data_dir = work / "stack"
    work.mkdir(parents=True, exist_ok=True)
    env = bench_env(
        data_dir,
        NEWSFLOW_DISCOVER_INTERVAL_S=str(interval),
        NEWSFLOW_DISCOVER_MIN_INTERVAL_S=str(interval),
        NEWSFLOW_DISCOVER_MAX_INTERVAL_S=str(interval),
        NEWSFLOW_DISCOVER_MAX_AGE_S="0",
    )
    log = (work / "up.log").open("w")
    up = subprocess.Popen([sys.executable, "-m", "newsflow.cli", "up"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 180
        while "newsflow is up" not in (work / "up.log").read_text():
            if up.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"newsflow up did not start:\n{(work / 'up.log').read_text()[-2000:]}")
            time.sleep(0.2)
        info = json.loads((data_dir / "stack.json").read_text())
        settings = Settings(redis_url=info["redis_url"], data_dir=data_dir)
        added = subprocess.run(
            [sys.executable, "-m", "newsflow.cli", "sources", "add", "--exact", server.url("feed/0")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if added.returncode:
            raise SystemExit(added.stderr)

        async def go() -> tuple[list[float], list[float]]:
            from newsflow.urls import id_for_url

            redis = Redis.from_url(info["redis_url"], decode_responses=True)
            try:
                # Warm-up: the first story through every stage (models loaded, caches built), not counted.
                await wait_all(redis, [id_for_url(server.url("story/900000"))[0]], 180)
                via_feed, direct = [], []
                for k in range(n_fresh):
                    n = 910_000 + k
                    with Site.lock:
                        Site.feeds[0].append(n)
                    added_at = datetime.now(UTC)
                    aid = id_for_url(server.url(f"story/{n}"))[0]
                    done = await wait_all(redis, [aid], timeout)
                    if "index_at" in done.get(aid, {}):
                        via_feed.append((parse_utc(done[aid]["index_at"]) - added_at).total_seconds())
                    # A random offset into the next poll interval, as items appear in real feeds.
                    await asyncio.sleep((k * 0.37 % 1.0) * interval)
                for k in range(n_fresh):
                    (pushed,) = await push_urls(
                        redis, settings, [server.url(f"story/{920_000 + k}")], source="bench"
                    )
                    done = await wait_all(redis, [pushed.id or ""], timeout)
                    trace = done.get(pushed.id or "", {})
                    if "index_at" in trace:
                        direct.append(
                            (parse_utc(trace["index_at"]) - parse_utc(trace["pushed_at"])).total_seconds()
                        )
                return via_feed, direct
            finally:
                await redis.aclose()

        via_feed, direct = asyncio.run(go())
    finally:
        up.send_signal(2)
        try:
            up.wait(60)
        except subprocess.TimeoutExpired:
            up.kill()
        log.close()
    return {"via_feed": via_feed, "direct": direct}


def figures(values: list[float]) -> str:
    if not values:
        return "none"
    return (
        f"p50 {pct(values, 0.5):.2f} s, p95 {pct(values, 0.95):.2f} s, mean {statistics.mean(values):.2f} s"
        f" (n={len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--fresh", type=int, default=10)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    configure_logging("warning", "console")
    with tempfile.TemporaryDirectory() as tmp, PageServer(handler=Site) as server:
        work = Path(tmp)
        polls = bench_polls(server, work / "polls", args.sources, args.items)
        print(f"polls: {args.sources} feeds of {args.items} items, one host on 127.0.0.1, politeness off")
        for label, n, wall, new in polls["rounds"]:
            what = "every item new, pushed" if label == "first" else "unchanged: 304"
            print(
                f"  {label:6} round: {n} sources in {wall:.2f} s = {n / wall:.1f} sources/s ({what}; {new} pushed)"
            )
        print(f"  URLs on news.urls: {polls['pushed']}")
        print(
            f"  reference, feedparser alone on the same {args.sources} bodies: {polls['parse_only']:.2f} s"
            f" = {args.sources / polls['parse_only']:.1f} feeds/s"
        )
        fresh = bench_freshness(server, work / "fresh", args.fresh, args.interval, args.timeout)
        print(f"freshness through newsflow up, the feed polled every {args.interval:g} s:")
        print(f"  new item in the feed -> indexed: {figures(fresh['via_feed'])}")
        print(f"  reference, pushed directly -> indexed: {figures(fresh['direct'])}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (polls, parsing): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
