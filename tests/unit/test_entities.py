"""People and organisations: offsets, one canonical name per entity, and the article's language's method."""

from __future__ import annotations

from newsflow.enrich.enricher import offline_article
from newsflow.enrich.entities import Mention, canonical, clean_name
from newsflow.enrich.names import find_names
from newsflow.enrich.tags import detect_language

SPANISH = (
    "MADRID, 23 may (EFE).\n"
    "El presidente del Gobierno, José María Aznar, se reunió hoy con el secretario general del PSOE, "
    "Joaquín Almunia, en el Palacio de la Moncloa. Según fuentes del Partido Popular, Aznar y Almunia "
    "hablaron de la reforma del Tribunal Constitucional y de la situación de la Universidad de Salamanca.\n"
    "LA REFORMA SIGUE EN EL AIRE"
)
GERMAN = (
    "Bundeskanzlerin Angela Merkel hat am Montag in Berlin den Vorstand der Deutsche Bank AG getroffen. "
    "Die SPD kritisierte das Treffen. Merkel sagte, Die Gespräche seien gut verlaufen."
)


def test_titles_possessives_and_articles_are_not_part_of_a_name():
    assert clean_name("President Joe Biden's", "PER") == "Joe Biden"
    assert clean_name("Prime Minister Rishi Sunak", "PER") == "Rishi Sunak"
    assert clean_name("the Wagner Group", "ORG") == "Wagner Group"
    # Titles are dropped from people only: an organisation's name may start with one.
    assert clean_name("General Motors", "ORG") == "General Motors"
    assert clean_name("1860 Munich", "ORG") is None  # a digit: a score line or a date, not a name
    assert clean_name("president", "PER") is None


def test_each_mention_is_named_by_its_entitys_fullest_form_and_ranked_by_all_its_mentions():
    mentions = [
        Mention(0, 5, "PER", "Biden"),
        Mention(10, 19, "PER", "Joe Biden"),
        Mention(30, 35, "PER", "Biden"),
        Mention(40, 46, "ORG", "Wagner"),
        Mention(50, 62, "ORG", "Wagner Group"),
        Mention(70, 75, "PER", "Putin"),
        Mention(80, 86, "ORG", "Biden"),  # another kind of entity: not folded into the person
    ]
    named, people, orgs = canonical(mentions)
    assert people == ["Joe Biden", "Putin"]
    assert orgs == ["Wagner Group", "Biden"]
    assert [m.name for m in named] == [
        "Joe Biden",
        "Joe Biden",
        "Joe Biden",
        "Wagner Group",
        "Wagner Group",
        "Putin",
        "Biden",
    ]


def test_spanish_people_and_organisations_without_a_model(enricher):
    found = {(f.text(SPANISH), f.label) for f in find_names(SPANISH, enricher.gazetteer)}
    assert {("José María Aznar", "PER"), ("Joaquín Almunia", "PER")} <= found
    assert {("PSOE", "ORG"), ("Partido Popular", "ORG"), ("Tribunal Constitucional", "ORG")} <= found
    assert ("Universidad de Salamanca", "ORG") in found
    texts = {text for text, _ in found}
    # A headline in capitals has no acronyms; the dateline's agency does; a country is no organisation.
    assert not {"LA", "REFORMA", "SIGUE", "AIRE", "MADRID"} & texts
    assert "EFE" in texts


def test_a_german_company_is_not_a_person_and_a_capitalised_stop_word_starts_no_name(enricher):
    found = {(f.text(GERMAN), f.label) for f in find_names(GERMAN, enricher.gazetteer)}
    assert ("Angela Merkel", "PER") in found
    assert ("Deutsche Bank AG", "ORG") in found
    assert ("SPD", "ORG") in found
    assert not any(label == "PER" and text.startswith("Die") for text, label in found)


def test_acronyms_that_qualify_a_compound_are_not_organisations_named(enricher):
    text = (
        "Der CDU-Politiker sprach mit dem SPD-Fraktionsvorsitzenden über den DFB-Pokal. Sprecher der "
        "Fraktionen von CDU/CSU und FDP widersprachen. Das entschied die UEFA."
    )
    found = [f.text(text) for f in find_names(text, enricher.gazetteer) if f.label == "ORG"]
    # "CDU-Politiker" is a politician, "DFB-Pokal" a cup: the compound's modifier, not the party or the
    # association named. Acronyms joined by a slash are one; one that ends a sentence is one.
    assert found == ["CDU/CSU", "FDP", "UEFA"]


