"""Every field the enrich stage emits, scored by the enrich corpus's own scorer beside reference systems
from the same run, then the speed and memory of the full enrich path.

    .venv/bin/python bench/enrich.py ../shared/corpus/enrich --bodies ../shared/corpus/extraction/zyte

newsflow is measured on the path the enrich worker runs: `Enricher.enrich(Article)`, the call
EnrichHandler makes for every entry (and `newsflow enrich` for every line). The references, scored by the
same scorer on the same documents:
- people and organisations: spaCy alone (the model newsflow loads, every PERSON and ORG entity kept);
- keyphrases: YAKE with its defaults (top 10, n-grams up to 3, the document's language), when installed
  (`pip install yake`; `./dev setup` installs it with the bench group);
- topics and focus: the commonest class of each corpus in the same file.

Speed: the full path (`enrich`), the places-only path (`places`) and, as the reference, the model's
entity recogniser over the whole text on real article bodies (the first --n of the Zyte corpus's truth
files), one core, after one warm-up article; peak resident memory after
loading, after the places-only runs and after the full runs, measured before any reference is loaded.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from corpus_scorer import load_scorer  # bench/ is the script's directory

from newsflow.enrich.enricher import Enricher, offline_article
from newsflow.enrich.nlp import MODEL
from newsflow.schemas import Article, EnrichedArticle

Predict = Callable[[dict[str, Any]], dict[str, Any]]
SPACY_LABELS = {"PERSON": "PER", "ORG": "ORG"}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def article(doc: dict[str, Any]) -> Article:
    # Title and text only: the gold's own fields (its language among them) must not reach the system.
    return offline_article({key: doc[key] for key in ("id", "title", "text") if key in doc})


def newsflow_predict(enricher: Enricher) -> Predict:
    def predict(doc: dict[str, Any]) -> dict[str, Any]:
        e: EnrichedArticle = enricher.enrich(article(doc))
        return {
            "people": e.people,
            "organizations": e.organizations,
            "keywords": e.keywords,
            "topics": e.topics,
            "focus": e.focus.model_dump() if e.focus else None,
            "language": e.language,
        }

    return predict


def spacy_predict() -> Predict:
    import spacy

    nlp = spacy.load(MODEL)

    def predict(doc: dict[str, Any]) -> dict[str, Any]:
        ents = [(SPACY_LABELS[e.label_], e.text) for e in nlp(doc["text"]).ents if e.label_ in SPACY_LABELS]
        return {
            "people": list(dict.fromkeys(t for label, t in ents if label == "PER")),
            "organizations": list(dict.fromkeys(t for label, t in ents if label == "ORG")),
        }

    return predict


def yake_predict() -> Predict | None:
    try:
        import yake
    except ImportError:
        return None
    extractors: dict[str, Any] = {}

    def predict(doc: dict[str, Any]) -> dict[str, Any]:
        lang = doc.get("language", "en")
        if lang not in extractors:
            extractors[lang] = yake.KeywordExtractor(lan=lang, n=3, top=10)
        text = (doc["title"] + "\n\n" if doc.get("title") else "") + doc["text"]
        return {"keywords": [k for k, _ in extractors[lang].extract_keywords(text)]}

    return predict


def majority_predict(docs: list[dict[str, Any]], field: str, out: str) -> Predict:
    counts: dict[str, Counter[str]] = {}
    for d in docs:
        if d.get(field):
            counts.setdefault(d["corpus"], Counter())[d[field]] += 1

    def predict(doc: dict[str, Any]) -> dict[str, Any]:
        if doc["corpus"] not in counts:
            return {}
        value = counts[doc["corpus"]].most_common(1)[0][0]
        return {out: [value]} if out == "topics" else {out: {"country_code": value}}

    return predict


def scored(scorer: Any, task: str, docs: list[dict[str, Any]], predict: Predict) -> str:
    """The scorer's printed report for the documents, all in one group."""
    preds = {d["id"]: {"id": d["id"], **predict(d)} for d in docs}
    evaluate = {
        "ner": scorer.eval_ner,
        "topics": scorer.eval_topics,
        "keywords": scorer.eval_keywords,
        "focus": scorer.eval_focus,
    }[task]
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        summary = evaluate(docs, preds, lambda d: ["all"])
    return report.getvalue() + summary


def figures(task: str, report: str) -> dict[str, str]:
    """The table's figures, read off the scorer's report."""
    found: dict[str, str] = {}
    if task == "ner":
        for label in ("PER", "ORG", "PER+ORG"):
            m = re.search(rf"^\s+{re.escape(label)}\s+P ([\d.]+) R ([\d.]+) F1 ([\d.]+)", report, re.M)
            if m:
                found[label] = f"F1 {m[3]} (P {m[1]}, R {m[2]})"
    elif task == "topics":
        top1 = re.search(r"top-1 accuracy ([\d.]+)", report)
        none = re.search(r"docs with no topic ([\d.]+)", report)
        found["top-1"] = f"{top1[1] if top1 else '?'} (no topic {none[1] if none else '?'})"
    elif task == "keywords":
        m = re.search(r"@10\s+P ([\d.]+) R ([\d.]+) F1 ([\d.]+)", report)
        if m:
            found["F1@10"] = f"{m[3]} (P {m[1]}, R {m[2]})"
    elif task == "focus":
        m = re.search(r"focus country accuracy ([\d.]+)\s+no focus ([\d.]+)", report)
        if m:
            found["accuracy"] = f"{m[1]} (no focus {m[2]})"
    return found


