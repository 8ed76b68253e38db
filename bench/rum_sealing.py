"""Experiment: does sealing fit beside GIN indexing? Sealing means a partial RUM index over each range
of articles, built in bulk while the load goes on.

    python bench/rum_sealing.py --store postgresql://postgres@127.0.0.1:5432/sealing --n 100000 --seal 20000
    python bench/rum_sealing.py --store postgresql://postgres@127.0.0.1:5432/sealing --n 100000 --seal 0

This is the two-tier path that doc/choices.md weighs: GIN takes every article as today, and each full
range of `--seal` articles gets its own RUM index (`CREATE INDEX CONCURRENTLY … WHERE seq > lo AND seq
<= hi`), for phrase and ranked searches over the older articles. The script prints the upsert rate with
and without it (`--seal 0`), the rate counted until the last build ends, and each build's time.

The articles are generated before the clock starts, so the load and the builds share the cores with
nothing else. The store is emptied first. The RUM extension must be available on the server.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).parent))
from store import Generator, empty, machine_cpu

from newsflow.search.postgres import PostgresStore

SEALS = "newsflow_seal_"  # the partial indexes' name prefix; dropped at the start of a run


def build_seal(url: str, lo: int, hi: int, size: int, timings: list[tuple[int, float]]) -> None:
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute(
            f"CREATE INDEX CONCURRENTLY {SEALS}{hi} ON article_text USING rum (tsv rum_tsvector_ops)"
            f" WHERE seq > {lo} AND seq <= {hi}"
        )
    timings.append((size, time.perf_counter() - started))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True, help="postgresql://… (emptied first)")
    ap.add_argument("--n", type=int, default=20_000, help="articles to load")
    ap.add_argument("--seal", type=int, default=5_000, help="articles per sealed range (0: no sealing)")
    ap.add_argument("--batch", type=int, default=1_000)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/newsflow-bench"))
    args = ap.parse_args()

    gen = Generator(1, args.data_dir)
    articles = [gen.article(i) for i in range(args.n)]
    store = PostgresStore(args.store, text_index="gin")
    empty(store)
    with psycopg.connect(args.store, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS rum")
        for (name,) in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", (SEALS + "%",)
        ).fetchall():
            conn.execute(f"DROP INDEX {name}")
    builds: list[threading.Thread] = []
    timings: list[tuple[int, float]] = []
    sealed, sealed_seq = 0, None
    machine_before, started = machine_cpu(), time.perf_counter()
    for start in range(0, args.n, args.batch):
        store.upsert(articles[start : start + args.batch])
        loaded = min(args.n, start + args.batch)
        if args.seal and loaded - sealed >= args.seal:
            with store.pool.connection() as conn:  # seq goes on from where a TRUNCATEd table's was
                low, top = conn.execute("SELECT min(seq) - 1, max(seq) FROM article_text").fetchone()
            sealed_seq = low if sealed_seq is None else sealed_seq
            builds.append(
                threading.Thread(
                    target=build_seal, args=(args.store, sealed_seq, top, loaded - sealed, timings)
                )
            )
            builds[-1].start()
            sealed, sealed_seq = loaded, top
    upsert_s = time.perf_counter() - started
    machine_after = machine_cpu()
    for build in builds:
        build.join()
    total_s = time.perf_counter() - started
    store.close()

    print(
        f"articles         {args.n:,}, sealed every {args.seal:,}"
        if args.seal
        else f"articles         {args.n:,}, no sealing"
    )
    print(f"upserts          {args.n / upsert_s:,.0f} docs/s ({upsert_s:.1f} s)")
    print(f"with the builds  {args.n / total_s:,.0f} docs/s ({total_s:.1f} s, until the last build ended)")
    if machine_before and machine_after:
        busy = (machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1])
        print(f"machine          {busy:.0%} busy during the upserts")
    for size, seconds in timings:
        print(
            f"  build          {size:>8,} articles  {seconds:6.1f} s  ({seconds / size * 1000:.2f} ms/article)"
        )


if __name__ == "__main__":
    main()
