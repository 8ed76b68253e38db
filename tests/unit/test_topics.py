"""Topics: IPTC Media Topics' top level, a confidence each, the title and lead weighing more."""

from __future__ import annotations

from newsflow.enrich.enricher import offline_article
from newsflow.enrich.topics import TAXONOMY, TOPICS, topic_scores

MATCH_REPORT = (
    "Arsenal beat Chelsea 2-1 in the Premier League on Sunday. The striker scored twice before half-time "
    "and the goalkeeper saved a penalty.\n"
    "The club's coach said the squad had earned the win, and the champions now lead the league by four "
    "points with ten matches of the season left."
)


def slugs(text: str, title: str | None = None) -> list[str]:
    return [topic.slug for topic, _ in topic_scores(text, title)]


def test_every_topic_maps_to_an_iptc_media_topic_and_slugs_are_unique():
    assert len(TOPICS) == len(TAXONOMY)
    for topic in TAXONOMY:
        assert topic.medtop.startswith("medtop:") and len(topic.medtop) == len("medtop:01000000")
        assert topic.label and topic.terms
    # The first version's slugs keep their names: the evaluation mapping and stored articles use them.
    assert {"politics", "conflict", "economy", "health", "science", "technology", "environment"} <= set(
        TOPICS
    )
    assert {"sport", "crime", "culture"} <= set(TOPICS)


def test_a_match_report_is_sport_with_a_confidence():
    scored = topic_scores(MATCH_REPORT)
    assert scored[0][0].slug == "sport"
    assert scored[0][0].medtop == "medtop:15000000"
    assert 0.5 < scored[0][1] <= 1.0
    assert sum(confidence for _, confidence in scored) <= 1.0


def test_local_government_and_democracy_are_politics():
    # IPTC's politics takes in local government: councils, city halls, the bills of a state's house.
    text = (
        "The city council voted on Tuesday to delay the budget, and councillors at city hall said the "
        "municipal elections would go ahead. House Bill 477 is no more: democracy worked, residents said."
    )
    assert slugs(text)[0] == "politics"


def test_whole_words_only_unless_the_term_is_a_stem():
    # "war" is no prefix: "warning", "award" and "warm" are not war; "courtesy" is not a court.
    assert slugs("A warning about warm weather awards, warnings and warmth, courtesy of the warden.") != [
        "conflict"
    ]
    assert "conflict" in slugs("The war went on. Troops and soldiers of the army kept fighting in the war.")


def test_the_title_and_the_lead_outweigh_a_passing_mention():
    body = (
        "The central bank kept interest rates on hold on Thursday, and inflation eased for the third month "
        "in a row, economists said, while the governor warned that the outlook remained uncertain and that "
        "the committee would watch the figures closely.\n"
        "Later, at a football match, a player scored a goal; the club said nothing."
    )
    assert slugs(body)[0] == "economy"
    # The same words under a sports headline: the title says what the story is about.
    assert slugs(body, "Football club player scores winning goal")[0] == "sport"


def test_an_article_without_topic_vocabulary_gets_no_topic_and_one_mention_gives_a_weak_one():
    assert slugs("It was a quiet afternoon and nothing much happened at all, they said.") == []
    once = topic_scores("He mentioned the election once in a long story about nothing else in particular.")
    assert [t.slug for t, _ in once] == ["politics"] and once[0][1] < 0.5
    assert topic_scores(MATCH_REPORT)[0][1] > 2 * once[0][1]


def test_a_subjects_breadth_of_words_outweighs_one_word_repeated():
    # Police are named five times in a story about a bill before parliament: it is about politics.
    text = (
        "Police chiefs backed the bill. Police numbers, police pay and police powers were debated, and "
        "the police federation wrote to MPs before parliament sat, the minister said."
    )
    assert slugs(text)[0] == "politics"


def test_the_enriched_article_carries_slugs_and_iptc_scores(enricher):
    enriched = enricher.enrich(
        offline_article({"id": "s", "title": "Arsenal top the league", "text": MATCH_REPORT})
    )
    assert enriched.topics[0] == "sport"
    assert [s.topic for s in enriched.topic_scores] == enriched.topics
    assert enriched.topic_scores[0].medtop == "medtop:15000000"
    assert enriched.topic_scores[0].label == "sport"


def test_health_takes_in_iptc_s_childbirth_nutrition_and_health_agencies():
    assert slugs(
        "More than a million mothers and newborn babies die each year from birth complications because "
        "of a shortage of midwives, a report says.",
        "Midwife shortage costs over a million lives",
    ) == ["health"]
    assert slugs("The FDA proposed calorie counts on menus at chain restaurants on Friday.")[0] == "health"


def test_technology_and_culture_take_in_their_industries_words():
    assert (
        slugs("Phishing e-mails and spyware were used to steal bank customers' details.")[0] == "technology"
    )
    assert slugs("Elvis is set to top the UK singles chart again, the record company said.")[0] == "culture"


def test_the_games_industry_is_technology_and_a_tennis_draw_is_sport():
    # Without the games industry's words, its money ("put up for sale", "cash crisis") made this economy.
    assert (
        slugs(
            "One of Britain's largest independent game makers has been put up for sale after a cash crisis. "
            "The games developer cut 100 jobs; its shares were suspended.",
            "Games maker fights for survival",
        )[0]
        == "technology"
    )
    # "court" is the tennis court here, not a law court: the draw's words outweigh it.
    assert (
        slugs(
            "The top seed was unable to take to the court. A qualifier beat the third seed in round one.",
        )[0]
        == "sport"
    )


def test_the_terms_trie_matches_as_the_terms_longest_first_would():
    import re

    from newsflow.enrich.topics import _trie, _trie_pattern

    terms = ["court", "court of appeal", "elect*", "election", "judge"]
    trie = re.compile(r"(?<![\w-])" + _trie_pattern(_trie(terms)) + r"(?![\w-])")
    alternation = re.compile(
        r"(?<![\w-])(?:"
        + "|".join(
            re.escape(t[:-1]) + r"[\w'-]*" if t.endswith("*") else re.escape(t) + "(?:s|es)?"
            for t in sorted(terms, key=len, reverse=True)
        )
        + r")(?![\w-])"
    )
    text = "the court of appeal heard two courts; elections, an electorate, judges and a judgement"
    found = [m.group() for m in trie.finditer(text)]
    assert found == [m.group() for m in alternation.finditer(text)]
    assert found == ["court of appeal", "courts", "elections", "electorate", "judges"]
