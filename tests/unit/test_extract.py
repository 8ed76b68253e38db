from datetime import UTC, datetime

import pytest

from newsflow.ingest.credits import agency_credits
from newsflow.ingest.dates import parse_stamp
from newsflow.ingest.extract import ExtractionError, extract_article

CHROME = [
    "Skip to content",
    "Skip to main menu",
    "Top Story",
    "More stories from DW",
    "We use cookies",
    "Kyiv",
    "Djokovic",
    "Legal notice",
    "Share on Facebook",
    "This browser does not support",
    "static.dw.com",
]


def test_dw_page_body_is_the_story_without_chrome(dw_html):
    a = extract_article(dw_html, "http://127.0.0.1:8000/dw-mali-russia.html")
    assert a.text.startswith("Hundreds of Russian military advisers have been deployed to Mali")
    # The photo's caption is kept beside the body, not in it (as the extraction benchmarks' truth does).
    assert any(c.startswith("A Malian resident in Bamako poses") for c in a.captions)
    assert "Bamako" not in a.text
    assert "stationed in the northern city of Timbuktu" in a.text
    assert a.text.rstrip().endswith("three military coups since 2012.")
    for chrome in CHROME:
        assert chrome not in a.text, chrome
    # The headline is the title, not the body's first line.
    assert not a.text.startswith("Russian military advisers arrive in Mali")


def test_dw_page_metadata(dw_html):
    a = extract_article(dw_html, "http://127.0.0.1:8000/dw-mali-russia.html?utm_source=x")
    assert a.title == "Russian military advisers arrive in Mali"
    assert a.published_at == datetime(2022, 1, 7, 17, 41, tzinfo=UTC)
    assert a.canonical_url == "https://www.dw.com/en/russian-military-advisers-arrive-in-mali/a-60356191"
    assert a.language == "en"
    assert a.site_name == "Deutsche Welle"
    assert a.image_url == "https://static.dw.com/image/60355976_6.jpg"
    assert a.section == "Africa"
    assert "Wagner Group" in a.page_keywords
    # The closing credit line ("wd/sms (AFP, Reuters, epd)"): its agencies, kept out of the body.
    assert a.credits == ["AFP", "Reuters", "epd"]
    assert "wd/sms" not in a.text
    assert a.id == extract_article(dw_html, "http://127.0.0.1:8000/dw-mali-russia.html").id
    assert '"published_at":"2022-01-07T17:41:00Z"' in a.model_dump_json()


def test_page_without_article_text_is_an_extraction_error():
    html = "<html><body><nav><a href='/'>Home</a></nav><p>Subscribe</p></body></html>"
    with pytest.raises(ExtractionError):
        extract_article(html, "https://example.com/")


def test_title_falls_back_from_html_title_without_site_suffix():
    body = "".join(
        f"<p>Paragraph {i} of a reasonably long story about rivers and floods in the valley.</p>"
        for i in range(8)
    )
    html = f"<html><head><title>Rivers rise | The Example Courier</title></head><body><article><h1>Rivers rise</h1>{body}</article></body></html>"
    a = extract_article(html, "https://courier.example.com/rivers")
    assert a.title == "Rivers rise"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2022-01-07T17:41:00Z", datetime(2022, 1, 7, 17, 41, tzinfo=UTC)),
        ("2022-01-07T18:41:00+01:00", datetime(2022, 1, 7, 17, 41, tzinfo=UTC)),
        ("Fri, 07 Jan 2022 17:41:00 GMT", datetime(2022, 1, 7, 17, 41, tzinfo=UTC)),
    ],
)
def test_dates_normalise_to_utc(value, expected):
    parsed = parse_stamp(value)
    assert parsed is not None and parsed.value.astimezone(UTC) == expected


def test_unparseable_date_is_none_not_a_guess():
    assert parse_stamp("sometime soon") is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Story.\n\nwd/sms (AFP, Reuters, epd)\n", ["AFP", "Reuters", "epd"]),
        ("Story.\nab/cd/ef (dpa and AP)\nRelated: more", ["dpa", "AP"]),
        ("Story.\nfb/rs (Agence France-Presse; KNA)", ["Agence France-Presse", "KNA"]),
        ("Story.\n(Updated)", []),  # no initials: any bracketed aside
        ("Story.\nwd (AFP)", []),  # one word before the bracket: not the writer/editor initials
        ("Story.\nwd/sms (see photo: Getty, 2021)", []),  # not a list of names
        ("wd/sms (AFP, Reuters)\n" + "A paragraph.\n" * 10, []),  # not near the end
    ],
)
def test_agency_credits(text, expected):
    assert agency_credits(text) == expected


def test_teasers_of_other_stories_and_the_authors_bio_stay_out_of_the_body():
    # As the LA Times places teasers inside its body, and WordPress author boxes close a post.
    story = [
        f"<p>Paragraph {i} of a reasonably long story about the rivers rising in the valley town.</p>"
        for i in range(8)
    ]
    promo = (
        "<div class='enhancement'><ps-promo class='promo promo-small'><div class='promo-content'>"
        "<p class='promo-title'>Want to help a friend after a breakup? Your first instinct is wrong</p>"
        "<p class='promo-description'>From self-care to creative play, activities that break the norm.</p>"
        "</div></ps-promo></div>"
    )
    bio = (
        "<div class='nnr-ab-author-bio'>Jane Doe is a news writer who covers rivers and floods for us. "
        "Follow Jane on social media and sign up for all of her stories by email.</div>"
    )
    html = (
        f"<html><body><article>{''.join(story[:4])}{promo}{''.join(story[4:])}{bio}</article></body></html>"
    )
    text = extract_article(html, "https://courier.example.com/rivers").text
    assert "Paragraph 7 of a reasonably long story" in text and "Paragraph 4" in text
    assert "breakup" not in text and "self-care" not in text
    assert "news writer" not in text


def _story(subject: str) -> list[str]:
    return [
        f"<p>Paragraph {i} of a reasonably long story about {subject}, told with enough words to be prose.</p>"
        for i in range(8)
    ]


def test_a_closing_block_of_other_stories_under_its_heading_stays_out_of_the_body():
    # As The Nation closes its story: a "More from" heading, then each teaser's headline and dek.
    teasers = "".join(
        f"<h3>{headline}</h3><p>{dek}</p>"
        for headline, dek in [
            ("Harbour Board Faces Another Deadline", "For the fourth time this year the board must agree."),
            ("Ferry Fares Rise Again in Spring", "Travellers will pay more from April, the operator says."),
        ]
    )
    more = f"<section><h2>More from Harbour Weekly</h2>{teasers}</section>"
    html = f"<html><body><article>{''.join(_story('the ferries'))}{more}</article></body></html>"
    text = extract_article(html, "https://weekly.example.com/ferries").text
    assert "Paragraph 7 of a reasonably long story" in text
    assert "More from" not in text and "Deadline" not in text and "Travellers" not in text


def test_a_live_blogs_updates_after_such_a_line_stay():
    # Under "Related" come more updates than teasers would make: they are the story.
    updates = "".join(_story("the flood, an update posted as the water rose"))
    html = (
        f"<html><body><article>{''.join(_story('the flood'))}<p>Related</p>{updates}</article></body></html>"
    )
    text = extract_article(html, "https://live.example.com/flood").text
    assert text.count("the water rose") == 8
