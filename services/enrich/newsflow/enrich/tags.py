"""Keywords and language of an article."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Any

from newsflow.enrich.wordclass import WordClass, is_verb, lemma_of, word_classes


@lru_cache(maxsize=1)
def _language_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    # Probabilities, not the raw scores py3langid.classify gives (log-likelihoods, never near 1): the
    # enricher weighs the detection against the page's declared language by its confidence.
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, title: str | None = None) -> tuple[str | None, float]:
    """The language of an article and the detector's confidence (0-1). The title is read too: a short
    body ("Mehr kann ich nicht machen, sagte er.") alone was too short to tell, and read as English.
    The first 2,000 characters tell as well as 5,000 (the same language and the same side of the
    enricher's 0.9 confidence on all 3,649 Zyte and enrich-corpus documents) in less time."""
    sample = ((title + "\n") if title else "") + text[:2000]
    if not any(c.isalpha() for c in sample):
        return None, 0.0
    ranked = _language_identifier().rank(sample)
    language, confidence = ranked[0]
    if confidence < MIN_LANGUAGE_CONFIDENCE:
        # Unsure: a results table or a list of names, whose English the detector shares out among
        # English-based creoles and languages rich in English loans (Nigerian Pidgin, Bikol, Javanese).
        # English with a real share among the first three is the reading.
        english = next((p for lang, p in ranked[:3] if lang == "en"), 0.0)
        if english >= ENGLISH_SHARE:
            return "en", float(english)
    return language, float(confidence)


# Below this the detection is unsure, and the enricher takes the page's declared language over it.
MIN_LANGUAGE_CONFIDENCE = 0.9
ENGLISH_SHARE = 0.1


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


def load_statistics() -> None:
    """Loads what the first article in another language than English would otherwise wait for: YAKE
    (2 s, most of it networkx's import) and the language identifier's model. A worker pays it at its
    start, not on an article."""
    _language_identifier()
    _keyphrase_extractor("en")
    _zipf("news")  # wordfreq's English list


# YAKE names Czech's stop-word list by the country code.
_YAKE_LANGUAGE = {"cs": "cz"}


@lru_cache(maxsize=32)
def _keyphrase_extractor(language: str) -> Any:
    import yake  # only articles in other languages than English need it

    return yake.KeywordExtractor(lan=_YAKE_LANGUAGE.get(language, language), n=3, top=30)


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
    sample = (title + "\n\n" if title else "") + text
    lowered = sample.lower()
    phrases = []
    for phrase, _ in _keyphrase_extractor(language).extract_keywords(sample):
        phrase = phrase.lower()
        if len(phrase) < 3:
            continue
        # A phrase of three words or more must recur: YAKE scores every contiguous span, and one met
        # once is more often an accident of the sentence ("ministre a annoncé") than a keyphrase
        # ("réforme des retraites"). WikiNews-FR F1@10 0.234 -> 0.290.
        if len(phrase.split()) >= 3 and _occurrences(phrase, lowered) < 2:
            continue
        phrases.append(phrase)
    return list(dict.fromkeys(phrases))[:limit]


def _occurrences(phrase: str, text: str) -> int:
    return len(re.findall(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text))


def noun_phrases(doc: Any, classes: list[WordClass | None] | None = None) -> list[Any]:
    """Runs of adjectives and nouns that end in a noun ("interest rates", "central bank"), by the words'
    classes in the lexicon (newsflow.enrich.wordclass): neither the parser that noun_chunks needs nor
    the tagger runs."""
    classes = word_classes(doc) if classes is None else classes
    phrases: list[Any] = []
    run: list[Any] = []

    def close() -> None:
        while run and classes[run[-1].i] == "ADJ":
            run.pop()
        if run:
            phrases.append(doc[run[0].i : run[-1].i + 1])
        run.clear()

    for token in doc:
        kind = classes[token.i]
        if kind is not None:
            # A name after common nouns starts a phrase of its own: "pop star" and "Michael Buble",
            # not "canadian pop star michael buble".
            if run and kind == "PROPN" and classes[run[-1].i] == "NOUN":
                close()
            run.append(token)
            if "\n" not in token.whitespace_:
                continue  # a line ends the phrase after this word
        close()
    close()
    return phrases


# Weights of what a keyword's score counts, each occurrence of the keyword itself counting 1 (2 in the
# title). Measured on 500N-KPCrowd (en, dev, F1@10) in doc/choices.md.
HEAD_WEIGHT = 0.5  # the last word of a longer phrase ("actress" of "argentine tv actress")
MODIFIER_WEIGHT = 0.3  # another word of it ("argentine")
ADJECTIVE_WEIGHT = 0.5  # an adjective met alone ("pregnant", "nuclear")
RELATED_FORM_WEIGHT = 0.6  # another form of the word in the text, a verb's too ("attacked", "attacks")
ONCE_PHRASE_WEIGHT = 0.5  # a phrase of two words or more that the text holds once
# A verb the story uses twice or more is a keyword when no noun of it is ("evacuated"), each use counting
# VERB_WEIGHT; used once it is an accident of the sentence ("began", "signed").
VERB_WEIGHT = 0.5
VERB_LEAST_USES = 2
# A longer word says more (the law of abbreviation: the words a language uses most are its shortest, and
# word frequency lists know only the common ones): a one-word keyword weighs (letters / 7) ** 2, up to 10
# letters, so "ceasefire" outranks "pact" used as often. 500N-KPCrowd's readers chose 20% of the 3- and
# 4-letter candidates and 50-60% of those of 8 letters or more, in every Zipf band.
LENGTH_EXPONENT = 2.0
LONGEST = 10
# Above this Zipf frequency (wordfreq: log10 of uses per billion words) a word is common in any text, and
# each unit more halves its weight: "month", "man", "place" say little of what a story is about.
COMMON_ZIPF = 4.5
COMMON_PENALTY = 0.5
LEAST_SPECIFICITY = 0.1


def keywords_of(
    doc: Any, title: str | None, classes: list[WordClass | None] | None = None, limit: int = 10
) -> list[str]:
    """An English article's keyphrases: its noun phrases, their words, its adjectives and the verbs it
    repeats, scored by how often the text uses them and their other forms, the title twice, and by how
    specific they are."""
    counts: defaultdict[str, float] = defaultdict(float)
    occurrences: Counter[str] = Counter()
    title_l = (title or "").lower()
    classes = word_classes(doc) if classes is None else classes
    for chunk in noun_phrases(doc, classes):
        words = [t for t in chunk if not (t.is_stop or t.is_punct or t.like_num)]
        if not words or any(
            t.ent_type_ in ("DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT") for t in words
        ):
            continue
        phrase = " ".join(t.text.lower() for t in words)
        if len(phrase) < 3 or phrase in STOP_KEYWORDS or "\n" in phrase:
            continue
        # Names are keyphrases like any other: a story about Dior is keyed by "dior" as by "creative
        # director" (500N-KPCrowd's readers chose the story's names; F1@10 0.172 -> 0.182). Lone names had
        # been left to the tags while two-word ones passed, so "buenos aires" was a keyword and "dior" not.
        counts[phrase] += 2 if phrase in title_l else 1
        occurrences[phrase] += 1
        # The words of a phrase are keywords of their own, the head most: "actress" is what "argentine
        # tv actress" and "hollywood actress" share; "canadian" of "canadian pop star" too. Not the words
        # of a name ("daniel" of "daniel craig").
        if len(words) > 1 and classes[words[-1].i] != "PROPN":
            for i, t in enumerate(words):
                word = t.text.lower()
                if len(word) >= 3 and word not in STOP_KEYWORDS:
                    counts[word] += HEAD_WEIGHT if i == len(words) - 1 else MODIFIER_WEIGHT
    forms: Counter[str] = Counter()  # every content word of the text, by its lemma
    written: Counter[str] = Counter()  # and as written
    verbs: defaultdict[str, float] = defaultdict(float)  # the verbs, a keyword's family or their own
    for t in doc:
        if not t.is_alpha or t.is_stop or len(t.text) < 3:
            continue
        word = t.text.lower()
        forms[lemma_of(word)] += 1
        written[word] += 1
        if classes[t.i] == "ADJ" and word not in STOP_KEYWORDS:
            counts[word] += ADJECTIVE_WEIGHT * (2 if word in title_l else 1)
        elif classes[t.i] is None and word not in STOP_KEYWORDS and is_verb(word):
            verbs[word] += VERB_WEIGHT * (2 if word in title_l else 1)
    # A phrase of several words met once is as often an accident of the sentence as a keyphrase.
    for phrase, n in occurrences.items():
        if n < 2 and " " in phrase:
            counts[phrase] *= ONCE_PHRASE_WEIGHT
    # The forms of a word are one keyword ("allergy", "allergies"; "run", "running"), named by the form
    # that weighs most.
    families: defaultdict[str, list[tuple[bool, float, str]]] = defaultdict(list)
    for phrase, count in counts.items():
        *modifiers, head = phrase.split(" ")
        families[" ".join([*modifiers, lemma_of(head)])].append((True, count, phrase))
    for verb, count in verbs.items():
        if forms[lemma_of(verb)] >= VERB_LEAST_USES:
            families[lemma_of(verb)].append((verb in counts, count, verb))
    scores: dict[str, float] = {}
    for key, members in families.items():
        # A noun or an adjective names its family before a verb: "attack", not "attacked".
        name = max(members)[2]
        score = sum(count for _, count, _ in members)
        if " " not in key:
            # The word's other forms, verbs among them, speak for it: "attacked" for "attack".
            score += RELATED_FORM_WEIGHT * max(0, forms[key] - written[name])
        # A phrase is specific by its words together ("new york", "interest rates"); a word by itself.
        scores[name] = score if " " in name else score * specificity(name)
    # Ties keep the order of first appearance (sorted is stable).
    return sorted(scores, key=lambda k: -scores[k])[:limit]


def specificity(word: str) -> float:
    """1 for a word of 7 letters rarer than COMMON_ZIPF; less the commoner or the shorter it is, more the
    longer."""
    rarity = max(LEAST_SPECIFICITY, 1 - COMMON_PENALTY * max(0.0, _zipf(word) - COMMON_ZIPF))
    return rarity * (min(len(word), LONGEST) / 7) ** LENGTH_EXPONENT


@lru_cache(maxsize=100_000)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    # The small list (words used once per million or more) is all the penalty needs, and loads in 10 ms.
    return float(zipf_frequency(word, "en", wordlist="small"))
