"""Enrichment reads at most enrich_max_chars of a body: bounded memory and time, offsets intact."""

from newsflow.enrich.enricher import Enricher, cut_for_nlp
from newsflow.schemas import Article, utcnow


def test_cut_for_nlp_ends_at_a_paragraph_or_a_space():
    text = ("word " * 300).strip() + "\n" + ("more " * 300)
    cut = cut_for_nlp(text, 1_600)
    assert len(cut) <= 1_600 and text.startswith(cut) and cut.endswith("word")
    assert cut_for_nlp("short text", 1_000) == "short text"
    assert cut_for_nlp("x" * 5_000, 1_000) == "x" * 1_000  # no boundary: a hard cut


def test_a_long_body_is_read_up_to_the_limit_and_kept_whole(enricher):
    limited = Enricher(gazetteer=enricher.gazetteer, nlp=enricher.nlp, max_chars=2_000)
    head = "Soldiers arrived in Bamako on Friday, officials in Mali said. " * 5
    filler = "The talks went on for hours and nothing was decided that day. " * 100
    text = head + filler + "Later, fighting broke out near Timbuktu."
    article = Article(
        id="long", url="https://e.com/a", canonical_url="https://e.com/a", text=text, fetched_at=utcnow()
    )
    enriched = limited.enrich(article)
    names = {p.name for p in enriched.places}
    assert "Bamako" in names and "Timbuktu" not in names
    assert enriched.text == text  # the stored body stays whole
    assert all(text[p.start : p.end] == p.name for p in enriched.places)
    assert "Timbuktu" in {p.name for p in enricher.enrich(article).places}  # without the limit
