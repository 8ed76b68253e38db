"""Keyphrases in the article's own language."""

from __future__ import annotations

from newsflow.enrich.enricher import offline_article

FRENCH = (
    "Le gouvernement a présenté mercredi sa réforme des retraites devant le Conseil des ministres. "
    "La réforme des retraites prévoit un report de l'âge légal de départ. Les syndicats sont opposés à la "
    "réforme et appellent à une journée de grève nationale. Selon le ministre du Travail, la réforme des "
    "retraites est indispensable pour garantir l'équilibre du système. Les manifestations sont prévues "
    "dans toute la France."
)


def test_a_french_article_gets_french_keyphrases_not_the_english_models_words(enricher):
    article = offline_article(
        {"id": "f", "title": "Réforme des retraites : les syndicats appellent à la grève", "text": FRENCH}
    )
    enriched = enricher.enrich(article)
    assert enriched.language == "fr"
    assert enriched.keywords[0] == "réforme des retraites"
    # The English model read French as words like "sont": no French function word is a keyphrase.
    assert not {"sont", "les", "des", "la", "une", "est"} & set(enriched.keywords)
    assert all(k in (article.title + " " + FRENCH).lower() for k in enriched.keywords)


def test_an_english_article_keeps_the_models_noun_phrases(enricher):
    text = (
        "The central bank raised interest rates again on Tuesday. Higher interest rates make mortgages "
        "dearer, and the central bank expects inflation to fall next year."
    )
    article = offline_article({"id": "e", "text": text})
    assert "interest rates" in enricher.enrich(article).keywords


def test_noun_phrases_come_from_the_lexicon_and_end_at_a_noun_and_a_line(enricher):
    from newsflow.enrich.tags import noun_phrases

    assert enricher.nlp.pipe_names == ["ner"]  # the stage runs the entity recogniser alone
    doc = enricher.nlp("The central bank raised interest rates sharply.\nNew homes were cheaper")
    assert [p.text for p in noun_phrases(doc)] == ["central bank", "interest rates", "New homes"]


def test_a_name_after_common_nouns_is_a_phrase_of_its_own(enricher):
    from newsflow.enrich.tags import noun_phrases

    doc = enricher.nlp("The bride, Canadian pop star Michael Buble, smiled.")
    phrases = [p.text for p in noun_phrases(doc)]
    assert "Michael Buble" in phrases
    assert not [p for p in phrases if "star" in p and "Buble" in p]


def test_the_head_of_several_phrases_is_a_keyword_but_not_a_word_of_a_name(enricher):
    text = (
        "The famous actress married on Monday. The young actress wore a chiffon dress. "
        "A talented actress sent flowers. Film producer Daniel Craig came."
    )
    keywords = enricher.enrich(offline_article({"id": "h", "text": text})).keywords
    assert keywords[0] == "actress"  # each phrase once; their shared head three times
    assert "daniel" not in keywords and "craig" not in keywords


def test_the_model_multiplies_with_numpys_blas_on_one_thread(enricher):
    from threadpoolctl import threadpool_info

    # blis took half as long again for the same entities and tags; one thread, as enrich scales by
    # processes.
    assert enricher.nlp.get_pipe("ner").model.ops.use_blis is False
    assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {1}


def test_word_classes_come_from_the_lexicon_and_the_capitals(enricher):
    from newsflow.enrich.wordclass import word_classes

    doc = enricher.nlp("Police said interest rates rose sharply. Officials met Michael Buble in Toronto.")
    classes = dict(zip([t.text for t in doc], word_classes(doc), strict=True))
    # A capital opening a sentence is no name when the lexicon knows the word; inside one it is.
    assert classes["Police"] == "NOUN" and classes["Officials"] == "NOUN"
    assert classes["Buble"] == "PROPN" and classes["Toronto"] == "PROPN"
    # Verbs and adverbs end a phrase, and so does a past tense that is also a noun ("rose").
    assert classes["said"] is None and classes["sharply"] is None and classes["rose"] is None
    assert classes["rates"] == "NOUN" and classes["interest"] == "NOUN"


