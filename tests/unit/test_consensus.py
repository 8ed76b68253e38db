from newsflow.ingest.consensus import agreement, choose_body

STORY = " ".join(f"Sentence {i} of the story tells what happened in the valley that day." for i in range(30))
CHROME = " ".join(f"Related link {i}: read more about other things on our site." for i in range(30))
_WORDS = (
    "river witnesses water bridge night mayor police rescue village boats rain road farm school "
    "market doctor army fields storm power"
).split()
# Twelve paragraphs of 40 words that share no four words in a row.
PARAGRAPHS = [" ".join(f"{_WORDS[(p * 7 + i * 3) % 20]}{p}x{i}" for i in range(40)) for p in range(12)]
LINKS = [f"Other story number {i} on our site" for i in range(20)]


def test_agreement_is_one_for_the_same_words_and_falls_with_what_differs():
    assert agreement(STORY, STORY) == 1.0
    assert agreement(STORY, "") == 0.0
    assert 0.6 < agreement(STORY, STORY + " " + CHROME) < 0.8  # precision about half, recall 1
    assert agreement(STORY, CHROME) < 0.05


def test_precision_text_wins_when_all_three_agree():
    assert choose_body(STORY, STORY, STORY) == (STORY, "trafilatura")


def test_readability_wins_when_it_and_the_default_mode_outvote_a_precision_text_that_lost_the_story():
    lost = "Subscribe to our newsletter for the best stories of the week, every Friday."
    body, which = choose_body(lost, STORY + " Share this.", STORY)
    assert (body, which) == (STORY, "readability")


def test_a_lone_dissenting_readability_does_not_win():
    body, which = choose_body(STORY, STORY[:800], CHROME)
    assert which == "trafilatura" and body == STORY


def test_a_precision_text_that_is_the_clean_part_of_the_others_is_kept():
    # Default mode and readability agree, but only because both kept the same chrome around the story.
    noisy = STORY + " " + CHROME
    assert choose_body(STORY, noisy, noisy) == (STORY, "trafilatura")


def test_a_story_cut_short_by_trafilatura_is_taken_whole_from_readability():
    half, whole = "\n".join(PARAGRAPHS[:4]), "\n".join(PARAGRAPHS)
    body, which = choose_body(half, half, whole)
    assert body == whole and which == "readability (trafilatura cut short)"


def test_a_longer_readability_text_made_of_links_is_not_the_rest_of_the_story():
    half = "\n".join(PARAGRAPHS[:4])
    body, which = choose_body(half, half, half + "\n" + "\n".join(LINKS))
    assert body == half and which == "trafilatura"


def test_closing_lines_readability_did_not_keep_are_trimmed():
    story = "\n".join(PARAGRAPHS)
    with_tail = story + "\nLike this story? Share it with a friend!\nTags\nvalley, river, witnesses"
    assert choose_body(with_tail, with_tail, story) == (story, "trafilatura (tail trimmed)")
    # A closing line readability kept too (a credit line) is the article's.
    credited = story + "\nEditing by Jane Doe"
    assert choose_body(credited, credited, credited) == (credited, "trafilatura")
