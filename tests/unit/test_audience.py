"""The country a text is written for, and what it does for a town named like a larger one abroad."""

from __future__ import annotations

import pytest

from newsflow.enrich.audience import audience_country
from newsflow.enrich.geoparse import geoparse

LOCAL = (
    "The Athens City Council heard a budget update on Wednesday. Sales tax revenue fell 6 percent from "
    "last year, the finance director said, but the city has about $400,000 in reserves. The senior "
    "center will get a new roof, and the council thanked the labor unions for their patience."
)
PLAIN = "The Athens City Council heard a budget update on Wednesday. The finance director was pleased."


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("Prices rose 6 percent; the center paid $4,000.", "US"),
        ("Unemployment fell to 5 percent, the labor department said.", "US"),
        ("Prices rose 6 per cent; the centre paid £4,000.", "GB"),
        ("The organisation's favourite theatre reopened.", "GB"),
        # Canada writes "centre" and "colour" too: Britain needs its money or a form Canada does not write.
        ("The centre was painted in the club's colours.", None),
        ("The centre paid £4,000.", "GB"),
        # Dollars with British spelling: Canada, Australia, New Zealand. No one country.
        ("Prices rose 6 per cent; the centre paid $4,000.", None),
        # Dollars alone are written in many countries; one word is a name or a quotation.
        ("The centre paid $4,000 and $5,000.", None),
        ("The Rockefeller Center was busy.", None),
        ("The center paid €4,000, 6 percent more.", None),
        ("The center paid 6 percent more; the centre did not.", None),
    ],
)
def test_the_audience_is_read_off_spelling_and_money(text, country):
    assert audience_country(text) == country


def test_a_town_named_like_a_larger_one_abroad_is_read_at_home_for_its_readers(enricher):
    def athens(text: str) -> str | None:
        (entry,) = [e for m, e, _ in geoparse(text, enricher.gazetteer) if m.text == "Athens"]
        return entry.country_code

    assert athens(PLAIN) == "GR"  # nothing says otherwise: the largest Athens
    assert athens(LOCAL) == "US"  # dollars, "percent", "center", "labor": written for Americans
    # A country the story names still outweighs its readers' own.
    assert athens(LOCAL + " The mayor is visiting Greece next week.") == "GR"


def test_the_readers_country_breaks_a_tie_for_the_focus(enricher):
    from newsflow.enrich.enricher import offline_article

    text = (
        "The exodus from Egypt is remembered at Passover. In Oakland, families gathered on Sunday at "
        "the community center, where a seder cost $40 a person, 10 percent more than last year."
    )
    enriched = enricher.enrich(offline_article({"id": "seder", "text": text}))
    assert sorted(p.country_code for p in enriched.places) == ["EG", "US"]  # one each
    assert enriched.focus is not None and enriched.focus.country_code == "US"
    # Without the conventions, the first named wins the tie.
    plain = text.replace("$40", "40 dollars").replace("percent", "in a hundred").replace("center", "hall")
    enriched = enricher.enrich(offline_article({"id": "seder", "text": plain}))
    assert enriched.focus is not None and enriched.focus.country_code == "EG"


def test_the_title_tells_the_readers_too(enricher):
    from newsflow.enrich.enricher import offline_article

    body = "Pupils in Edmonton have turned a bare corner of their school into a garden full of colour."
    title = "Blooming marvellous: pupils organised a garden party"

    def country(article: dict[str, str]) -> str | None:
        (place,) = [p for p in enricher.enrich(offline_article(article)).places if p.name == "Edmonton"]
        return place.country_code

    assert country({"id": "e", "text": body}) == "CA"  # one British word alone says nothing
    assert country({"id": "e", "text": body, "title": title}) == "GB"  # with the title's, two


def test_dublin_city_council_in_ohio(enricher):
    from newsflow.enrich.enricher import offline_article

    text = (
        "A resolution for the appointments began a discussion among Dublin City Council members on "
        "Monday. Councilman Tim Lecklider moved to delay the vote, and the council agreed. The Dublin "
        "Community Recreation Center will host the next meeting."
    )
    places = enricher.enrich(offline_article({"id": "d", "text": text})).places
    # "Dublin City" is read as "Dublin" (GeoNames gives that name to Dublin, Ireland alone), and the
    # readers are American ("Councilman", "Center").
    assert {p.country_code for p in places if p.name.startswith("Dublin")} == {"US"}
    # In an Irish story the same words are Dublin, Ireland.
    irish = text.replace("Councilman", "Councillor").replace("Center", "Centre")
    places = enricher.enrich(offline_article({"id": "d", "text": irish})).places
    assert {p.country_code for p in places if p.name.startswith("Dublin")} == {"IE"}