def test_an_article_in_another_language_is_never_read_by_the_english_model(enricher):
    enriched = enricher.enrich(offline_article({"id": "es", "text": SPANISH}))
    assert enriched.language == "es"
    assert enriched.people[:2] == ["José María Aznar", "Joaquín Almunia"]
    assert {"PSOE", "Partido Popular", "EFE"} <= set(enriched.organizations)
    # Every mention points at its words in the text and at one of the listed names.
    for entity in enriched.entities:
        assert SPANISH[entity.start : entity.end] == entity.text
        assert entity.name in (enriched.people if entity.label == "PER" else enriched.organizations)
    # The later "Aznar" is the same person as the first mention's full name.
    aznar = [e for e in enriched.entities if e.text == "Aznar"]
    assert aznar and all(e.name == "José María Aznar" for e in aznar)


def test_a_short_body_takes_its_language_from_the_title_too(enricher):
    # 37 characters alone were too short to tell, and the English model then read German capitals as
    # people ("Mehr kann", "Sie").
    article = offline_article(
        {
            "id": "de",
            "title": "Bundesliga: Der Trainer des Vereins gibt nach der Niederlage auf",
            "text": "Mehr kann ich nicht machen, sagte er.",
        }
    )
    enriched = enricher.enrich(article)
    assert enriched.language == "de"
    assert enriched.people == []


def test_the_detected_language_wins_over_the_declared_one_only_when_sure(enricher):
    sure = offline_article({"id": "s", "language": "en", "text": GERMAN})
    assert enricher.language_of(sure) == "de"  # a template's "en" above a German story
    unsure = offline_article({"id": "u", "language": "en", "text": "Bolton 2 Wigan 1\nLeeds 0 Hull 3"})
    assert enricher.language_of(unsure) == "en"


def english(enricher, text: str):
    """The enriched article of an English text, checked to be read as English."""
    enriched = enricher.enrich(offline_article({"id": "en", "text": text}))
    assert enriched.language == "en"
    return enriched


def test_an_unsure_detection_with_a_real_share_of_english_is_english(enricher):
    # A match summary of names and numbers: the detector's first guess is Nigerian Pidgin (0.42), English
    # a close second (0.40); read as Pidgin, it went to the pattern reader and lost its teams.
    summary = (
        "MADRID 1996-12-07\nSummary of Saturday's Spanish first division match:\n"
        "Real Madrid 2 (Davor Suker 24, Predrag Mijatovic 48) Barcelona 0.\nHalftime 1-0.\nAttendance 106,000.\n"
    )
    enriched = english(enricher, summary)
    assert {"Real Madrid", "Barcelona"} <= set(enriched.organizations)
    # Unsure German stays German: English has no share there.
    assert (
        detect_language("Schalke 2 Hansa Rostock 0. Halbzeit 1:0. Zuschauer: 29.300, Tore: Mulder")[0] != "en"
    )


def test_english_mentions_carry_offsets_and_canonical_names(enricher):
    text = (
        "President Joe Biden met Vladimir Putin in Geneva on Wednesday. Biden said the talks with Putin "
        "were constructive, and Microsoft and the United Nations welcomed them."
    )
    enriched = english(enricher, text)
    assert enriched.people[:2] == ["Joe Biden", "Vladimir Putin"]
    for entity in enriched.entities:
        assert text[entity.start : entity.end] == entity.text
    assert {e.name for e in enriched.entities if e.text == "Biden"} == {"Joe Biden"}


def test_a_dateline_is_where_the_story_was_filed_not_an_organisation(enricher):
    text = (
        "VAIL, Colorado 1996-12-07\nProfile of the winner of the World Cup downhill race on Saturday.\n"
        "AMSTERDAM - Ajax beat Feyenoord 2-1, the Dutch federation said."
    )
    enriched = enricher.enrich(offline_article({"id": "dl", "text": text}))
    assert not [o for o in enriched.organizations if o.startswith(("VAIL", "Colorado", "AMSTERDAM"))]


