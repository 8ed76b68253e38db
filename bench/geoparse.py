"""Place recognition and resolution, scored by the geo corpus's own scorer, with speed and memory.

    .venv/bin/python bench/geoparse.py ../shared/corpus/geo/dev.jsonl
    .venv/bin/python bench/geoparse.py ../shared/corpus/geo/dev.jsonl --no-ner     # gazetteer and rules only

The geoparser is the one the enrich worker and `newsflow geoparse` run (newsflow.enrich.enricher). The
scorer is the `evaluate.py` beside the JSONL file (or --evaluate PATH): exact and overlap span
precision/recall/F1, acc@161km, median error, AUC and country accuracy, per corpus and overall, as
that scorer prints them. Also printed: documents per second on one core (the geoparser's time only),
the time to load the gazetteer and the NER model, and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path
from typing import Any

from corpus_scorer import load_scorer  # bench/ is the script's directory

from newsflow.enrich.enricher import Enricher
from newsflow.enrich.gazetteer import load_gazetteer
from newsflow.enrich.nlp import load_nlp


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("split", type=Path, help="a JSONL split of the geo corpus (dev.jsonl)")
    parser.add_argument("--evaluate", type=Path, help="the scorer (default: evaluate.py beside the split)")
    parser.add_argument(
        "--no-ner", action="store_true", help="without the spaCy model (its absence is supported)"
    )
    parser.add_argument("--limit", type=int, help="only the first N documents")
    parser.add_argument(
        "--lenient-countries",
        action="store_true",
        help="the scorer's option: a country named with the right code counts as 0 km "
        "(country points differ between gazetteers)",
    )
    args = parser.parse_args()
    scorer = load_scorer(args.evaluate or args.split.resolve().parent / "evaluate.py")
    docs = scorer.load_docs(str(args.split), None, args.limit, ())

    started = time.perf_counter()
    gazetteer = load_gazetteer()
    gazetteer_s = time.perf_counter() - started
    nlp = None if args.no_ner else load_nlp()
    load_s = time.perf_counter() - started
    enricher = Enricher(gazetteer=gazetteer, nlp=nlp, use_nlp=not args.no_ner)
    enricher.places("Officials in Paris, Texas, and Paris, France, met in London.")  # warm-up

    total, per_corpus = scorer.new_counts(), dict[str, Any]()
    spent = 0.0
    for doc in docs:
        t = time.perf_counter()
        pred = [
            {"start": p.start, "end": p.end, "lat": p.lat, "lon": p.lon, "country_code": p.country_code}
            for p in enricher.places(doc["text"])
        ]
        ms = (time.perf_counter() - t) * 1000
        spent += ms / 1000
        if doc["ignore"]:
            pred = [p for p in pred if not any(scorer.overlaps(p, g) for g in doc["ignore"])]
        scorer.score_doc(total, doc, pred, ms, args.lenient_countries)
        scorer.score_doc(
            per_corpus.setdefault(doc.get("corpus", "?"), scorer.new_counts()),
            doc,
            pred,
            ms,
            args.lenient_countries,
        )

    for name, counts in sorted(per_corpus.items()):
        print(scorer.fmt("  " + name, scorer.summarise(counts)))
    flags = "".join(
        f" --{f}" for f, on in (("no-ner", args.no_ner), ("lenient-countries", args.lenient_countries)) if on
    )
    print(scorer.fmt(f"{args.split.name} [newsflow{flags}]", scorer.summarise(total)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"docs/s {len(docs) / spent:.1f} (one core) | gazetteer load {gazetteer_s:.2f} s | "
        f"gazetteer + NER load {load_s:.2f} s | peak RSS {peak_mb:.0f} MB"
    )


if __name__ == "__main__":
    main()
