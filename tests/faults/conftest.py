"""The fault-injection harness: a redis-server and each stage worker as separate OS processes that the
tests kill, restart and starve, and a page server with as many distinct stories as a test wants."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import redis as sync_redis

from newsflow.cli.pageserver import PageServer
from newsflow.cli.supervisor import Supervisor
from newsflow.pipeline import PIPELINE
from newsflow.redis_server import EmbeddedRedis
from newsflow.search.store import open_store
from newsflow.urls import id_for_url

STAGES = tuple(spec.name for spec in PIPELINE)
PLACES = [
    "Bamako",
    "Timbuktu",
    "Nairobi",
    "Lagos",
    "Lima",
    "Hanoi",
    "Berlin",
    "Marseille",
    "Cairo",
    "Quito",
    "Kraków",
    "Osaka",
    "Accra",
    "Dakar",
    "Mumbai",
    "Toronto",
]
ORGS = [
    "the World Health Organization",
    "the African Union",
    "Reuters",
    "the United Nations",
    "the Red Cross",
]


def story_html(i: int) -> bytes:
    """A distinct, plausible news page: places and organisations give the enrich stage real work."""
    a, b, c = PLACES[i % 16], PLACES[(i * 7 + 3) % 16], PLACES[(i * 5 + 1) % 16]
    org = ORGS[i % len(ORGS)]
    paras = [
        f"Officials in {a} said on Tuesday that talks with delegates from {b} would resume next week, "
        f"after a meeting hosted by {org} ended without agreement on story number {i}.",
        f"The delegation travelled from {c} to {a} by road. Local reporters counted dozens of vehicles "
        f"and a heavy security presence along the route, which crosses several provinces.",
        f"Analysts in {b} said the outcome would shape trade between the two regions for years, "
        f"and that {org} had asked both sides to publish their proposals in full.",
        "Markets reacted calmly. Prices of grain and fuel were unchanged by the evening, traders said.",
    ]
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Talks in {a} resume, "
        f"story {i}</title><meta property='og:site_name' content='Faults Daily'></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>Talks in {a} resume, "
        f"story {i}</h1>{body}</article><footer>© Faults Daily</footer></body></html>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    slow_s = 3.0  # how long /slow pages take: past the fetch timeout the tests set
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        kind, _, num = self.path.strip("/").partition("/")
        if kind == "story":
            return self._send(200, story_html(int(num)))
        if kind == "slow":  # a slow but complete page: in flight long enough to be caught by a signal
            time.sleep(self.slow_s)
            return self._send(200, story_html(int(num)))
        if kind == "gone":
            return self._send(404, b"<html><body>gone</body></html>")
        if kind == "feed":
            return self._send(200, b'{"items": []}', "application/json")
        if kind == "hang":  # accepts, then never answers
            time.sleep(120)
            return None
        if kind == "drip":  # headers at once, then a byte a second: every read is quick, the page endless
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                for _ in range(120):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
            return None
        return self._send(404, b"no such path")


@pytest.fixture(scope="module")
def pages():
    with PageServer(handler=_Handler) as server:
        yield server


class Pipeline:
    """redis-server (AOF) and one process per stage, started, killed and restarted by the test."""

    def __init__(self, root: Path, data_dir: Path, **settings: str | int | float):
        self.root = root
        self.redis_server = EmbeddedRedis(root)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
        self.env.update(
            {
                "NEWSFLOW_DATA_DIR": str(data_dir),  # shared by the module: the gazetteer cache is built once
                "NEWSFLOW_STORE_URL": f"sqlite:///{root / 'store.db'}",
                "NEWSFLOW_FETCH_ALLOW_PRIVATE": "true",
                "NEWSFLOW_FETCH_HOST_INTERVAL_S": "0",  # every page comes from one local server
                "NEWSFLOW_FETCH_HOST_CONCURRENCY": "8",
                # Fast retries, reclaims and upkeep, so faults heal within a test's time.
                "NEWSFLOW_CLAIM_IDLE_MS": "2500",
                "NEWSFLOW_RETRY_BASE_S": "1",
                "NEWSFLOW_FETCH_TOTAL_TIMEOUT": "1.5",
                "NEWSFLOW_FETCH_READ_TIMEOUT": "1",
                "NEWSFLOW_MAINTENANCE_INTERVAL_S": "1",
                "NEWSFLOW_CONSUMER_MAX_IDLE_S": "4",
                "NEWSFLOW_STREAM_RETENTION_S": "0",  # trim as soon as every group is done: trimming is under test too
                "NEWSFLOW_INDEX_BATCH_SIZE": "100",
                "NEWSFLOW_GRACEFUL_TIMEOUT": "10",
            }
        )
        self.env.update({f"NEWSFLOW_{k.upper()}": str(v) for k, v in settings.items()})
        # The same supervisor as `newsflow up`'s; the children stay in our session, so a test run that
        # is interrupted takes them with it.
        self.workers = Supervisor(self.env, log_dir=root, own_sessions=False)
        self.kills = dict.fromkeys(STAGES, 0)

    # -- processes ---------------------------------------------------------------------------------
    def start_redis(self) -> None:
        self.env["NEWSFLOW_REDIS_URL"] = self.redis_server.start()

    def start(self, stage: str) -> None:
        self.workers.start(stage, "worker", stage)

    def start_all(self) -> None:
        self.start_redis()
        for stage in STAGES:
            self.start(stage)
        self.wait_ready()

    def wait_ready(self, timeout: float = 90) -> None:
        """Until every stage's worker has written its heartbeat (its subscribers are reading)."""
        deadline = time.monotonic() + timeout
        while True:
            beats = {k.decode().split(":")[2] for k in self.redis().keys("newsflow:worker:*")}
            if beats >= set(STAGES):
                return
            self.assert_alive()
            assert time.monotonic() < deadline, f"workers not ready: {beats}\n{self.logs()}"
            time.sleep(0.2)

    def kill(self, stage: str) -> None:
        self.workers.kill(stage)
        self.kills[stage] += 1

    def stop(self, stage: str, timeout: float = 30) -> int:
        return self.workers.stop([stage], timeout)[stage]

    def assert_alive(self) -> None:
        dead = self.workers.exited()
        assert not dead, f"workers exited: {dead}\n{self.logs()}"

    def restart_redis(self) -> None:
        """Stop redis-server (SIGTERM: it flushes its AOF) and start it again on the same port and files."""
        self.redis_server.stop()
        self.redis_server = EmbeddedRedis(self.root, port=self.redis_server.port)
        self.redis_server.start()

    def close(self) -> None:
        for stage in self.workers.procs:
            if stage not in self.workers.exited():
                self.workers.kill(stage)
        self.redis_server.stop()

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-tail:]}" for p in self.root.glob("*.log")
        )

    def redeliveries(self) -> dict[str, int]:
        """Entries each stage completed on a second or later delivery: work a killed worker had in hand."""
        counts = dict.fromkeys(STAGES, 0)
        for stage in STAGES:
            for line in (self.root / f"{stage}.log").read_text(errors="replace").splitlines():
                if line.startswith("{"):
                    event = json.loads(line)
                    if (
                        event["event"] in ("published", "article_indexed")
                        and (event.get("delivery") or 1) > 1
                    ):
                        counts[stage] += 1
        return counts

    # -- what the pipeline holds -------------------------------------------------------------------
    def redis(self) -> sync_redis.Redis:
        return sync_redis.Redis.from_url(self.env["NEWSFLOW_REDIS_URL"], socket_timeout=5)

    def push(self, urls: list[str]) -> None:
        client = self.redis()
        for i in range(0, len(urls), 500):
            with client.pipeline(transaction=False) as pipe:
                for url in urls[i : i + 500]:
                    pipe.xadd("news.urls", {"url": url})
                pipe.execute()
        client.close()

    def status(self) -> dict:
        """`newsflow status --json`, as an operator would ask it."""
        out = subprocess.run(
            [sys.executable, "-m", "newsflow.cli", "status", "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    def drained(self) -> bool:
        """No entry unread or pending in any group: with publish+ack atomic, nothing is in flight."""
        client = self.redis()
        try:
            for stream in ("news.urls", "news.articles", "news.enriched"):
                for g in client.xinfo_groups(stream):
                    lag = g.get("lag")
                    if lag is None:  # not reported: look for an entry after the last delivered one
                        lag = len(client.xrange(stream, min=f"({g['last-delivered-id'].decode()}", count=1))
                    if g["pending"] or lag:
                        return False
            return True
        except sync_redis.RedisError:
            return False
        finally:
            client.close()

    def wait_drained(self, timeout: float, on_tick=None) -> None:
        deadline = time.monotonic() + timeout
        while not self.drained():
            if on_tick:
                on_tick()
            assert time.monotonic() < deadline, (
                f"pipeline not drained in {timeout}s: {self.status()}\n{self.logs()}"
            )
            time.sleep(0.5)

    def dead_letters(self) -> list[dict[str, str]]:
        client = self.redis()
        rows = client.xrange("news.dlq")
        client.close()
        return [{k.decode(): v.decode() for k, v in raw.items()} for _, raw in rows]

    def stored_ids(self, ids: list[str]) -> set[str]:
        store = open_store(self.env["NEWSFLOW_STORE_URL"])
        try:
            return {i for i in ids if store.get(i) is not None}
        finally:
            store.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("faults-data")


@pytest.fixture
def pipeline(tmp_path, data_dir, request):
    marker = request.node.get_closest_marker("pipeline_settings")
    p = Pipeline(tmp_path, data_dir, **(marker.kwargs if marker else {}))
    yield p
    p.close()


def ids_of(urls: list[str]) -> list[str]:
    return [id_for_url(u)[0] for u in urls]
