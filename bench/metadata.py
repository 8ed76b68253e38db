"""Article metadata (publication day and time, title, authors) scored by the metadata corpus's own scorer,
for newsflow beside trafilatura and htmldate alone, in one run.

    .venv/bin/python bench/metadata.py ../shared/corpus/metadata/dev.jsonl [--corpus trafilatura] [--errors 5]

newsflow runs the path `newsflow extract --jsonl` and the ingest worker run: `extract_article(html, url)`
(body, then metadata), scored by `published_local` (the page's own offset, so its date is the publisher's
day); `newsflow-utc` scores the same articles by `published_at` (UTC), the field evaluate.py reads from
the JSON lines of `newsflow extract --jsonl`, so the two readings of one run stand side by side. The references, on the same pages: trafilatura's `extract_metadata` (its title,
authors and day) and htmldate's `find_date` (extensive search, original date, with a time where it finds
one), run by the corpus's own predict.py, loaded from beside the gold file. Per corpus and over all pages: the share of
pages with the right publication day, the share within 60 s where the gold has a time (`dt60`), the
share of those cut to midnight or a bare day (`trunc`), titles exact and authors F1, and ms per page; "-"
where a system never gives the field.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corpus_scorer import load_scorer  # bench/ is the script's directory

Predict = Callable[[str, str | None], dict[str, Any]]


_articles: dict[tuple[str | None, str], Any] = {}


def _article(html: str, url: str | None) -> Any:
    from newsflow.ingest.extract import ExtractionError, extract_article

    if (url, html) not in _articles:
        try:
            _articles[url, html] = extract_article(html, url, min_text_chars=0)
        except ExtractionError:
            _articles[url, html] = None
    return _articles[url, html]


def newsflow_predict(html: str, url: str | None) -> dict[str, Any]:
    article = _article(html, url)
    if article is None:
        return {}
    # published_local is the instant in the page's own offset (its date is the publisher's day), or a
    # bare day where the page gives no time: what the scorer reads as a day and as an instant.
    return {"title": article.title, "authors": article.authors, "published_at": article.published_local}


def newsflow_utc_predict(html: str, url: str | None) -> dict[str, Any]:
    """The same articles scored by `published_at`, the UTC instant, as evaluate.py reads the JSON lines
    of `newsflow extract --jsonl`: a US evening story is dated the next day. Reuses the extraction above,
    so its ms/page is not a speed."""
    article = _article(html, url)
    if article is None:
        return {}
    published = article.published_at.isoformat().replace("+00:00", "Z") if article.published_at else None
    return {"title": article.title, "authors": article.authors, "published_at": published}


FIGURES = (
    ("date", "date"),
    ("dt60", "dt60"),
    ("trunc", "trunc"),
    ("title_exact", "t_exact"),
    ("au_f1", "au_f1"),
)
# What each system gives at all: a figure of a field it never gives is printed as "-", not 0.
GIVES = {
    "newsflow": {"date", "dt60", "trunc", "title_exact", "au_f1"},
    "newsflow-utc": {"date", "dt60", "trunc"},
    "trafilatura": {"date", "title_exact", "au_f1"},  # a day, never a time
    "htmldate": {"date", "dt60", "trunc"},
}


def run(
    scorer: Any, gold: list[dict[str, Any]], base: Path, predict: Predict, errors: int
) -> tuple[dict[str, dict[str, Any]], float, list[tuple[Any, ...]]]:
    tallies: dict[str, Any] = defaultdict(scorer.Tally)
    misses: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    started = time.perf_counter()
    for g in gold:
        try:
            p = predict(scorer.page_html(g, base), g.get("url"))
        except Exception:  # noqa: BLE001 - a crash is an empty prediction, as predict.py counts it
            p = {}
        for key in (g["corpus"], "ALL"):
            scorer.score_page(g, p, tallies[key], misses[key] if key != "ALL" else [])
    ms = (time.perf_counter() - started) / max(len(gold), 1) * 1000
    listed = [m for k, ms_ in misses.items() for m in ms_[: errors * 8]] if errors else []
    return {k: scorer.metrics(t) for k, t in tallies.items()}, ms, listed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("gold", type=Path, help="the corpus's dev.jsonl (its evaluate.py beside it)")
    parser.add_argument("--corpus", action="append", help="only this corpus (repeatable)")
    parser.add_argument("--errors", type=int, default=0, help="list up to N of newsflow's misses per field")
    parser.add_argument("--systems", default="newsflow,newsflow-utc,trafilatura,htmldate")
    args = parser.parse_args()

    scorer = load_scorer(args.gold.resolve().parent / "evaluate.py")
    # The references exactly as the corpus's predict.py runs them; newsflow as the worker runs it.
    references = load_scorer(args.gold.resolve().parent / "predict.py", "corpus_predict")
    systems: dict[str, Predict] = {
        "newsflow": newsflow_predict,
        "newsflow-utc": newsflow_utc_predict,
        **references.SYSTEMS,
    }
    gold = [g for g in scorer.read_jsonl(args.gold) if not args.corpus or g["corpus"] in args.corpus]
    base = args.gold.resolve().parent
    results, speed, newsflow_misses = {}, {}, []
    for name in args.systems.split(","):
        results[name], speed[name], misses = run(scorer, gold, base, systems[name], args.errors)
        if name == "newsflow":
            newsflow_misses = misses

    corpora = sorted({g["corpus"] for g in gold}) + ["ALL"]
    names = list(results)
    print(f"{len(gold)} pages; each cell: " + " / ".join(names) + " (n pages with that gold)")
    print(f"{'corpus':16} " + " ".join(f"{label:>26}" for _, label in FIGURES))
    for corpus in corpora:
        cells = []
        for key, _ in FIGURES:
            values = [results[n].get(corpus, {}).get(key) if key in GIVES[n] else None for n in names]
            n = (
                results[names[0]]
                .get(corpus, {})
                .get(
                    {
                        "date": "date_n",
                        "dt60": "dt_n",
                        "trunc": "dt_n",
                        "title_exact": "title_n",
                        "au_f1": "au_n",
                    }[key]
                )
            )
            cells.append(" / ".join("  -  " if v is None else f"{v:.3f}" for v in values) + f" ({n})")
        print(f"{corpus:16} " + " ".join(f"{c:>26}" for c in cells))
    print("ms/page          " + "  ".join(f"{n} {speed[n]:.1f}" for n in names if n != "newsflow-utc"))
    for miss in newsflow_misses:
        print(f"  newsflow miss {miss[1]} {miss[0]}: gold={miss[2]!r} pred={miss[3]!r}")


if __name__ == "__main__":
    main()
