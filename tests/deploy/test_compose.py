"""The compose deployment, built and run for real: deploy/compose.yaml and deploy/Dockerfile on a Docker
engine (installed here when the machine has none), driven from the host as a user drives it.

The tests run in file order against one deployment and each prints what it measured:
build, start to healthy, push to searchable, image sizes, worker start, restart after SIGKILL.
`./dev compose` runs them alone. Without an engine they skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import signal
import time
from http.server import BaseHTTPRequestHandler

import httpx
import jsonschema
import pytest

from newsflow.cli.pageserver import PageServer
from newsflow.pipeline import PIPELINE, PRODUCERS
from tests.conftest import PAGES, REPO, _missing
from tests.deploy.engine import Engine, EngineMissing, run
from tests.deploy.stack import Deployment
from tests.faults.conftest import story_html

pytestmark = [pytest.mark.compose, pytest.mark.slow, pytest.mark.timeout(900)]

WORKERS = [*(spec.name for spec in PIPELINE), *(p.name for p in PRODUCERS)]
SEED = "dw-mali-russia.html"


class _Pages(BaseHTTPRequestHandler):
    """The seed story and as many distinct stories as a test wants (/story/N); no robots.txt."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        if self.path == f"/{SEED}":
            body, status = (PAGES / SEED).read_bytes(), 200
        elif self.path.startswith("/story/"):
            body, status = story_html(int(self.path.rsplit("/", 1)[1])), 200
        else:
            body, status = b"not here", 404
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Report:
    """Figures printed as they are measured, past pytest's capture, and again at the end."""

    def __init__(self, config: pytest.Config):
        self.capture = config.pluginmanager.getplugin("capturemanager")
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        with self.capture.global_and_fixture_disabled():
            print(f"\n[compose] {line}", flush=True)


def _iptables() -> str:
    """The packet filter's rules without their counters."""
    rules = []
    for table in ("filter", "nat"):
        out = run("iptables-save", "-t", table, check=False).stdout
        rules += [re.sub(r"\[\d+:\d+\]", "", line) for line in out.splitlines() if not line.startswith("#")]
    return "\n".join(rules)


@pytest.fixture(scope="module")
def report(request):
    said = Report(request.config)
    yield said
    with said.capture.global_and_fixture_disabled():
        print("\n[compose] summary:\n  " + "\n  ".join(said.lines), flush=True)


@pytest.fixture(scope="module")
def engine(tmp_path_factory, report):
    found = Engine(tmp_path_factory.mktemp("engine"))
    try:
        started = time.monotonic()
        found.ensure()
        if found.installed or found.daemon:
            report(
                f"engine: installed {found.installed or 'nothing'}, dockerd started in {time.monotonic() - started:.0f} s"
            )
        started = time.monotonic()
        found.images = found.base_images()
        report(f"base images ({time.monotonic() - started:.0f} s): {found.images or 'upstream'}")
    except EngineMissing as exc:
        found.stop()
        _missing(f"no Docker engine for the deployment test: {exc}")
    yield found
    found.stop()


@pytest.fixture(scope="module")
def pages(engine):
    """The page server on the engine's bridge address: every compose network's containers reach it
    there through the host, and the traffic never leaves this machine."""
    bridge = json.loads(run("docker", "network", "inspect", "bridge").stdout)[0]
    config = bridge["IPAM"]["Config"][0]
    # The default bridge reports its subnet only; docker0 takes the subnet's first address.
    gateway = config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))
    with PageServer(handler=_Pages, host=gateway) as server:
        yield server


@pytest.fixture(scope="module")
def deployment(engine, pages, tmp_path_factory, report):
    before = {
        "iptables": _iptables(),
        "images": set(run("docker", "images", "-q", "newsflow").stdout.split()),
    }
    stack = Deployment(
        engine,
        f"nfci{os.getpid()}",
        tmp_path_factory.mktemp("compose"),
        {
            **engine.images,
            "NEWSFLOW_FETCH_ALLOWED_NETWORKS": f"{pages.host}/32",
            # One page server for every story: politeness toward it has its own tests.
            "NEWSFLOW_FETCH_HOST_INTERVAL_S": "0.1",
        },
    )
    stack.before = before
    try:
        yield stack
    finally:
        stack.compose(
            "--profile", "monitoring", "down", "-v", "--remove-orphans", "--timeout", "30", check=False
        )