def test_a_line_break_starts_a_sentence_for_the_word_classes(enricher):
    from newsflow.enrich.wordclass import word_classes

    doc = enricher.nlp("Scorers: Haim Hajaj (47th)\nAttendance: 2,000.\n\nDeath is a natural thing, he said.")
    classes = dict(zip([t.text for t in doc], word_classes(doc), strict=True))
    # After a line break, as after a full stop, a capital is no name when the lexicon knows the word: the
    # model's one-word "people" Attendance and Death are dropped by it.
    assert classes["Attendance"] == "NOUN" and classes["Death"] == "NOUN"
    assert classes["Hajaj"] == "PROPN"


def test_a_long_phrase_met_once_is_no_keyphrase_in_another_language():
    from newsflow.enrich.tags import keywords_in

    keywords = keywords_in("fr", FRENCH, "Réforme des retraites : les syndicats appellent à la grève")
    assert keywords[0] == "réforme des retraites"  # three words, met four times
    assert "gouvernement a présenté" not in keywords  # a span of one sentence


def test_a_name_the_story_is_about_is_a_keyword_alone_as_in_full(enricher):
    text = (
        "Microsoft said on Monday that it would cut jobs. Microsoft shares fell in New York. The "
        "company blamed weak demand for Microsoft software."
    )
    doc = enricher.nlp(text)
    assert {e.text for e in doc.ents if e.label_ == "ORG"} == {"Microsoft"}  # a name, as the tags have it
    keywords = enricher.enrich(offline_article({"id": "n", "text": text})).keywords
    assert keywords[0] == "microsoft" and "new york" in keywords


def test_a_common_word_weighs_less_than_a_specific_one_used_as_often(enricher):
    text = (
        "The vaccine trial ran for a month. Each month the vaccine was given again. "
        "After a month the vaccine had worked."
    )
    keywords = enricher.enrich(offline_article({"id": "c", "text": text})).keywords
    assert keywords.index("vaccine") < keywords.index("month")  # both three times; "month" is everywhere


def test_the_forms_of_a_word_are_one_keyword_and_its_verbs_speak_for_it(enricher):
    text = (
        "Pollen allergies are rising. The allergy is worse in March, when allergies peak. "
        "At dawn the attack came. Rebels attacked the base, attacked the road and attacked the bridge. "
    )
    keywords = enricher.enrich(offline_article({"id": "f", "text": text})).keywords
    assert len({"allergy", "allergies"} & set(keywords)) == 1
    # "attack" and "dawn" are nouns once each; the verb's three uses put "attack" first, though it is
    # the commoner word.
    assert keywords.index("attack") < keywords.index("dawn")


def test_an_adjective_the_story_turns_on_is_a_keyword(enricher):
    text = "The truce is fragile. Diplomats said the truce was fragile and would stay fragile."
    assert "fragile" in enricher.enrich(offline_article({"id": "a", "text": text})).keywords


def test_a_longer_word_weighs_more_than_a_short_one_used_as_often(enricher):
    text = (
        "The pact was signed at noon and the ceasefire began. Critics said the pact was weak and the "
        "ceasefire fragile. Both the pact and the ceasefire were tested at night."
    )
    keywords = enricher.enrich(offline_article({"id": "l", "text": text})).keywords
    # Both three times and both rare; the short word came first in the text.
    assert keywords.index("ceasefire") < keywords.index("pact")


def test_a_verb_the_story_turns_on_is_a_keyword(enricher):
    text = (
        "Firefighters evacuated the village on Sunday. They evacuated the school and evacuated the "
        "hospital as smoke rose over the hills."
    )
    keywords = enricher.enrich(offline_article({"id": "v", "text": text})).keywords
    assert keywords[0] == "evacuated"  # no noun or adjective of it in the text
