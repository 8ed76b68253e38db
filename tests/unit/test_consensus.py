from newsflow.ingest.consensus import agreement, choose_body

STORY = " ".join(f"Sentence {i} of the story tells what happened in the valley that day." for i in range(30))
CHROME = " ".join(f"Related link {i}: read more about other things on our site." for i in range(30))


def test_agreement_is_one_for_the_same_words_and_falls_with_what_differs():
    assert agreement(STORY, STORY) == 1.0
    assert agreement(STORY, "") == 0.0
    assert 0.6 < agreement(STORY, STORY + " " + CHROME) < 0.8  # precision about half, recall 1
    assert agreement(STORY, CHROME) < 0.05


def test_precision_text_wins_when_the_trafilatura_modes_agree_and_readability_is_not_run():
    called = []
    body, which = choose_body(STORY, STORY, lambda: called.append(1) or CHROME)
    assert (body, which) == (STORY, "trafilatura") and not called


def test_readability_wins_when_it_and_the_default_mode_outvote_a_precision_text_that_lost_the_story():
    lost = STORY[:120]
    body, which = choose_body(lost, STORY + " Share this.", lambda: STORY)
    assert (body, which) == (STORY, "readability")


def test_a_lone_dissenting_readability_does_not_win():
    body, which = choose_body(STORY, STORY[:800], lambda: CHROME)
    assert which == "trafilatura" and body == STORY