def test_the_images_build_and_every_healthcheck_passes(deployment, report):
    started = time.monotonic()
    deployment.compose("build", timeout=900)
    report(f"build: {time.monotonic() - started:.0f} s")
    for name in ["newsflow:latest", *deployment.engine.images.values()]:
        size = int(run("docker", "image", "inspect", "-f", "{{.Size}}", name).stdout)
        report(f"image {name}: {size / 1e6:.0f} MB")

    started = time.monotonic()
    deployment.compose("up", "-d")
    waited = deployment.wait_healthy({"redis": 1, "postgres": 1, "api": 1, **dict.fromkeys(WORKERS, 1)})
    report(f"up -d to every healthcheck passing: {time.monotonic() - started:.0f} s (waiting {waited} s)")

    (bootstrap,) = deployment.containers("bootstrap")
    assert bootstrap["State"]["ExitCode"] == 0, deployment.logs("bootstrap")
    for worker in WORKERS:
        (container,) = deployment.containers(worker)
        assert container["Config"]["User"] == "newsflow"  # not root
        report(
            f"worker {worker}: container start to worker_started {deployment.worker_started_after(container)} s"
        )


def test_no_secret_is_in_an_image_layer_or_a_log(deployment):
    history = run("docker", "history", "--no-trunc", "newsflow:latest").stdout
    image = run("docker", "image", "inspect", "newsflow:latest").stdout
    logs = deployment.logs(tail=100_000)
    assert "worker_started" in logs  # the logs were read
    for secret in deployment.secrets:
        assert secret not in history and secret not in image
        assert secret not in logs


def test_a_pushed_page_is_found_by_its_places(deployment, pages, report):
    started = time.monotonic()
    (queued,) = deployment.push([pages.url(SEED)])
    deployment.wait_stored([queued["id"]], timeout=120)
    report(f"push to searchable, one page: {time.monotonic() - started:.1f} s")
    with deployment.api() as api:
        for place in ("Bamako", "Timbuktu"):
            found = api.get("/v1/search", params={"place": place}).json()
            assert queued["id"] in [a["id"] for a in found["results"]], place
    deployment.seed_id = queued["id"]


def test_a_consumer_outside_reads_the_enriched_event(deployment):
    redis = deployment.redis()
    entries = [
        fields for _, fields in redis.xrange("news.enriched") if fields.get("id") == deployment.seed_id
    ]
    assert len(entries) == 1
    event = json.loads(entries[0]["json"])
    schema = json.loads((REPO / "schema" / "enriched-article.v1.json").read_text())
    jsonschema.validate(event, schema)
    places = {p["name"] for p in event["places"]} | {p["resolved_name"] for p in event["places"]}
    assert {"Mali", "Bamako", "Timbuktu"} <= places, places
    assert "Wagner Group" in event["organizations"]
    with pytest.raises(Exception, match="(?i)auth"):  # and nobody reads it without the password
        __import__("redis").Redis(port=deployment.redis_port).xlen("news.enriched")