def test_the_european_union_is_an_organisation_though_the_gazetteer_names_europe_so(enricher):
    text = "Ministers of the European Union met in Brussels on Monday to discuss farm subsidies."
    enriched = enricher.enrich(offline_article({"id": "eu", "text": text}))
    assert "European Union" in enriched.organizations


def test_eu_in_capitals_is_the_union_not_the_town_of_eu(enricher):
    text = "Coffee imports from outside the EU rose in August, the DKV coffee association said."
    enriched = enricher.enrich(offline_article({"id": "eu", "text": text}))
    assert "EU" in enriched.organizations


RESULTS = (
    "Results of the northern league on Saturday:\n"
    "Bolton 2 Wigan 1 (halftime 1-0)\n"
    "Leeds 0 Hull City 3\n"
    "Standings:\n"
    "Hull City 5 4 1 0 12 3 13\n"
    "Bolton 5 3 1 1 9 6 10\n"
    "England 2 Scotland 1\n"
    "MANCHESTER 2024-05-04\n"
    "Attendance 21,000 at the ground, 3 arrests.\n"
)


def test_teams_of_results_lines_are_organisations_though_named_like_towns(enricher):
    from newsflow.enrich.entities import team_mentions

    teams = {m.text for m in team_mentions(RESULTS, enricher.gazetteer)}
    assert teams == {"Bolton", "Wigan", "Leeds", "Hull City"}  # not the national teams, dateline, labels
    enriched = enricher.enrich(offline_article({"id": "r", "text": RESULTS}))
    assert {"Bolton", "Wigan", "Leeds", "Hull City"} <= set(enriched.organizations)


def test_a_person_in_a_table_of_teams_is_a_team_and_a_leaderboard_keeps_its_people(enricher):
    from newsflow.enrich.entities import _tables, _teams_called_people, team_mentions

    gazetteer = enricher.gazetteer

    def read(text: str, person: str, *others: str) -> Mention:
        teams = team_mentions(text, gazetteer)
        mentions = [
            Mention(text.index(p), text.index(p) + len(p), "PER", p)  # as the model may call them
            for p in (person, *others)
        ]
        return _teams_called_people(mentions, teams, _tables(text, mentions, teams, gazetteer))[0]

    standings = (
        "Standings:\n"
        "PSV Eindhoven 18 12 4 2 40 15 40\n"
        "Graafschap Doetinchem 18 9 3 6 29 22 30\n"
        "Vitesse Arnhem 18 8 5 5 30 25 29\n"
        "Roda JC Kerkrade 17 7 6 4 19 21 27\n"
    )
    club = read(standings, "Graafschap Doetinchem")
    assert (club.label, club.text) == ("ORG", "Graafschap Doetinchem")
    assert read(standings, "JC Kerkrade").text == "Roda JC Kerkrade"  # the team's whole name
    # Rows that begin with first names are people: a golf leaderboard.
    leaderboard = (
        "201 Mark McNulty (Zimbabwe) 72 61 68\n205 Des Terblanche 65 67 73\n"
        "206 Nick Price (Zimbabwe) 68 68 70\n207 Clinton Whitelaw 70 70 67\n"
    )
    assert read(leaderboard, "Des Terblanche").label == "PER"
    # Results between "people" named by places and common words, or by one word each, are between
    # teams, though the model called every side a person; two-word names of their own stay people.
    results = "Division one\nRedfield Rovers 27 Grimsdale 28\nOakhurst 13 Swindon Harbour 56\n"
    assert read(results, "Swindon Harbour", "Grimsdale", "Oakhurst").label == "ORG"
    singles = "Singles\nZorvan Kettiak (Utopia) beat Ondrej Malverk (Atlantis) 6-4 6-4\n"
    assert read(singles, "Zorvan Kettiak", "Ondrej Malverk").label == "PER"
    # A line of many names is a line-up, whatever the table around it.
    lineup = "PSV Eindhoven 18 12 4 2 40 15 40\nTeams: 1 - Kim Byung Ji; 2 - Kim Pan Keun; 5 - Huh Ki Tae\n"
    assert read(lineup, "Kim Pan Keun").label == "PER"


