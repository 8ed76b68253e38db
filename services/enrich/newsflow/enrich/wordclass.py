"""English word classes without a tagger: what keyphrases and the check of one-word people need.

The model's tagger and its shared token-to-vector layer cost a quarter of the enrich stage's time (about
20 of 87 ms an article), and only two things read their tags: keyphrases (runs of adjectives and nouns)
and the rule that a one-word person is a proper noun. A lexicon of the readings each English word can
have serves both: LemmInflect's, built from the NIH SPECIALIST Lexicon ("rates": noun or verb; "raised":
verb only; "central": adjective or noun). A capitalised word inside a sentence, or one the lexicon does
not know, is a name. Measured against the tagger in doc/choices.md.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

WordClass = Literal["PROPN", "NOUN", "ADJ"]

_NOUNISH = frozenset({"NOUN", "PROPN", "ADJ"})
# What ends a sentence, so that the next capitalised word may be a common one ("Police said ...").
_SENTENCE_ENDS = frozenset(".!?:;")


@lru_cache(maxsize=100_000)
def _readings(word: str) -> dict[str, tuple[str, ...]]:
    from lemminflect import getAllLemmas

    return dict(getAllLemmas(word))


def is_common_word(lower: str) -> bool:
    """Whether the lexicon knows the word in lower case: a noun, verb, adjective... not only a name."""
    return bool(_readings(lower))


@lru_cache(maxsize=100_000)
def lemma_of(lower: str) -> str:
    """The word's lemma, whatever its class ("allergies" -> "allergy", "elected" -> "elect"); the word
    itself when the lexicon does not know it. Of several, the first in alphabetical order, so that every
    form of a word finds the same."""
    return min((lemmas[0] for lemmas in _readings(lower).values()), default=lower)


def reads_as_a_noun(lower: str) -> bool:
    """Whether a lower-case word after a name reads as a noun ("case", "administration"), not a verb."""
    return _lexical_class(lower) == "NOUN"


def _lexical_class(lower: str) -> WordClass | None:
    readings = _readings(lower)
    if not readings.keys() & _NOUNISH:
        return None  # "said", "sharply": never inside a noun phrase
    verb = readings.get("VERB")
    noun = readings.get("NOUN")
    # An inflected verb that is also a base noun reads as the verb after a noun: "rates rose", "prices
    # fell". Forms in -ing stay: they are nouns as often ("housing market", "wedding ceremony").
    if verb and noun and verb[0] != lower and noun[0] == lower and not lower.endswith("ing"):
        return None
    return "NOUN" if noun or "PROPN" in readings else "ADJ"


def word_classes(doc: Any) -> list[WordClass | None]:
    """Each token's class: PROPN, NOUN or ADJ, or None for anything that cannot be part of a noun phrase
    (verbs, adverbs, stop words, numbers, punctuation)."""
    classes: list[WordClass | None] = []
    sentence_start = True
    for token in doc:
        text = token.text
        if token.is_punct or token.like_num or not any(c.isalpha() for c in text):
            classes.append(None)
        elif token.is_stop:
            classes.append(None)
        elif text[:1].isupper() and (not sentence_start or not _readings(text.lower())):
            classes.append("PROPN")
        else:
            classes.append(_lexical_class(text.lower()))
        sentence_start = (
            text in _SENTENCE_ENDS
            or "\n" in token.whitespace_
            or "\n" in text  # a line break the tokenizer keeps as a token of its own ("Attendance: 2,000")
            or (
                sentence_start and token.is_punct  # a quote or bracket opening the sentence
            )
        )
    return classes


def is_verb(lower: str) -> bool:
    """Whether the lexicon knows the word as a verb ("resigned", "adapt")."""
    return "VERB" in _readings(lower)