def slices(
    task: str, docs: list[dict[str, Any]], limit: int | None
) -> list[tuple[str, list[dict[str, Any]]]]:
    """NER and keyphrases per language, topics per corpus, focus as a whole; the first `limit` of each."""
    key = {"ner": "language", "keywords": "language", "topics": "corpus"}.get(task)
    if key is None:
        return [("all", docs[:limit])]
    names = sorted({d[key] for d in docs}, key=lambda n: (n != "en", n))
    return [(n, [d for d in docs if d[key] == n][:limit]) for n in names]


def speed(enricher: Enricher, bodies_dir: Path, n: int) -> None:
    bodies = []
    for truth in sorted(bodies_dir.glob("*/truth.json"))[:n]:
        body = json.loads(truth.read_text()).get("articleBody") or ""
        if body.strip():
            bodies.append({"id": truth.parent.name, "text": body})
    chars = statistics.mean(len(b["text"]) for b in bodies)
    print(
        f"speed            {len(bodies)} article bodies of the Zyte corpus, {chars:,.0f} characters mean, one core"
    )
    enricher.enrich(article(bodies[0]))  # warm-up: first-call costs are not per article
    runs: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
        ("places", lambda b: enricher.places(b["text"])),
        ("enrich", lambda b: enricher.enrich(article(b))),
    ]
    nlp = enricher.nlp
    if nlp is not None:
        # The reference: the same model's recogniser over the whole text, the work enrich did before.
        runs.append(("NER whole text", lambda b: nlp(b["text"])))
    for name, run in runs:
        ms = []
        for b in bodies:
            started = time.perf_counter()
            run(b)
            ms.append((time.perf_counter() - started) * 1000)
        ms.sort()
        print(
            f"  {name:<14} mean {statistics.mean(ms):6.1f} ms/article  median {statistics.median(ms):6.1f}"
            f"  p95 {ms[int(len(ms) * 0.95) - 1]:6.1f}  ({1000 / statistics.mean(ms):.1f} articles/s)"
            f"  peak RSS after: {peak_rss_mib():.0f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "corpus", type=Path, help="the enrich corpus folder (ner/, topics/, keywords/, focus/)"
    )
    parser.add_argument("--split", default="dev", help="which JSONL of each task (default: dev)")
    parser.add_argument("--bodies", type=Path, help="the Zyte extraction corpus, for the speed figures")
    parser.add_argument("--n", type=int, default=100, help="article bodies timed (default: 100)")
    parser.add_argument("--limit", type=int, help="only the first N documents of each slice (a quick look)")
    parser.add_argument("--tasks", default="ner,topics,keywords,focus", help='"" for the speed alone')
    args = parser.parse_args()

    scorer = load_scorer(args.corpus / "evaluate.py", "enrich_evaluate")
    started = time.perf_counter()
    enricher = Enricher()
    print(
        f"load             {time.perf_counter() - started:.1f} s (gazetteer and {MODEL}), peak RSS {peak_rss_mib():.0f} MiB"
    )
    if args.bodies:
        speed(enricher, args.bodies, args.n)  # before any reference is loaded: the RSS is newsflow's

    newsflow = newsflow_predict(enricher)
    print(f"{'task':<9} {'slice':<14} {'docs':>5}  {'figure':<8} {'newsflow':<28} reference")
    for task in filter(None, args.tasks.split(",")):
        docs = scorer.load(args.corpus / task / f"{args.split}.jsonl")
        reference: tuple[str, Predict | None] = {
            "ner": ("spaCy alone", spacy_predict()),
            "keywords": ("YAKE", yake_predict()),
            "topics": ("commonest class", majority_predict(docs, "topic", "topics")),
            "focus": ("commonest country", majority_predict(docs, "focus_country", "focus")),
        }[task]
        ref_name, ref_predict = reference
        for name, part in slices(task, docs, args.limit):
            ours = figures(task, scored(scorer, task, part, newsflow))
            theirs = figures(task, scored(scorer, task, part, ref_predict)) if ref_predict else {}
            for figure, value in ours.items():
                ref = f"{theirs[figure]} ({ref_name})" if figure in theirs else f"({ref_name}: not installed)"
                print(f"{task:<9} {name:<14} {len(part):>5}  {figure:<8} {value:<28} {ref}")


if __name__ == "__main__":
    main()