def test_a_table_of_figures_or_months_names_no_teams(enricher):
    from newsflow.enrich.entities import team_mentions

    table = (
        "Wk to Aug 28 Chg on wk Chg on yr\n"
        "Notes in circulation 27.35 +0.435 +0.237\n"
        "Government cash balances 3.54 -0.629 +0.089\n"
        "July 96 June 96 July 95\n"
        "Bolton 2 Wigan 1\n"
    )
    # Signed decimal changes make a line of figures, not results; months head columns, not teams.
    assert {m.text for m in team_mentions(table, enricher.gazetteer)} == {"Bolton", "Wigan"}
    # A contact line's telephone number and a scorecard's venue before its colon name no team either.
    lines = "-- Jakarta newsroom +6221 384-6364\nPortsmouth: Middlesex 199 and 426, Hampshire 232 and 109-5\n"
    assert {m.text for m in team_mentions(lines, enricher.gazetteer)} == {"Middlesex", "Hampshire"}


def test_headings_competitions_and_a_persons_surname_are_no_organisations(enricher):
    text = (
        "EASTERN DIVISION\n"
        "The winners of the UEFA Cup met at the Melbourne Cricket Ground on Friday, officials said.\n"
        "Prime Minister John Major met the chancellor. A spokesman from Major's office said the talks "
        "went well, and Major left for Brussels in the evening."
    )
    enriched = english(enricher, text)
    assert enriched.organizations == []
    assert "John Major" in enriched.people
    assert {e.name for e in enriched.entities if e.text == "Major"} <= {"John Major"}


def test_a_club_named_like_its_town_stays_an_organisation_but_the_storys_own_places_do_not(enricher):
    from newsflow.enrich.entities import model_mentions

    doc = enricher.nlp("Bamako is the capital. Shares of Microsoft rose.")
    # "Bamako" is a place of this story: whatever the model calls it, it is no organisation here.
    names = {m.text for m in model_mentions(doc, enricher.gazetteer, frozenset({"bamako"}))}
    assert "Bamako" not in names
    # A country is never an organisation; a town's name can be one (a club, a council).
    from newsflow.enrich.entities import _not_an

    assert _not_an("ORG", "Mali", enricher.gazetteer) and _not_an("ORG", "Scotland", enricher.gazetteer)
    assert not _not_an("ORG", "Liverpool", enricher.gazetteer)
    assert _not_an("PER", "Liverpool", enricher.gazetteer)


def test_initials_and_a_surname_are_a_person_but_country_abbreviations_are_not(enricher):
    from newsflow.enrich.names import find_people

    text = "Bowling: J. Russell 10-2-31-1, T.O'Gorman 5-0-20-0. The U.S. Army said so. U.K. Treasury data."
    people = {text[f.start : f.end] for f in find_people(text, enricher.gazetteer)}
    assert people == {"J. Russell", "T.O'Gorman"}


def test_a_person_named_after_a_city_without_a_first_name_is_a_club(enricher):
    from newsflow.enrich.entities import _is_club

    assert _is_club("Manchester United", enricher.gazetteer)
    assert _is_club("Partizan Belgrade", enricher.gazetteer)
    assert not _is_club("Denzel Washington", enricher.gazetteer)
    assert not _is_club("Boris Johnson", enricher.gazetteer)


def test_an_organisations_name_ends_at_its_last_capitalised_word(enricher):
    # The model tags "Interfax news agency" whole.
    text = "A reactor shut down at an installation outside Moscow, Interfax news agency said.\nIt quoted officials."
    enriched = enricher.enrich(offline_article({"id": "interfax", "text": text}))
    assert enriched.organizations == ["Interfax"]
    assert not any("agency" in o for o in enriched.organizations)


def test_m_dot_is_monsieur_in_french_and_an_initial_in_english():
    assert clean_name("M. Macron", "PER") == "Macron"
    assert clean_name("M. Atherton", "PER", english=True) == "M. Atherton"
    assert clean_name("Mr. Atherton", "PER", english=True) == "Atherton"


def test_a_person_named_like_small_towns_is_the_person_but_not_one_named_like_a_country(enricher):
    # Clinton and Houghton are towns too (the largest of each under 50,000 people).
    enriched = english(
        enricher, "White House spokesman Mike McCurry said Clinton would sign the bill on Monday."
    )
    assert "Clinton" in enriched.people
    enriched = english(enricher, "Coach Andy Townsend said Houghton played well on Saturday.")
    assert "Houghton" in enriched.people
    assert "Mali" not in english(enricher, "Officials said Mali would sign the bill on Monday.").people


