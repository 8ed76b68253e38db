"""People, organisations, keywords, topics and language of an article."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

from newsflow.enrich.gazetteer import Gazetteer
from newsflow.text import fold

# A small fixed taxonomy; each topic is recognised by its vocabulary (lower-cased word stems).
TOPICS: dict[str, tuple[str, ...]] = {
    "politics": (
        "election",
        "government",
        "parliament",
        "minister",
        "president",
        "political",
        "politic",
        "vote",
        "party",
        "opposition",
        "senate",
        "congress",
        "diplomat",
        "sanction",
        "coup",
        "policy",
    ),
    "conflict": (
        "military",
        "troops",
        "soldier",
        "army",
        "war",
        "mercenar",
        "insurgen",
        "attack",
        "militant",
        "jihad",
        "terror",
        "rebel",
        "armed",
        "weapon",
        "airstrike",
        "ceasefire",
        "fighting",
        "security forces",
    ),
    "economy": (
        "economy",
        "economic",
        "market",
        "inflation",
        "bank",
        "trade",
        "gdp",
        "price",
        "investment",
        "business",
        "company",
        "shares",
        "unemployment",
        "budget",
        "tax",
        "export",
        "industry",
    ),
    "health": (
        "health",
        "hospital",
        "virus",
        "disease",
        "outbreak",
        "vaccine",
        "patient",
        "medical",
        "epidemic",
        "pandemic",
        "infection",
        "doctor",
        "covid",
        "ebola",
        "cases",
    ),
    "science": (
        "scientist",
        "research",
        "study",
        "universit",
        "space",
        "nasa",
        "discovery",
        "species",
        "laboratory",
        "experiment",
        "physics",
        "biology",
    ),
    "technology": (
        "technology",
        "software",
        "internet",
        "digital",
        "artificial intelligence",
        "computer",
        "smartphone",
        "cyber",
        "startup",
        "app ",
    ),
    "environment": (
        "climate",
        "emission",
        "environment",
        "pollution",
        "flood",
        "drought",
        "wildfire",
        "earthquake",
        "storm",
        "hurricane",
        "carbon",
        "renewable",
        "forest",
    ),
    "sport": (
        "match",
        "tournament",
        "championship",
        "league",
        "football",
        "soccer",
        "olympic",
        "coach",
        "player",
        "goal",
        "marathon",
        "tennis",
        "cup ",
        "season",
        "athlete",
        "race",
    ),
    "crime": (
        "police",
        "arrest",
        "court",
        "trial",
        "murder",
        "prison",
        "charged",
        "crime",
        "criminal",
        "investigation",
        "suspect",
        "judge",
    ),
    "culture": (
        "film",
        "music",
        "festival",
        "museum",
        "artist",
        "book",
        "theatre",
        "theater",
        "novel",
        "exhibition",
        "concert",
    ),
}
MIN_TOPIC_HITS = 3
MAX_TOPICS = 3


def topics_of(text: str) -> list[str]:
    lowered = " " + text.lower() + " "
    scores = {}
    for topic, stems in TOPICS.items():
        hits = sum(len(re.findall(r"\b" + re.escape(stem), lowered)) for stem in stems)
        if hits >= MIN_TOPIC_HITS:
            scores[topic] = hits
    return sorted(scores, key=lambda t: -scores[t])[:MAX_TOPICS]


def detect_language(text: str) -> tuple[str | None, float]:
    if len(text) < 40:
        return None, 0.0
    import py3langid  # its model loads on first use

    lang, prob = py3langid.classify(text[:5000])
    return lang, float(prob)


_LEADING = re.compile(r"^(?:the|a|an)\s+", re.I)
_TRAILING = re.compile(r"(?:'s|’s)$")


def _clean_name(name: str) -> str | None:
    name = _TRAILING.sub("", _LEADING.sub("", re.sub(r"\s+", " ", name).strip()))
    if len(name) < 2 or not any(ch.isupper() for ch in name) or any(ch.isdigit() for ch in name):
        return None
    return name


def _merge_names(counts: Counter[str]) -> list[str]:
    """Most mentioned first; "Wagner" folds into "Wagner Group" when both occur."""
    names = list(counts)
    for short in sorted(names, key=len):
        for long in names:
            if long != short and counts[short] and re.search(r"\b" + re.escape(short) + r"\b", long):
                counts[long] += counts[short]
                counts[short] = 0
                break
    return [n for n, c in sorted(counts.items(), key=lambda kv: -kv[1]) if c > 0]


def entities_of(doc: Any, gazetteer: Gazetteer) -> tuple[list[str], list[str]]:
    people: Counter[str] = Counter()
    orgs: Counter[str] = Counter()
    for ent in doc.ents:
        if ent.label_ not in ("PERSON", "ORG") or "\n" in ent.text:
            continue
        name = _clean_name(ent.text)
        if not name:
            continue
        # "the Russian Wagner Group" is the Wagner Group: a nationality is not part of the name.
        first, _, rest = name.partition(" ")
        if rest and fold(first) in gazetteer.demonyms:
            name = rest
        key = fold(name)
        # The small model often calls a country a person or an organisation ("Mali", "Burkina Faso").
        if key in gazetteer.names or key in gazetteer.demonyms:
            continue
        if (
            ent.label_ == "PERSON"
            and " " not in name
            and len(ent) == 1
            and ent[0].tag_ not in PROPER_NOUN_TAGS
        ):
            continue
        (people if ent.label_ == "PERSON" else orgs)[name] += 1
    return _merge_names(people), _merge_names(orgs)


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


def keywords_in(language: str, text: str, title: str | None, limit: int = 10) -> list[str]:
    """Keyphrases of a text in another language than English, which the English model cannot read:
    YAKE's statistics (term position, frequency and spread, with the language's stop words; a language
    it has no list for gets its language-free one), multi-word where the text has them."""
    scored = _keyphrase_extractor(language).extract_keywords((title + "\n\n" if title else "") + text)
    phrases = [phrase.lower() for phrase, _ in scored if len(phrase) >= 3]
    return list(dict.fromkeys(phrases))[:limit]


# Penn Treebank tags, which the tagger gives without the parser or the attribute ruler.
PROPER_NOUN_TAGS = {"NNP", "NNPS"}
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