def test_two_enrich_replicas_index_fifty_pages_once_each(deployment, pages, report):
    deployment.compose("up", "-d", "--scale", "enrich=2")
    deployment.wait_healthy({"enrich": 2})
    redis = deployment.redis()
    # Each replica joins the group as it starts, under its own name, before any entry reaches it.
    readers = {c["name"] for c in redis.xinfo_consumers("news.articles", "enrich")}
    hosts = {c["Config"]["Hostname"] for c in deployment.containers("enrich") if c["State"]["Running"]}
    assert len(hosts) == 2
    assert all(any(r.startswith(f"{h}-") and not r.endswith("-reclaim") for r in readers) for h in hosts), (
        hosts,
        readers,
    )
    started = time.monotonic()
    ids = [q["id"] for q in deployment.push([pages.url(f"story/{1000 + i}") for i in range(50)])]
    assert len(set(ids)) == 50
    waited = deployment.wait_stored(ids)
    report(
        f"50 pages with 2 enrich replicas: pushed to all searchable in {waited} s ({time.monotonic() - started:.1f} s)"
    )

    enriched = [f["id"] for _, f in redis.xrange("news.enriched") if f.get("id") in set(ids)]
    assert sorted(enriched) == sorted(ids)  # each enriched, so indexed, exactly once
    consumers = redis.xinfo_consumers("news.articles", "enrich")
    report(f"enrich consumers: {[(c['name'], c['pending']) for c in consumers]}")
    assert redis.xlen("news.dlq") == 0


def test_a_worker_killed_mid_run_is_restarted_and_nothing_is_lost(deployment, pages, report):
    ids = [q["id"] for q in deployment.push([pages.url(f"story/{2000 + i}") for i in range(30)])]
    deadline = time.monotonic() + 120
    while len(deployment.stored(ids)) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    victim = deployment.containers("enrich")[0]
    done_at_kill = len(deployment.stored(ids))
    os.kill(victim["State"]["Pid"], signal.SIGKILL)  # as the kernel's OOM killer would
    killed = time.monotonic()

    while True:
        (now,) = [c for c in deployment.containers("enrich") if c["Id"] == victim["Id"]]
        if (
            now["RestartCount"] > victim["RestartCount"]
            and now["State"].get("Health", {}).get("Status") == "healthy"
        ):
            break
        assert time.monotonic() - killed < 180, f"not restarted: {now['State']}"
        time.sleep(1)
    report(
        f"enrich SIGKILLed with {done_at_kill}/30 indexed: healthy again after {time.monotonic() - killed:.0f} s, "
        f"worker_started {deployment.worker_started_after(now)} s after its restart"
    )
    deployment.wait_stored(ids)
    assert deployment.redis().xlen("news.dlq") == 0


def _streams(deployment) -> dict[str, dict]:
    """Each stream's length and, per group, where it stands."""
    redis = deployment.redis()
    keep = ("last-delivered-id", "pending", "entries-read", "lag")
    return {
        stream: {
            "length": redis.xlen(stream),
            "groups": {g["name"]: {k: g[k] for k in keep} for g in redis.xinfo_groups(stream)},
        }
        for stream in ("news.urls", "news.articles", "news.enriched")
    }


def _positions(streams: dict[str, dict]) -> dict[str, dict]:
    """Without entries-read and lag: Redis 7.0 rebuilds a group from its AOF without its entries-read
    counter, so a restarted Redis reports the lag again only after the group's next read."""
    return {
        name: {
            **s,
            "groups": {
                g: {"at": v["last-delivered-id"], "pending": v["pending"]} for g, v in s["groups"].items()
            },
        }
        for name, s in streams.items()
    }


def test_down_and_up_keep_every_article_and_queued_url(deployment, pages, report):
    deployment.compose("stop", "ingest")
    queued = [q["id"] for q in deployment.push([pages.url(f"story/{3000 + i}") for i in range(5)])]
    articles, streams = deployment.total(), _streams(deployment)
    assert articles >= 81 and streams["news.urls"]["groups"]["ingest"]["lag"] == 5  # the five wait

    deployment.compose("down", "--timeout", "30")
    started = time.monotonic()
    # Everything but ingest, so the queued URLs stay queued while the state is compared.
    deployment.compose("up", "-d", "--scale", "ingest=0")
    deployment.wait_healthy({"redis": 1, "postgres": 1, "api": 1, "enrich": 1, "index": 1})
    report(f"down, then up -d to healthy with the volumes kept: {time.monotonic() - started:.0f} s")
    (bootstrap,) = deployment.containers("bootstrap")
    assert bootstrap["State"]["ExitCode"] == 0
    assert deployment.total() == articles
    assert _positions(_streams(deployment)) == _positions(streams)
    # The bootstrap, run once more on a stack that holds data, changes nothing.
    streams = _streams(deployment)
    assert "migrated" in deployment.compose("run", "--rm", "-T", "bootstrap").stdout
    assert _streams(deployment) == streams and deployment.total() == articles

    deployment.compose("up", "-d", "--scale", "ingest=1")
    deployment.wait_stored(queued, timeout=180)
    assert deployment.total() == articles + 5


