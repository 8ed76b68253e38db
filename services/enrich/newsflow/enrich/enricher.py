"""The enrichment of one article; shared by the enrich worker and `newsflow geoparse`."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from newsflow.enrich.audience import audience_country
from newsflow.enrich.entities import canonical, english_mentions, pattern_mentions
from newsflow.enrich.gazetteer import Gazetteer, load_gazetteer
from newsflow.enrich.geoparse import (
    Mention,
    Span,
    fill_focus_country,
    filter_mentions,
    find_mentions,
    focus_of,
    geoparse,
    named_as_towns,
    resolve,
    sentence_windows,
    to_places,
)
from newsflow.enrich.nlp import load_nlp, recognise
from newsflow.enrich.tags import (
    MIN_LANGUAGE_CONFIDENCE,
    detect_language,
    keywords_in,
    keywords_of,
    load_statistics,
)
from newsflow.enrich.topics import topic_scores
from newsflow.enrich.wordclass import word_classes
from newsflow.logs import get_logger
from newsflow.schemas import Article, EnrichedArticle, Entity, Place, TopicScore, utcnow
from newsflow.text import fold

log = get_logger("newsflow.enrich")


def offline_article(item: Mapping[str, Any]) -> Article:
    """An article from a loose JSON document (at least `id` and `text`), as ingest would have published
    it: what `newsflow enrich` and the benchmark enrich. A missing URL is empty; it is fetched now."""
    url = item.get("url") or ""
    return Article.model_validate(
        {"canonical_url": url, "fetched_at": utcnow(), **item, "url": url, "id": str(item.get("id", ""))}
    )


# Settings.enrich_max_chars' default: about 15,000 words, five times the longest news story of the
# benchmark corpora; beyond it a body is a book, a transcript or a page of many stories.
MAX_CHARS = 100_000


def cut_for_nlp(text: str, max_chars: int) -> str:
    """The text's first max_chars characters, ended at a paragraph or a space: offsets into it are
    offsets into the whole text."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind("\n", max_chars // 2, max_chars)
    if cut < 0:
        cut = text.rfind(" ", max_chars // 2, max_chars)
    return text[: cut if cut > 0 else max_chars]


class Enricher:
    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        nlp: Any | None = None,
        use_nlp: bool = True,
        max_chars: int = MAX_CHARS,
    ):
        self.gazetteer = gazetteer or load_gazetteer()
        self.nlp = nlp if nlp is not None else (load_nlp() if use_nlp else None)
        self.max_chars = max_chars
        load_statistics()
        topic_scores("")  # compiles the topics' vocabulary (80 ms) at start, not on the first article
        # The gazetteer and the model are millions of objects that live as long as the process. Each
        # full collection walked them all, about a sixth of the enrich time (py-spy, doc/choices.md);
        # frozen, the collector skips them. A later Enricher freezes only what is new.
        gc.freeze()

    def _doc(self, text: str) -> Any | None:
        return recognise(self.nlp, text) if self.nlp is not None and text else None

    @staticmethod
    def _spans(doc: Any | None) -> list[Span] | None:
        if doc is None:
            return None
        return [Span(e.start_char, e.end_char, e.label_) for e in doc.ents]

    def places(self, text: str) -> list[Place]:
        """The places of a text, found and resolved as `enrich` does for an article's body.

        `enrich` has the entities of the whole text at hand (its people and organisations need them).
        Here the NER runs only on the sentences that hold a candidate mention: places need no other
        entities. On the geo dev set that was 42 documents/s against 11 for the whole pipeline, with the
        same F1 and acc@161; 296 of 300 documents get identical places."""
        mentions = find_mentions(text, self.gazetteer)
        return to_places(
            resolve(
                text, filter_mentions(text, mentions, self._entities_near(text, mentions)), self.gazetteer
            )
        )

    def _entities_near(self, text: str, mentions: list[Mention]) -> list[Span] | None:
        """Entities of the sentences around the mentions. The model's NER has its own token-to-vector
        layer, so it runs without the shared one; its context is a few tokens either side."""
        if self.nlp is None or not text or "ner" not in self.nlp.pipe_names:
            return self._spans(self._doc(text))
        windows = sentence_windows(text, mentions)
        ner = self.nlp.get_pipe("ner")
        spans = []
        for (start, _), doc in zip(
            windows, ner.pipe(self.nlp.make_doc(text[a:b]) for a, b in windows), strict=True
        ):
            spans += [Span(start + e.start_char, start + e.end_char, e.label_) for e in doc.ents]
        return spans

    def _title_countries(self, title: str | None, story: list[Any], text: str = "") -> list[str]:
        """The countries of the title's places, which weigh double in the focus. A title place counts when
        the story has a place in its country too, when it is named by the place's own name ("Tega Cay",
        often a local story's only place), or when it passes the model's checks: a headline's capitals
        fool the model ("Azerbaijan Released Wrongly Jailed Journalist" keeps no place), but other
        names went unchecked: "White House" (an alternate name of Casablanca) made a story Moroccan."""
        if not title:
            return []
        in_story = {e.country_code for _, e, _ in story}
        # One sense per story: a name the body resolves is read the same in the title, where a
        # headline's few words are less context ("…Visits Georgia" beside "U.S.", in a story about Gori).
        story_reading = {fold(m.text): e for m, e, _ in story}
        towns = named_as_towns(text)  # "…returns to Turkey" in a story of "the city of Turkey"
        checked: set[str] | None = None
        countries = []
        for m, e, _ in geoparse(title, self.gazetteer):
            e = story_reading.get(fold(m.text), e)
            if not e.country_code or (fold(m.text) in towns and e.feature != "city"):
                continue
            if e.country_code not in in_story and fold(m.text) != fold(e.name):
                if checked is None:
                    checked = {p.country_code for p in self.places(title) if p.country_code}
                if e.country_code not in checked:
                    continue
            countries.append(e.country_code)
        return countries

    def language_of(self, article: Article) -> str | None:
        """The detected language when the detector is sure; otherwise the page's declared one (a site's
        template may declare "en" above a German story, and a results table of names and numbers reads
        as any language)."""
        language, confidence = detect_language(article.text, article.title)
        if not (language and confidence >= MIN_LANGUAGE_CONFIDENCE):
            language = article.language or language
        return language

    def enrich(self, article: Article) -> EnrichedArticle:
        # Memory and time grow with the text: every method reads at most max_chars of it (a prefix, so
        # the offsets hold for the whole text, which the enriched article keeps).
        text = cut_for_nlp(article.text, self.max_chars)
        if len(text) < len(article.text):
            log.warning("text_cut_for_enrichment", chars=len(article.text), read=len(text))
        language = self.language_of(article)
        # The English model reads English (and a text too short to tell); any other language is read by
        # methods that know it, never by the English model (it took French "La" for a person).
        english = language in (None, "en")
        doc = self._doc(text) if english else None
        # The title is the publisher's writing too: its spelling says who the readers are.
        audience = audience_country(f"{article.title}\n{text}" if article.title else text)
        resolved = geoparse(text, self.gazetteer, self._spans(doc), audience)
        # Captions are read too: a photo's caption often names the place the story is about.
        captions = cut_for_nlp("\n".join(article.captions), self.max_chars)
        in_captions = (
            geoparse(
                captions, self.gazetteer, self._spans(self._doc(captions) if english else None), audience
            )
            if captions
            else []
        )
        # For the focus, caption mentions count as if they followed the text.
        after_text = [
            (replace(m, start=m.start + len(text) + 1, end=m.end + len(text) + 1), e, c)
            for m, e, c in in_captions
        ]
        title_countries = self._title_countries(article.title, resolved + in_captions, text)
        focus, countries = focus_of(resolved + after_text, title_countries, audience)
        # The English model's noun phrases for English; statistics in the article's own language for
        # any other (the English model read French as "sont", "aqui", "chi").
        if doc is not None:
            classes = word_classes(doc)
            keywords = keywords_of(doc, article.title, classes)
            mentions = english_mentions(
                doc, self.gazetteer, frozenset(fold(m.text) for m, _, _ in resolved), classes
            )
        else:
            keywords = keywords_in(language, text, article.title) if language else []
            mentions = pattern_mentions(text, self.gazetteer)
        mentions, people, orgs = canonical(mentions)
        topics = topic_scores(text, article.title)
        # The credited agencies are sources the text rarely names; after the text's organisations.
        known = {o.casefold() for o in orgs}
        orgs += [c for c in article.credits if c.casefold() not in known]
        return EnrichedArticle(
            **article.model_dump(exclude={"language"}),
            language=language,
            places=to_places(resolved)
            + [p.model_copy(update={"field": "captions"}) for p in to_places(in_captions)],
            focus=fill_focus_country(focus, self.gazetteer),
            countries=countries,
            people=people,
            organizations=orgs,
            entities=[
                Entity(text=m.text, start=m.start, end=m.end, label=m.label, name=m.name) for m in mentions
            ],
            keywords=keywords,
            topics=[topic.slug for topic, _ in topics],
            topic_scores=[
                TopicScore(topic=t.slug, medtop=t.medtop, label=t.label, confidence=c) for t, c in topics
            ],
            enriched_at=utcnow(),
        )
