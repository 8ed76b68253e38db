"""The costliest searches a client may send, timed against the search time limit, on SQLite or PostgreSQL.

    python bench/search_limits.py --store sqlite:////tmp/limits.db --n 20000
    python bench/search_limits.py --store postgresql://postgres@127.0.0.1:5432/newsflow_bench --n 20000

Loads N generated articles (bench/store.py's generator: 450-900 Zipf-distributed English words each),
then runs what `GET /v1/search` runs, `store.search` on a store opened with NEWSFLOW_SEARCH_TIMEOUT_S,
facets included: the commonest words that are not stop words (PostgreSQL drops those) OR'd together, 1 (the reference, same run), 10, 20 and 32 of them
(32 is the most a search takes), each --repeat times one after another and then 6 at once. Prints
seconds per search (median and worst) beside the limit, and how many stopped at it (504). A 33-word
query is refused before it reaches the store; its 422 is timed too.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import ValidationError
from store import Generator, empty  # type: ignore[import-not-found]  # bench/ is the script's directory

from newsflow.search.query import MAX_TERMS, SearchQuery, SearchTimeout
from newsflow.search.store import open_store
from newsflow.settings import Settings


def timed(store, q: str) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        store.search(SearchQuery(q=q, facets=True))
        stopped = False
    except SearchTimeout:
        stopped = True
    return time.perf_counter() - started, stopped


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True, help="sqlite:///PATH (a new file) or postgresql://…")
    ap.add_argument("--n", type=int, default=20_000, help="articles to load")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--limit-s", type=float, default=Settings().search_timeout_s, help="the search time limit"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/newsflow-bench"))
    args = ap.parse_args()

    gen = Generator(args.seed, args.data_dir)
    store = open_store(args.store, search_timeout_s=args.limit_s)
    empty(store)
    started = time.perf_counter()
    for start in range(0, args.n, 1000):
        store.upsert([gen.article(i) for i in range(start, min(args.n, start + 1000))])
    print(
        f"loaded {store.count():,} articles in {time.perf_counter() - started:.0f} s; limit {args.limit_s:g} s"
    )

    from spacy.lang.en.stop_words import STOP_WORDS

    common = [w for w in gen.words if w.lower() not in STOP_WORDS and w.isalpha()]
    print(f"{'OR terms':>8} {'one at a time p50 / max':>24} {'6 at once p50 / max':>22} {'stopped':>8}")
    for k in (1, 10, 20, MAX_TERMS):
        q = " OR ".join(common[:k])
        alone = [timed(store, q) for _ in range(args.repeat)]
        with ThreadPoolExecutor(6) as pool:
            together = list(pool.map(timed, [store] * 6, [q] * 6))
        times_a, times_t = [t for t, _ in alone], [t for t, _ in together]
        stopped = sum(s for _, s in alone + together)
        print(
            f"{k:>8} {statistics.median(times_a):>13.2f} / {max(times_a):>6.2f} s"
            f" {statistics.median(times_t):>11.2f} / {max(times_t):>6.2f} s {stopped:>5}/{len(alone) + 6}"
        )
    q = " OR ".join(common[: MAX_TERMS + 1])
    started = time.perf_counter()
    try:
        SearchQuery(q=q)
        sys.exit(f"a {MAX_TERMS + 1}-word query was accepted")
    except ValidationError as exc:
        refused = time.perf_counter() - started
        print(f"{MAX_TERMS + 1} OR terms: refused (422) in {refused * 1000:.2f} ms: {exc.errors()[0]['msg']}")
    store.close()


if __name__ == "__main__":
    main()