def test_prometheus_scrapes_every_replica_and_the_dashboard_queries_answer(deployment, report):
    deployment.compose("up", "-d", "--scale", "enrich=2", "--scale", "ingest=1")
    deployment.wait_healthy({"enrich": 2, "ingest": 1})
    deployment.compose("--profile", "monitoring", "up", "-d", "--no-deps", "prometheus")
    replicas = {w: len(deployment.containers(w)) for w in WORKERS}
    prometheus = httpx.Client(base_url=f"http://127.0.0.1:{deployment.prometheus_port}", timeout=10)
    started = time.monotonic()
    while True:
        try:
            targets = prometheus.get("/api/v1/targets").json()["data"]["activeTargets"]
        except httpx.HTTPError:
            targets = []
        up = [t for t in targets if t["health"] == "up"]
        workers = [t for t in up if t["labels"]["job"] == "newsflow-workers"]
        if len(workers) == sum(replicas.values()) and any(t["labels"]["job"] == "newsflow-api" for t in up):
            break
        assert time.monotonic() - started < 180, (
            f"targets: {[(t['scrapeUrl'], t['health']) for t in targets]}"
        )
        time.sleep(3)
    report(f"prometheus: {len(up)} targets up after {time.monotonic() - started:.0f} s ({replicas} + api)")
    by_service: dict[str, int] = {}
    for t in workers:
        by_service[t["labels"]["service"]] = by_service.get(t["labels"]["service"], 0) + 1
    assert by_service == replicas

    # Every panel's query is valid PromQL, and answers with data whenever the series it reads exist.
    time.sleep(16)  # one more scrape, so rate() has two samples

    def query(expr: str) -> dict:
        result = prometheus.get("/api/v1/query", params={"query": expr}).json()
        assert result["status"] == "success", (expr, result)
        return result["data"]["result"]

    dashboard = json.loads((REPO / "deploy" / "grafana" / "dashboards" / "newsflow.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    answered = 0
    for expr in exprs:
        result = query(expr)
        selectors = re.findall(r"\b(?:newsflow_\w+|up)(?:\{[^}]*\})?", expr)
        assert selectors, expr
        if all(query(s) for s in selectors):
            assert result, f"no data for {expr}, though each of {selectors} has"
            answered += 1
    report(
        f"dashboard: {len(exprs)} panel queries valid, {answered} with data (the rest read metrics not yet seen)"
    )
    assert answered >= len(exprs) // 2


def test_down_leaves_nothing_behind(deployment, report):
    started = time.monotonic()
    deployment.compose("--profile", "monitoring", "down", "-v", "--remove-orphans", "--timeout", "30")
    for name in set(run("docker", "images", "-q", "newsflow").stdout.split()) - deployment.before["images"]:
        run("docker", "rmi", "-f", name)
    run("docker", "image", "prune", "-f", "--filter", "label=newsflow.stage=build")
    report(f"down -v: {time.monotonic() - started:.0f} s")
    label = f"label=com.docker.compose.project={deployment.project}"
    assert run("docker", "ps", "-a", "-q", "--filter", label).stdout.split() == []
    assert run("docker", "network", "ls", "-q", "--filter", label).stdout.split() == []
    assert run("docker", "volume", "ls", "-q", "--filter", label).stdout.split() == []
    assert _iptables() == deployment.before["iptables"]
    # Nor the build stage's image, which the classic builder leaves untagged.
    assert run("docker", "images", "-q", "--filter", "label=newsflow.stage=build").stdout.split() == []
