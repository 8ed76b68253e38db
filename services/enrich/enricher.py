"""The enrichment of one article; shared by the enrich worker and `newsflow geoparse`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from newsflow.enrich.gazetteer import Gazetteer, load_gazetteer
from newsflow.enrich.geoparse import Span, fill_focus_country, focus_of, geoparse, to_places
from newsflow.enrich.nlp import load_nlp
from newsflow.enrich.tags import detect_language, entities_of, keywords_of, topics_of
from newsflow.schemas import Article, EnrichedArticle, Place, utcnow

MIN_LANGUAGE_CONFIDENCE = 0.9


class Enricher:
    def __init__(self, gazetteer: Gazetteer | None = None, nlp: Any | None = None, use_nlp: bool = True):
        self.gazetteer = gazetteer or load_gazetteer()
        self.nlp = nlp if nlp is not None else (load_nlp() if use_nlp else None)

    def _doc(self, text: str) -> Any | None:
        return self.nlp(text) if self.nlp is not None and text else None

    @staticmethod
    def _spans(doc: Any | None) -> list[Span] | None:
        if doc is None:
            return None
        return [Span(e.start_char, e.end_char, e.label_) for e in doc.ents]

    def places(self, text: str) -> list[Place]:
        return to_places(geoparse(text, self.gazetteer, self._spans(self._doc(text))))

    def enrich(self, article: Article) -> EnrichedArticle:
        doc = self._doc(article.text)
        resolved = geoparse(article.text, self.gazetteer, self._spans(doc))
        title_countries = []
        if article.title:
            title_countries = [e.country_code for _, e, _ in geoparse(article.title, self.gazetteer) if e.country_code]
        # Captions are read too: a photo's caption often names the place the story is about.
        captions = "\n".join(article.captions)
        in_captions = geoparse(captions, self.gazetteer, self._spans(self._doc(captions))) if captions else []
        # For the focus, caption mentions count as if they followed the text.
        after_text = [(replace(m, start=m.start + len(article.text) + 1, end=m.end + len(article.text) + 1), e, c)
                      for m, e, c in in_captions]
        focus, countries = focus_of(resolved + after_text, title_countries)
        people, orgs = entities_of(doc, self.gazetteer) if doc is not None else ([], [])
        language, confidence = detect_language(article.text)
        return EnrichedArticle(
            **article.model_dump(exclude={"language"}),
            language=language if language and confidence >= MIN_LANGUAGE_CONFIDENCE else article.language or language,
            places=to_places(resolved) + [p.model_copy(update={"field": "captions"}) for p in to_places(in_captions)],
            focus=fill_focus_country(focus, self.gazetteer),
            countries=countries,
            people=people,
            organizations=orgs,
            keywords=keywords_of(doc, article.title) if doc is not None else [],
            topics=topics_of(article.text),
            enriched_at=utcnow(),
        )
