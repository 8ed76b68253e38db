"""The entity recogniser reads the words that may be names, with their context, not the whole text."""

from __future__ import annotations

from newsflow.enrich.nlp import CONTEXT, _window_docs, name_windows, recognise

STORY = (
    "Officials in Bamako said on Tuesday that the Wagner Group had sent more fighters north. "
    "the rains came late this year and the river rose slowly over the fields, so the harvest was poor "
    "and many families left their villages for the towns, where work was scarce and prices were high. "
    "A spokesman for the Kremlin, Dmitry Peskov, told AFP that Russia had no troops in Mali. "
    "farmers said they had seen trucks on the road at night, but nobody would say where they went. "
    "The United Nations mission in Timbuktu is to leave by December, said Maria Lopez of Reuters."
)
KEPT = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"}


def test_windows_hold_the_capitalised_words_and_their_context(enricher):
    doc = enricher.nlp.make_doc(
        "the rain fell all day and the river rose over the fields while Maria Lopez watched from the "
        "hill above the farm until it was dark"
    )
    first = [t.text for t in doc].index("Maria")
    assert name_windows(doc) == [(first - CONTEXT, first + 1 + CONTEXT + 1)]
    # A capitalised stop word opening a sentence is no name of its own.
    assert name_windows(enricher.nlp.make_doc("The rain fell all day. It was dark.")) == []
    # Capitals anywhere in a word count: "iPhone", "US".
    assert len(name_windows(enricher.nlp.make_doc("we bought an iPhone and flew to the US"))) == 1


def test_the_windows_find_what_the_whole_text_gives(enricher):
    whole = [(e.start_char, e.end_char, e.label_) for e in enricher.nlp(STORY).ents if e.label_ in KEPT]
    doc = recognise(enricher.nlp, STORY)
    read = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in KEPT]
    assert read == whole
    names = {STORY[a:b] for a, b, _ in read}
    assert {"Bamako", "Kremlin", "Dmitry Peskov", "AFP", "Mali", "Maria Lopez", "Reuters"} <= names
    # ...and reads less than the whole text: the lower-case sentences stay out.
    assert sum(b - a for a, b in name_windows(doc)) < 0.8 * len(doc)
    assert len(doc) == len(enricher.nlp.make_doc(STORY))  # entities on the text's own tokens


def test_a_window_keeps_the_norms_the_tokenizer_gives(enricher):
    doc = enricher.nlp.make_doc("I’m sure Maria Lopez can’t come, and we don’t know why")
    windows = name_windows(doc)
    (part,) = list(_window_docs(enricher.nlp, doc, windows))
    (start, end) = windows[0]
    assert [t.norm_ for t in part] == [t.norm_ for t in doc[start:end]]
    assert "not" in [t.norm_ for t in part]  # "n’t": an exception's norm, not the word's own