def test_a_first_name_before_a_common_word_is_no_person_in_english(enricher):
    # "Roman" and "Ellis" are first names; "Catholic" and "Park" are words, not surnames.
    text = (
        "Italy evacuated 17 Roman Catholic nuns from the region on Friday, officials said, and the team "
        "won in front of an ecstatic Ellis Park crowd on Saturday."
    )
    enriched = english(enricher, text)
    assert not {"Roman Catholic", "Ellis Park"} & set(enriched.people)


def test_a_team_sheets_country_and_a_match_venue_are_not_part_of_a_name():
    assert clean_name("Sri Lanka - Arjuna Ranatunga", "PER", english=True) == "Arjuna Ranatunga"
    assert clean_name("Yorkshire at Headingley", "PER", english=True) is None


def test_a_name_the_model_stops_short_goes_on_to_its_last_capitalised_word(enricher):
    enriched = english(
        enricher, "Results of the women's World Cup downhill:\n19= Kate Pace Lindsay (Canada) 23\n"
    )
    assert "Kate Pace Lindsay" in enriched.people
    # Not over a weekday: "said Bill Clinton Monday."
    assert english(enricher, "The law was signed, said Bill Clinton Monday.").people == ["Bill Clinton"]


def test_the_names_of_a_line_up_are_people_and_its_team_stays_a_team(enricher):
    # A rugby team sheet (names made up): the model knows some players, and a line of numbers otherwise
    # names teams.
    lineup = (
        "Northbridge managed to avoid a fifth successive defeat this season with an emphatic 32-22 victory "
        "in front of an ecstatic crowd on Saturday.\n"
        "Leeds - 15 - Thomas Keller, 14 - Jonathan Marsh, 13 - Kobus Venter (Michael Bright, 48 mins) "
        "12 - Danie van der Berg, 11 - Peter Collins; 10 - Henry Walsh, 9 - Joost van Rensburg; "
        "8 - Gary Fisher (captain), 7 - Andrew Hale, 5 - Mark Thornton, 4 - Japie Kruger, "
        "3 - Marius Botha, 2 - James Harlow, 1 - Dawie Pienaar (Simon Ford, 66).\n"
    )
    enriched = enricher.enrich(offline_article({"id": "l", "text": lineup}))
    assert_people(enriched, "Kobus Venter", "Danie van der Berg", "Japie Kruger", "Dawie Pienaar")
    assert "Leeds" in enriched.organizations  # the team whose line-up it is
    # A result with its scorers in brackets names teams, though clubs carry first names.
    result = "Premier League result:\nChelsea 2 (Moreno 12, Falk 55) Everton 2 (Hardy 17, Quinn 60) Leeds 1\n"
    enriched = enricher.enrich(offline_article({"id": "r", "text": result}))
    assert {"Chelsea", "Everton"} <= set(enriched.organizations)
    assert not {"Chelsea", "Everton"} & set(enriched.people)


def test_a_players_position_before_the_name_is_no_part_of_it(enricher):
    assert clean_name("Fullback Tom Ashworth", "PER", english=True) == "Tom Ashworth"
    assert clean_name("Striker Les Ferdinand", "PER", english=True) == "Les Ferdinand"
    text = "Fullback Tom Ashworth scored the second try, racing in from 40 metres early in the second half."
    enriched = enricher.enrich(offline_article({"id": "p", "text": text}))
    assert "Tom Ashworth" in enriched.people
    assert "Fullback Tom Ashworth" not in enriched.people


def test_a_scorecards_figures_are_no_part_of_a_name_and_an_initial_makes_no_club(enricher):
    # The model may read "A. Smith 5-68" as one person; the figures are the bowler's, not his name.
    assert clean_name("A. Smith 5-68", "PER", english=True) == "A. Smith"
    assert clean_name("P. Johnson 84", "PER", english=True) == "P. Johnson"
    assert clean_name("Everton 2", "PER", english=True) is None  # one word before a score: a team
    text = (
        "Close of play scores in the county championship on Friday:\n"
        "Taunton: Somerset 312 (R. Ellison 104, D. Marsh 52; I. Austin 4-37), Kent 197-8 (W. Hale 54)\n"
        "Bristol: Gloucestershire 183 and 185-6 (J. Rowe 56 not out), Essex 190 (K. Dale 52; A. Smith 5-68).\n"
    )
    enriched = enricher.enrich(offline_article({"id": "c", "text": text}))
    # "I. Austin" names a city's word, yet an initial is a person's, not a club's.
    assert "I. Austin" in enriched.people
    assert "I. Austin" not in enriched.organizations


