"""One very long body through the enrich worker's code (`Enricher.enrich`), with the worker's limit
(NEWSFLOW_ENRICH_MAX_CHARS) and without it, each in its own process: seconds and peak RSS side by side.

    .venv/bin/python bench/enrich_limit.py [--chars 900000] [--timeout 600]

The body is the demo story repeated to --chars characters (a 1.2 MB page extracts to about a million).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def one_run(chars: int, max_chars: int) -> dict[str, float]:
    from newsflow.enrich.enricher import Enricher
    from newsflow.ingest.extract import extract_article
    from newsflow.schemas import Article, utcnow

    page = (REPO / "libs/cli/newsflow/cli/demo/pages/dw-mali-russia.html").read_text()
    body = extract_article(page, "https://www.dw.com/en/a").text
    text = "\n".join([body] * (chars // len(body) + 1))[:chars]
    enricher = Enricher(max_chars=max_chars)
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    article = Article(
        id="long", url="https://e.com/a", canonical_url="https://e.com/a", text=text, fetched_at=utcnow()
    )
    started = time.perf_counter()
    enriched = enricher.enrich(article)
    return {
        "seconds": time.perf_counter() - started,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_load_mib": loaded,
        "places": len(enriched.places),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chars", type=int, default=900_000)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: a single run, JSON out
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one_run(args.chars, args.one)))
        return
    from newsflow.settings import Settings

    limit = Settings().enrich_max_chars
    print(f"body of {args.chars:,} characters; enrich limit {limit:,}")
    print(f"{'run':24} {'seconds':>8} {'peak RSS MiB':>13} {'places':>7}")
    for label, max_chars in (("worker (limited)", limit), ("whole body (reference)", args.chars + 1)):
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--chars", str(args.chars), "--one", str(max_chars)],
                capture_output=True,
                text=True,
                timeout=args.timeout,
                check=True,
            )
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{label:24} {r['seconds']:8.1f} {r['peak_rss_mib']:13.0f} {r['places']:7d}")
        except subprocess.TimeoutExpired:
            print(f"{label:24} {'>' + str(int(args.timeout)):>8} {'-':>13} {'-':>7}")


if __name__ == "__main__":
    main()
