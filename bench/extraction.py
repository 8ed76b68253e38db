"""Body-extraction quality and speed: newsflow's extractor beside trafilatura alone, in one run.

    .venv/bin/python bench/extraction.py ../shared/corpus/extraction/zyte ../shared/corpus/extraction/fundus

Each corpus folder holds <page_id>/page.html and <page_id>/truth.json ({"articleBody", "url"}). The
score is the corpus's own metric (word 4-gram shingle precision/recall/F1, from the evaluate.py beside
the folders, or --evaluate PATH), so the figures are the ones that scorer prints. Timings are the
extractor call alone, one page at a time, after a warm-up call; the network is blocked meanwhile.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

import trafilatura
from corpus_scorer import load_scorer  # bench/ is the script's directory

from newsflow.ingest.extract import ExtractionError, extract_article, extract_body


def pages(folder: Path) -> list[tuple[str, str, str | None, str]]:
    out = []
    for d in sorted(p for p in folder.iterdir() if (p / "page.html").exists()):
        truth = json.loads((d / "truth.json").read_text(encoding="utf8"))
        out.append(
            (d.name, (d / "page.html").read_text(encoding="utf8"), truth.get("url"), truth["articleBody"])
        )
    return out


def newsflow_body(html: str, url: str | None) -> str:
    try:
        return extract_article(html, url).text
    except ExtractionError:
        return ""


def trafilatura_body(html: str, url: str | None) -> str:
    # trafilatura 2.x as its benchmark figures are quoted: comments left out, everything else default.
    return trafilatura.extract(html, url=url, include_comments=False) or ""


EXTRACTORS = {"newsflow": newsflow_body, "trafilatura": trafilatura_body}


def run(scorer, corpus: list, extract) -> dict[str, float]:
    extract(corpus[0][1], corpus[0][2])  # warm-up: imports, caches
    scores, times = [], []
    for _, html, url, truth in corpus:
        started = time.perf_counter()
        text = extract(html, url)
        times.append((time.perf_counter() - started) * 1000)
        scores.append(scorer.shingle_tp_fp_fn(truth, text))
    result = scorer.aggregate(scores)
    result["ms_per_doc"] = statistics.mean(times)
    result["p95_ms"] = sorted(times)[int(0.95 * (len(times) - 1))]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpora", nargs="+", type=Path, help="corpus folders of <id>/{page.html,truth.json}")
    parser.add_argument(
        "--evaluate", type=Path, help="the scorer (default: evaluate.py beside the first folder)"
    )
    args = parser.parse_args()
    scorer = load_scorer(args.evaluate or args.corpora[0].resolve().parent / "evaluate.py")
    if hasattr(scorer, "block_network"):
        scorer.block_network()

    print(
        f"{'corpus':<10} {'extractor':<12} {'docs':>5} {'precision':>9} {'recall':>7} {'f1':>7} "
        f"{'ms/doc':>7} {'p95 ms':>7}"
    )
    for folder in args.corpora:
        corpus = pages(folder)
        for name, extract in EXTRACTORS.items():
            r = run(scorer, corpus, extract)
            print(
                f"{folder.name:<10} {name:<12} {len(corpus):>5} {r['precision']:>9.4f} {r['recall']:>7.4f} "
                f"{r['f1']:>7.4f} {r['ms_per_doc']:>7.1f} {r['p95_ms']:>7.1f}",
                flush=True,
            )
        winners = Counter(extract_body(html, url)[3] for _, html, url, _ in corpus)
        print(f"{'':<10} body chosen from: " + ", ".join(f"{k} {v}" for k, v in winners.most_common()))


if __name__ == "__main__":
    main()