def test_a_word_for_a_nations_people_is_nobodys_name_but_stays_in_an_organisations(enricher):
    text = (
        "Croat Ivan Maric scored twice for the visitors on Sunday. Welsh referee David Lloyd sent off a Briton "
        "and a Tajik in the second half, and the Scottish National Party called for calm in Edinburgh."
    )
    enriched = enricher.enrich(offline_article({"id": "n", "text": text}))
    assert "Ivan Maric" in enriched.people
    assert not {"Croat Ivan Maric", "Welsh", "Briton", "Tajik"} & set(enriched.people)
    assert "Scottish National Party" in enriched.organizations


def test_scorers_in_brackets_after_a_score_are_people(enricher):
    results = (
        "Summaries of league matches on Saturday (names made up):\n"
        "Arsenal 2 (Moreno 45, Falk 90) Derby 2 (Hardy 62, Quinn\n71).\n"
        "Sunderland 1 (Tennant 83) Wimbledon 3 (Okafor 8, 29, Brightwell\n89).\n"
        "Somerset 83 and 174 (P. Hollins 4-38), Leicestershire 296.\n"
        "Alba Berlin (Germany) 9 5 4 14 (halftime 1-0)\n"
    )
    enriched = enricher.enrich(offline_article({"id": "s", "text": results}))
    assert {"Hardy", "Tennant", "Okafor", "Brightwell", "P. Hollins"} <= set(enriched.people)
    assert not {"Germany", "Halftime", "Leicestershire"} & set(enriched.people)


def test_a_numbered_team_sheet_is_people_whoever_the_model_knows_and_so_are_its_substitutes(enricher):
    text = (
        "South Korea beat Indonesia 4-2 in their Asian Cup group match on Saturday, with two goals from "
        "their captain in the first half.\n"
        "Teams:\n"
        "Indonesia: 20 - Hendra Kusuma; 2 - Agus Setiadi; 3 - Suwarno Sidik; 4 - Yeyen Tamara; "
        "5 - Aples Tekuari; 6 - Sudirman; 12 - Chris Yawan (15 - Frans Wenggi 36); 16 - Marzuki Badri.\n"
    )
    enriched = enricher.enrich(offline_article({"id": "t", "text": text}))
    assert_people(enriched, "Agus Setiadi", "Suwarno Sidik", "Yeyen Tamara", "Aples Tekuari", "Frans Wenggi")


def test_a_first_name_and_surname_hold_the_single_words_the_model_cut_out_of_them(enricher, monkeypatch):
    from newsflow.enrich import entities

    text = (
        "Anna Berger (Austria) beat Natasha Kowalczyk (Poland) 6-3 6-1 and Petra Novakova beat Philip Morris."
    )

    def at(name: str, label: str) -> Mention:
        start = text.index(name)
        return Mention(start, start + len(name), label, name)

    # What the model may read: a first name alone as an organisation, a surname alone as a person, and a
    # tobacco company's name whole.
    read = [at("Natasha", "ORG"), at("Novakova", "PER"), at("Philip Morris", "ORG")]
    monkeypatch.setattr(entities, "model_mentions", lambda *args, **kwargs: list(read))
    mentions = entities.english_mentions(enricher.nlp.make_doc(text), enricher.gazetteer)
    found = {(m.text, m.label) for m in mentions}
    assert {("Natasha Kowalczyk", "PER"), ("Petra Novakova", "PER"), ("Philip Morris", "ORG")} <= found
    assert not {("Natasha", "ORG"), ("Novakova", "PER")} & found


