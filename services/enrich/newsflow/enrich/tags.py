"""Keywords and language of an article."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from newsflow.enrich.entities import PROPER_NOUN_TAGS


def detect_language(text: str) -> tuple[str | None, float]:
    if len(text) < 40:
        return None, 0.0
    import py3langid  # its model loads on first use

    lang, prob = py3langid.classify(text[:5000])
    return lang, float(prob)


STOP_KEYWORDS = {
    "people",
    "year",
    "years",
    "time",
    "day",
    "days",
    "week",
    "weeks",
    "country",
    "part",
    "way",
    "thing",
    "lot",
    "number",
    "percent",
    "official",
    "officials",
    "report",
    "reports",
}


# YAKE names Czech's stop-word list by the country code.
_YAKE_LANGUAGE = {"cs": "cz"}


@lru_cache(maxsize=32)
def _keyphrase_extractor(language: str) -> Any:
    import yake  # only articles in other languages than English need it

    return yake.KeywordExtractor(lan=_YAKE_LANGUAGE.get(language, language), n=3, top=20)


# YAKE reads the title and the text's first characters: its cost grows faster than the text (77 ms for
# the 8,700-character mean of the Zyte bodies in other languages, 12.6 ms for 2,000), and a news story's
# keyphrases are in its first paragraphs (WikiNews-FR F1@10 0.231 whole, 0.234 cut).
KEYPHRASE_TEXT_CHARS = 2_000


def keywords_in(language: str, text: str, title: str | None, limit: int = 10) -> list[str]:
    """Keyphrases of a text in another language than English, which the English model cannot read:
    YAKE's statistics (term position, frequency and spread, with the language's stop words; a language
    it has no list for gets its language-free one), multi-word where the text has them."""
    if len(text) > KEYPHRASE_TEXT_CHARS:
        text = text[:KEYPHRASE_TEXT_CHARS].rsplit(None, 1)[0]  # not in the middle of a word
    scored = _keyphrase_extractor(language).extract_keywords((title + "\n\n" if title else "") + text)
    phrases = [phrase.lower() for phrase, _ in scored if len(phrase) >= 3]
    return list(dict.fromkeys(phrases))[:limit]


NOUN_TAGS = {"NN", "NNS", *PROPER_NOUN_TAGS}
ADJECTIVE_TAGS = {"JJ", "JJR", "JJS"}
PHRASE_TAGS = NOUN_TAGS | ADJECTIVE_TAGS


def noun_phrases(doc: Any) -> list[Any]:
    """Runs of adjectives and nouns that end in a noun ("interest rates", "central bank"), from the
    tagger's tags: the parser and the attribute ruler that noun_chunks needs cost a quarter of the
    enrich stage's time (31.7 + 20.0 ms of ~189 ms an article)."""
    phrases: list[Any] = []
    run: list[Any] = []

    def close() -> None:
        while run and run[-1].tag_ not in NOUN_TAGS:
            run.pop()
        if run:
            phrases.append(doc[run[0].i : run[-1].i + 1])
        run.clear()

    for token in doc:
        if token.tag_ in PHRASE_TAGS:
            run.append(token)
            if "\n" not in token.whitespace_:
                continue  # a line ends the phrase after this word
        close()
    close()
    return phrases


def keywords_of(doc: Any, title: str | None, limit: int = 10) -> list[str]:
    counts: Counter[str] = Counter()
    title_l = (title or "").lower()
    for chunk in noun_phrases(doc):
        words = [t for t in chunk if not (t.is_stop or t.is_punct or t.like_num)]
        if not words or any(
            t.ent_type_ in ("DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT") for t in words
        ):
            continue
        phrase = " ".join(t.text.lower() for t in words)
        if len(phrase) < 3 or phrase in STOP_KEYWORDS or "\n" in phrase:
            continue
        # A lone name is a place/person/organisation tag already, not a keyword.
        if len(words) == 1 and words[0].ent_type_ in ("GPE", "LOC", "NORP", "PERSON", "ORG", "FAC"):
            continue
        counts[phrase] += 2 if phrase in title_l else 1
    # Plural and singular are one keyword, named by its more frequent form.
    merged: Counter[str] = Counter()
    for phrase, count in counts.items():
        singular = phrase[:-1] if phrase.endswith("s") and phrase[:-1] in counts else phrase
        merged[singular] += count
    return [k for k, _ in merged.most_common(limit)]
