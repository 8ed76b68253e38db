from newsflow.ingest.dedup import MAX_DISTANCE, distance, fingerprint
from tests.conftest import REPO

STORY = (REPO / "tests" / "fixtures" / "dw-mali-russia.txt").read_text()


def test_a_copy_with_small_edits_is_within_the_distance():
    copy = (
        "Published by a partner agency. "
        + STORY.replace("Timbuktu", "Tombouctou", 1)
        + "\nAll rights reserved."
    )
    assert distance(fingerprint(STORY), fingerprint(copy)) <= MAX_DISTANCE


def test_other_stories_are_far_apart():
    paragraphs = [p for p in STORY.split("\n") if len(p.split()) > 20]
    half = len(paragraphs) // 2
    a, b = " ".join(paragraphs[:half]), " ".join(paragraphs[half:])
    assert distance(fingerprint(a), fingerprint(b)) > 3 * MAX_DISTANCE


def test_fingerprint_is_stable_and_needs_enough_words():
    assert fingerprint(STORY) == fingerprint(STORY) and 0 <= fingerprint(STORY) < 2**64
    assert fingerprint("Too short to tell copies apart.") is None