def test_a_table_of_people_takes_the_rows_the_model_missed_as_people(enricher):
    # Standings of a made-up ski race: most rows hold a person the model or a first name finds; the
    # others are people too, not teams (the model may take one for an organisation).
    standings = (
        "Women's downhill standings after Saturday's race:\n"
        "1. Katrin Hoffmann (Germany) 180 points\n"
        "2. Renate Gasser (Austria) 132\n"
        "3. Carole Marchand (France) 86\n"
        "4. Megan Gorsky (U.S.) 75\n"
        "5. Picabo Lane (U.S.) 69\n"
        "6. Urska Hrovat (Slovenia) 66\n"
    )
    enriched = enricher.enrich(offline_article({"id": "d", "text": standings}))
    assert_people(enriched, "Katrin Hoffmann", "Megan Gorsky", "Picabo Lane", "Urska Hrovat")


def assert_people(enriched, *names: str) -> None:
    """Each name is among the article's people and not among its organisations."""
    for name in names:
        assert name in enriched.people
        assert name not in enriched.organizations


def test_a_possessors_name_ends_at_the_possessive_and_a_legal_form_makes_a_company():
    assert clean_name("Jonas Okafor's National Unity Party", "PER", english=True) == "Jonas Okafor"
    assert clean_name("President Biden's", "PER", english=True) == "Biden"


def test_a_person_the_model_names_with_a_legal_form_is_a_company(enricher, monkeypatch):
    from newsflow.enrich import entities

    text = "Shares of Marzotto SpA rose on Tuesday after the results."
    start = text.index("Marzotto SpA")

    class Ent:  # the model's reading of the span, as spaCy gives it
        text, label_, start_char, end_char = "Marzotto SpA", "PERSON", start, start + len("Marzotto SpA")

    class Doc:
        ents = [Ent()]

    found = entities.model_mentions(Doc(), enricher.gazetteer, text=text)
    assert [(m.text, m.label) for m in found] == [("Marzotto SpA", "ORG")]


def test_a_side_is_no_person_before_its_player_or_after_the(enricher):
    from newsflow.enrich.entities import _sides_called_people

    def people(text: str, *names: str) -> dict[str, str]:
        mentions = [Mention(text.index(n), text.index(n) + len(n), "PER", n) for n in names]
        return {m.text: m.label for m in _sides_called_people(text, mentions)}

    # A person's name takes no article: after one, a team, and an organisation.
    assert people(
        "as the Zanbury Otters defeated the Quell Sparrows 5-3", "Zanbury Otters", "Quell Sparrows"
    ) == {
        "Zanbury Otters": "ORG",
        "Quell Sparrows": "ORG",
    }
    # ... unless the story names the person elsewhere: the article is then a noun's ("the X case").
    text = "Ondrej Malverk was charged. The Malverk case opened in June."
    assert people(text, "Ondrej Malverk", "Malverk") == {"Ondrej Malverk": "PER", "Malverk": "PER"}
    # ... and when it does not, the name is a thing's: neither a person nor, for sure, an organisation.
    assert people("They met near the Lorvain Quess stadium.", "Lorvain Quess") == {}
    # A name before a role and a person, or owning a person outright, is the side the person plays for.
    assert people("Former Zanbury captain Ondrej Malverk retired.", "Zanbury", "Ondrej Malverk") == {
        "Ondrej Malverk": "PER"
    }
    assert people("Grimsdale's Zorvan Kettiak went close.", "Grimsdale", "Zorvan Kettiak") == {
        "Zorvan Kettiak": "PER"
    }
    # A person who owns another through a role stays: "Malverk's coach Zorvan Kettiak".
    assert people("Malverk's coach Zorvan Kettiak spoke.", "Malverk", "Zorvan Kettiak") == {
        "Malverk": "PER",
        "Zorvan Kettiak": "PER",
    }


def test_a_person_before_the_kind_of_place_it_names_is_that_place(enricher):
    from newsflow.enrich.entities import english_mentions

    text = (
        "Rebels hold the mountainous Vorlak Tessen region. Flights left Harmon Bellweather airport late. "
        "Mayor Vorlak Tessen spoke on Monday."
    )
    doc = enricher.nlp(text)
    people = [(m.start, m.text) for m in english_mentions(doc, enricher.gazetteer) if m.label == "PER"]
    assert not [
        p for p in people if text[p[0] :].startswith(("Vorlak Tessen region", "Harmon Bellweather airport"))
    ]
    assert any(text[p[0] :].startswith("Vorlak Tessen spoke") for p in people)
