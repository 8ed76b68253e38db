"""The whole pipeline end to end: real news pages pushed through `newsflow up`, against the same work done
in one process, in the same run.

    .venv/bin/python bench/pipeline.py ../shared/corpus/extraction/zyte ../shared/corpus/extraction/fundus

Every `<corpus>/<id>/page.html` is served from 127.0.0.1 (the 121 Zyte and 54 Fundus pages: 175).

- **stack**: `newsflow up` on a fresh data dir (embedded redis-server, SQLite store), started, ready and
  warmed up by one page (not counted) before the clock starts; every URL pushed at once (`push_urls`, what `newsflow push` calls); the
  clock stops when each article's trace says indexed, dead-lettered or skipped. Latency is each
  article's push -> indexed time from its trace. CPU seconds and peak RSS (VmHWM) of every process the
  stack ran are read from /proc before it stops.
- **one process**: the same handlers called in a loop, no streams between them: IngestHandler.handle
  (fetch, extract, dedup) on a redis-server of its own, Enricher.enrich (what EnrichHandler runs), and
  IndexHandler.handle_batch on a fresh SQLite store, in batches of NEWSFLOW_INDEX_BATCH_SIZE; warmed up
  by the same page first.

Both fetch with NEWSFLOW_FETCH_HOST_INTERVAL_S=0: every page comes from one host (127.0.0.1), which
politeness would otherwise pace to one request a second. --enrich-processes sets
NEWSFLOW_ENRICH_PROCESSES for the stack (default: the setting's own default for this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from newsflow import keys
from newsflow.cli.pageserver import PageServer
from newsflow.logs import configure_logging
from newsflow.push import push_urls
from newsflow.redis_server import EmbeddedRedis, free_port
from newsflow.settings import Settings

CLK_TCK = os.sysconf("SC_CLK_TCK")


def collect_pages(corpora: list[Path], folder: Path, limit: int | None) -> list[str]:
    """Link every page.html into one served folder; their file names."""
    names = []
    for corpus in corpora:
        for page in sorted(corpus.glob("*/page.html")):
            name = f"{corpus.name}-{page.parent.name}.html"
            (folder / name).symlink_to(page.resolve())
            names.append(name)
    return names[:limit] if limit else names


def bench_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    env.update(
        {
            "NEWSFLOW_DATA_DIR": str(data_dir),
            "NEWSFLOW_FETCH_ALLOW_PRIVATE": "true",
            "NEWSFLOW_FETCH_HOST_INTERVAL_S": "0",
            "NEWSFLOW_API_PORT": str(free_port()),
            "NEWSFLOW_LOG_LEVEL": "warning",
            **extra,
        }
    )
    return env


def proc_figures(pid: int) -> tuple[float, float] | None:
    """(CPU seconds, peak RSS MiB) of a live process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    cpu = (int(stat[11]) + int(stat[12])) / CLK_TCK
    hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
    return cpu, hwm / 1024


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def command_of(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [a.decode() for a in args if a]
    if "worker" in words:
        return "worker " + words[words.index("worker") + 1]
    if "api" in words:
        return "api"
    return Path(words[0]).name if words else "?"


def parse_utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def wait_all(redis: Redis, ids: list[str], timeout: float) -> dict[str, dict[str, str]]:
    """Each article's trace once it is indexed, dead or skipped (or when the time is up)."""
    deadline = time.monotonic() + timeout
    done: dict[str, dict[str, str]] = {}
    while time.monotonic() < deadline and len(done) < len(ids):
        waiting = [i for i in ids if i not in done]
        async with redis.pipeline(transaction=False) as pipe:
            for article_id in waiting:
                pipe.hgetall(keys.trace(article_id))
            traces = await pipe.execute()
        for article_id, trace in zip(waiting, traces, strict=True):
            if "index_at" in trace or "dead_at" in trace or any(k.endswith("_skipped") for k in trace):
                done[article_id] = trace
        await asyncio.sleep(0.25)
    return done


def run_stack(urls: list[str], work: Path, processes: str | None, timeout: float) -> dict[str, Any]:
    data_dir = work / "stack"
    env = bench_env(data_dir, **({"NEWSFLOW_ENRICH_PROCESSES": processes} if processes else {}))
    log = (work / "up.log").open("w")
    up = subprocess.Popen([sys.executable, "-m", "newsflow.cli", "up"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 180
        stack = data_dir / "stack.json"
        while "newsflow is up" not in (work / "up.log").read_text():
            if up.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"newsflow up did not start:\n{(work / 'up.log').read_text()[-2000:]}")
            time.sleep(0.2)
        info = json.loads(stack.read_text())
        settings = Settings(redis_url=info["redis_url"], data_dir=data_dir)

        before: dict[int, tuple[float, float] | None] = {}

        async def go() -> tuple[float, dict[str, dict[str, str]], list[str]]:
            redis = Redis.from_url(info["redis_url"], decode_responses=True)
            try:
                # One page first, as a warm-up for both runs (lazy imports, first-call costs).
                warm = await push_urls(redis, settings, [urls[0] + "?warmup=1"], source="bench")
                await wait_all(redis, [warm[0].id or ""], 120)
                # CPU is counted from here: loading the models and building caches is not the run's.
                before.update({pid: proc_figures(pid) for pid in descendants(up.pid)})
                started = time.perf_counter()
                pushed = await push_urls(redis, settings, urls, source="bench")
                ids = [p.id for p in pushed if p.id]
                done = await wait_all(redis, ids, timeout)
                return time.perf_counter() - started, done, ids
            finally:
                await redis.aclose()

        wall, done, ids = asyncio.run(go())
        procs = {}
        for pid in descendants(up.pid):
            figures, start = proc_figures(pid), before.get(pid)
            if figures:
                procs[pid] = (command_of(pid), (figures[0] - (start[0] if start else 0.0), figures[1]))
    finally:
        up.send_signal(2)  # Ctrl-C: up stops its workers, API and Redis in order
        try:
            up.wait(60)
        except subprocess.TimeoutExpired:
            up.kill()
        log.close()
    latencies = [
        (parse_utc(t["index_at"]) - parse_utc(t["pushed_at"])).total_seconds()
        for t in done.values()
        if "index_at" in t and "pushed_at" in t
    ]
    return {
        "wall": wall,
        "pushed": len(ids),
        "indexed": sum("index_at" in t for t in done.values()),
        "dead": sum("dead_at" in t for t in done.values()),
        "skipped": sum(any(k.endswith("_skipped") for k in t) for t in done.values()),
        "unfinished": len(ids) - len(done),
        "latencies": latencies,
        "procs": procs,
        "dead_reasons": sorted({t.get("dead_reason", "")[:80] for t in done.values() if "dead_at" in t}),
    }


def run_one_process(urls: list[str], work: Path) -> dict[str, Any]:
    from newsflow.enrich.enricher import Enricher
    from newsflow.index.worker import IndexHandler
    from newsflow.ingest.worker import IngestHandler
    from newsflow.runtime import Entry
    from newsflow.schemas import Article
    from newsflow.streams import encode_event, parse_event

    data_dir = work / "one"
    data_dir.mkdir()
    server = EmbeddedRedis(data_dir, None)
    redis_url = server.start()
    settings = Settings(
        redis_url=redis_url, data_dir=data_dir, fetch_allow_private=True, fetch_host_interval_s=0
    )

    async def go() -> dict[str, Any]:
        redis = Redis.from_url(redis_url, decode_responses=True)
        ingest, index = IngestHandler(settings), IndexHandler(settings)
        await ingest.start(redis)
        await index.start(redis)
        load_started = time.perf_counter()
        enricher = Enricher()
        load = time.perf_counter() - load_started
        batch: list[Entry] = []
        failed = 0
        warm = Entry(settings.stream_urls, "0-1", {"url": urls[0] + "?warmup=1"}, 1)
        await index.handle_batch(
            [
                Entry(
                    settings.stream_enriched,
                    "0-1",
                    encode_event(enricher.enrich(parse_event(await ingest.handle(warm), Article))),
                    1,
                )
            ]
        )
        started = time.perf_counter()
        for n, url in enumerate(urls):
            entry = Entry(settings.stream_urls, f"{n + 1}-0", {"url": url}, 1)
            try:
                fields = await ingest.handle(entry)
            except Exception:  # noqa: BLE001 - a page the worker would dead-letter or skip
                failed += 1
                continue
            async with redis.pipeline(transaction=True) as pipe:
                ingest.after_publish(pipe, entry, fields)
                await pipe.execute()
            enriched = enricher.enrich(parse_event(fields, Article))
            batch.append(Entry(settings.stream_enriched, f"{n + 1}-0", encode_event(enriched), 1))
            if len(batch) >= settings.index_batch_size:
                await index.handle_batch(batch)
                batch = []
        if batch:
            await index.handle_batch(batch)
        wall = time.perf_counter() - started
        await ingest.stop()
        await index.stop()
        await redis.aclose()
        return {"wall": wall, "failed": failed, "load": load}

    try:
        result = asyncio.run(go())
    finally:
        server.stop()
    result["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["cpu"] = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    return result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpora", nargs="+", type=Path, help="folders of <id>/page.html")
    parser.add_argument("--enrich-processes", help="NEWSFLOW_ENRICH_PROCESSES for the stack")
    parser.add_argument("--limit", type=int, help="only the first N pages")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the stack")
    args = parser.parse_args()
    configure_logging("warning")

    work = Path(tempfile.mkdtemp(prefix="newsflow-bench-pipeline-"))
    site = work / "site"
    site.mkdir()
    names = collect_pages(args.corpora, site, args.limit)
    pages = PageServer(site)
    pages.start()
    try:
        urls = [pages.url(name) for name in names]
        default_processes = Settings().enrich_processes
        stack = run_stack(urls, work, args.enrich_processes, args.timeout)
        one = run_one_process(urls, work)
    finally:
        pages.stop()
    done = stack["indexed"]
    processes = args.enrich_processes or str(default_processes)
    print(f"pages            {len(urls)} served from 127.0.0.1 ({', '.join(str(c) for c in args.corpora)})")
    print(f"machine          {os.cpu_count()} cores; stack with {processes} enrich process(es)")
    print(
        f"stack            {stack['wall']:.1f} s: {done / stack['wall']:.2f} articles/s indexed; "
        f"{stack['indexed']} indexed, {stack['dead']} dead-lettered, {stack['skipped']} skipped, "
        f"{stack['unfinished']} unfinished"
    )
    lat = stack["latencies"]
    if lat:
        print(
            f"  push->indexed  p50 {pct(lat, 0.5):.1f} s  p95 {pct(lat, 0.95):.1f} s  max {max(lat):.1f} s"
            f"  mean {statistics.mean(lat):.1f} s"
        )
    for pid, (command, figures) in sorted(stack["procs"].items(), key=lambda kv: kv[1][0]):
        if figures:
            print(
                f"  {command[:14]:<14} pid {pid:<7} CPU {figures[0]:7.1f} s in the run  peak RSS {figures[1]:6.0f} MiB"
            )
    for reason in stack["dead_reasons"]:
        print(f"  dead letter:   {reason}")
    indexed_one = len(urls) - one["failed"]
    print(
        f"one process      {one['wall']:.1f} s: {indexed_one / one['wall']:.2f} articles/s indexed; "
        f"{indexed_one} indexed, {one['failed']} failed (models loaded before: {one['load']:.1f} s); "
        f"CPU {one['cpu']:.1f} s, peak RSS {one['peak_rss']:.0f} MiB"
    )
    print(
        f"stack / one      {(done / stack['wall']) / (indexed_one / one['wall']):.2f}x the one-process rate"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
