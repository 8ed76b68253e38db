"""Publication times as pages declare them (newsflow.ingest.dates), and through extract_article."""

import json
from datetime import UTC, datetime

import pytest

from newsflow.ingest.dates import parse_stamp, publication_time
from newsflow.ingest.extract import extract_article
from newsflow.ingest.headline_dates import day_by_headline
from newsflow.ingest.titles import days_in_title

BODY = "".join(
    f"<p>Paragraph {i} of a long enough story about the harbour and its ferries.</p>" for i in range(10)
)


def page(head: str, body: str = "") -> str:
    return f"<html lang='en'><head>{head}</head><body><article>{body}{BODY}</article></body></html>"


def test_a_utc_time_keeps_the_local_offset_the_page_writes_beside_it():
    # As WHDH writes it: UTC in the meta tag, the newsroom's time in <time datetime>; the day is local.
    published = publication_time(
        ["2023-11-09T02:11:03+00:00"], ["2023-11-08T21:11:03-05:00"], "https://tv.example.com/a"
    )
    assert published is not None and published.time_known
    assert published.utc == datetime(2023, 11, 9, 2, 11, 3, tzinfo=UTC)
    assert published.local == "2023-11-08T21:11:03-05:00"


def test_a_naive_local_time_beside_the_utc_one_gives_the_offset():
    # As the Mercury News writes it: <time datetime="2023-11-08 17:49:09"> is 01:49:09Z less 8 hours.
    published = publication_time(
        ["2023-11-09T01:49:09+00:00"], ["2023-11-08 17:49:09"], "https://x.example.com/"
    )
    assert published is not None and published.local == "2023-11-08T17:49:09-08:00"


def test_a_naive_time_takes_the_offset_of_the_same_wall_clock_time_elsewhere_on_the_page():
    # n-tv: JSON-LD "2023-04-28 18:11:01.0", <meta name="date" content="2023-04-28T18:11:01+02:00">.
    published = publication_time(
        ["2023-04-28 18:11:01.0", "2023-04-28T18:11:01+02:00"], [], "https://n.example.com"
    )
    assert published is not None and published.utc == datetime(2023, 4, 28, 16, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "url,expected_utc_hour",
    [
        ("https://www.motor.example.at/e-roller", 4),  # Vienna in November: UTC+1
        ("https://news.example.de/x", 4),  # Berlin, likewise
        ("https://news.example.com/x", 5),  # no country: taken as UTC
        ("https://news.example.us/x", 5),  # a country of several offsets: taken as UTC
    ],
)
def test_a_naive_time_alone_is_in_the_sites_country_when_all_its_zones_agree(url, expected_utc_hour):
    published = publication_time(["2021-11-01T05:00:14"], [], url)
    assert published is not None and published.utc.hour == expected_utc_hour


def test_a_zone_name_is_understood():
    stamp = parse_stamp("Fri Apr 28 19:20:36 CEST 2023")  # FAZ's JSON-LD
    assert stamp is not None and stamp.value.astimezone(UTC) == datetime(2023, 4, 28, 17, 20, 36, tzinfo=UTC)


def test_a_utc_time_on_a_country_site_is_dated_by_that_countrys_day():
    published = publication_time(["2023-11-01T23:01:00Z"], [], "https://www.example.it/news")
    assert published is not None and published.local.startswith("2023-11-02T00:01:00+01:00")


def test_a_day_stays_a_day_unless_a_time_of_that_day_is_declared():
    alone = publication_time(["2022-01-20"], [], "https://example.com")
    assert alone is not None and not alone.time_known and alone.local == "2022-01-20"
    refined = publication_time(["2023-10-26", "2023-10-26T13:01:00+02:00"], [], "https://example.com")
    assert refined is not None and refined.time_known and refined.utc.hour == 11
    other_day = publication_time(["2023-10-26", "2023-10-20T13:01:00+02:00"], [], "https://example.com")
    assert other_day is not None and not other_day.time_known


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "1970-01-01", "2999-01-01", "sometime soon", ""])
def test_placeholders_and_nonsense_are_no_date(value):
    assert parse_stamp(value) is None


def test_the_article_keeps_the_day_and_says_the_time_is_unknown():
    head = '<meta property="article:published_time" content="2024-02-10">'
    article = extract_article(page(head), "https://news.example.org/a")
    assert article.published_local == "2024-02-10" and article.published_time_known is False
    assert article.published_at == datetime(2024, 2, 10, tzinfo=UTC)


def test_a_placeholder_in_json_ld_gives_way_to_the_real_date():
    ld = {"@type": "NewsArticle", "headline": "Ferries", "datePublished": "0001-01-01T00:00:00Z"}
    head = (
        f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
        '<meta property="article:published_time" content="2024-02-10T09:30:00+01:00">'
    )
    article = extract_article(page(head), "https://news.example.org/b")
    assert article.published_at == datetime(2024, 2, 10, 8, 30, tzinfo=UTC)
    assert article.published_local == "2024-02-10T09:30:00+01:00" and article.published_time_known


def test_json_ld_types_written_as_urls_and_a_marked_time_element_are_read():
    ld = {"@type": "https://schema.org/NewsArticle", "headline": "Ferries", "author": {"name": "Ana Lima"}}
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    body = '<time class="entry-date published" datetime="2023-10-26T13:01:00+02:00">26.10.2023</time>'
    article = extract_article(page(head, body), "https://news.example.org/c")
    assert article.authors == ["Ana Lima"]
    assert article.published_at == datetime(2023, 10, 26, 11, 1, tzinfo=UTC)


def test_declared_instants_that_disagree_are_settled_by_the_day_the_page_shows():
    # Focus: JSON-LD keeps the story's first date, article:published_time the republication's.
    declared = ["2020-01-10T16:50:00+00:00", "2023-01-01T14:11:58+01:00"]
    settled = publication_time(declared, [], "https://www.example.de/a", day_hint="2023-01-01")
    assert settled is not None and settled.utc == datetime(2023, 1, 1, 13, 11, 58, tzinfo=UTC)
    unsettled = publication_time(declared, [], "https://www.example.de/a")
    assert unsettled is not None and unsettled.utc.year == 2020
    # A naive local time beside its UTC instant is no disagreement: the hint does not pick it.
    same = publication_time(
        ["2019-11-19T04:58:46Z", "2019-11-18 20:58:46"], [], "https://example.com/a", day_hint="2019-11-18"
    )
    assert same is not None and same.local == "2019-11-18T20:58:46-08:00"


def test_the_day_another_reading_gives_is_used_only_when_nothing_is_declared():
    assert publication_time([], [], "https://example.com", fallback=["2020-05-01"]).local == "2020-05-01"
    declared = publication_time(["2020-05-03T10:00:00Z"], [], "https://example.com", fallback=["2020-05-01"])
    assert declared is not None and declared.local.startswith("2020-05-03")


def test_the_day_in_the_pages_own_title_outranks_a_day_found_in_its_text():
    # As DW writes it: no date in the metadata, the day as a part of og:title and <title>; the text
    # shows the day of a related story first.
    head = (
        '<meta property="og:title" content="Ferries Are Late | Harbour News | 28.04.2023">'
        "<title>Ferries Are Late | Europe | Harbour News | 28.04.2023</title>"
    )
    related = '<aside><h2>Ferries again <span class="date">24.04.2023</span></h2></aside>'
    article = extract_article(page(head, related), "https://news.example.de/a")
    assert article.published_local == "2023-04-28"
    # Read as the text's days are: in words too, and only a part that is a whole day.
    assert days_in_title("Ferries Are Late | 3. Dezember 2011", "30.11. | Buch der Woche") == ["2011-12-03"]
    assert days_in_title("Ferries Are Late | Harbour News 28.04.2023", "Fähren | 31.02.2023") == []


def test_the_pages_only_time_element_outranks_a_day_found_in_its_text():
    body = '<p>Erschienen am 21.01.2022</p><time datetime="2022-01-25T08:00:00+01:00">25. Januar 2022</time>'
    article = extract_article(page("", body), "https://news.example.de/b")
    assert article.published_local == "2022-01-25T08:00:00+01:00"
    # Not one written day first, which reads as January or November by the country.
    ambiguous = '<time datetime="01-11-2023 10:29">1. November 2023</time>'
    other = extract_article(page("", ambiguous), "https://news.example.de/c")
    assert not (other.published_local or "").startswith("2023-01-11")


def test_a_publication_time_in_an_analytics_script_gives_the_pages_offset():
    # La Prensa (Florida): the meta tag in UTC, the newsroom's wall clock in a script variable.
    head = (
        '<meta property="article:published_time" content="2020-02-18T02:18:11Z">'
        '<script>var publication_date = "2020-02-17 21:18:11"; var author = "x";</script>'
    )
    article = extract_article(page(head), "https://news.example.com/2020/02/17/a")
    assert article.published_local == "2020-02-17T21:18:11-05:00"
    assert article.published_at == datetime(2020, 2, 18, 2, 18, 11, tzinfo=UTC)


def test_a_page_without_declared_dates_is_dated_by_htmldate_reading_the_whole_page():
    # A gallery: no body trafilatura keeps, no date in the metadata; the day is in the URL and the text.
    html = "<html><head><title>Pictures</title></head><body><p>Updated 12 July 2020</p></body></html>"
    article = extract_article(html, "https://blog.example.org/2020/07/12/pictures.html", min_text_chars=0)
    assert article.published_local == "2020-07-12" and article.published_time_known is False


def test_a_microdata_publication_time_on_any_element_is_declared():
    # Handwerksblatt: itemprop and content on a <p> that shows only the month.
    body = (
        '<p class="date" data-content="x" itemprop="datePublished" content="2022-01-14 10:31:00">'
        "Januar 2022</p>"
    )
    related = "<aside><p>Mehr: 21.01.2022</p></aside>"
    article = extract_article(page("", body + related), "https://news.example.de/m")
    assert article.published_local == "2022-01-14T10:31:00+01:00"


def headline_page(above: str, below: str, sidebar: str = "") -> str:
    return (
        "<html><head><title>Pendler sparen | Nachrichten</title></head><body>"
        f"<header>{above}<h1>Pendler sparen</h1>{below}</header><article>{BODY}</article>"
        f"<aside>{sidebar}</aside></body></html>"
    )


def day_by_headline_of(html: str) -> str | None:
    return day_by_headline(html, "Pendler sparen")


def test_the_day_shown_beside_the_headline_outranks_a_day_found_elsewhere_in_the_text():
    # Below the headline in an element of its own; a list of other stories further down repeats a later
    # day, which htmldate, reading the whole page, takes.
    sidebar = "".join(f"<p><small>30.01.2023 · Andere Meldung {i}</small></p>" for i in range(6))
    html = headline_page("", "<div>20.12.2022</div>", sidebar)
    assert day_by_headline_of(html) == "2022-12-20"
    assert extract_article(html, "https://news.example.de/h").published_local == "2022-12-20"
    # Just above it, with its time; and in words, in the line of links after it; the time comes along.
    assert day_by_headline_of(headline_page("<p>02.02.2022 10:16 Uhr</p>", "")) == "2022-02-02T10:16"
    below = '<ul><li><a href="/time/2020-10-13">13 Oct 2020 18:29</a></li></ul>'
    assert day_by_headline_of(headline_page("", below)) == "2020-10-13T18:29"
    assert day_by_headline_of(headline_page("", "<p>November 8, 2023 9:15 pm</p>")) == "2023-11-08T21:15"
    # A time in a run of its own is not that day's.
    assert day_by_headline_of(headline_page("", "<p>29.04.2020</p><p>12:01</p>")) == "2020-04-29"


def test_the_time_a_story_went_online_outranks_a_declared_print_day():
    # neues-deutschland.de: <meta name="date"> holds the print edition's day, the page shows when the
    # story went online, the day before.
    shown = (
        '<ul class="Infoline"><li>Von Moritz Wichmann</li><li><time>29.04.2020, 12:01 Uhr</time></li></ul>'
    )
    html = headline_page("", shown).replace("<head>", '<head><meta name="date" content="2020-04-30">')
    article = extract_article(html, "https://www.news.example.de/artikel/1.html")
    assert article.published_local == "2020-04-29T12:01:00+02:00"  # Berlin time: the site is German
    assert article.published_at == datetime(2020, 4, 29, 10, 1, tzinfo=UTC)
    # A shown bare day is often the day of the last edit: the declared day stands.
    edited = html.replace("29.04.2020, 12:01 Uhr", "01.05.2020")
    assert (
        extract_article(edited, "https://www.news.example.de/artikel/1.html").published_local == "2020-04-30"
    )
    # A declared time stands too.
    timed = html.replace('content="2020-04-30"', 'content="2020-04-30T06:00:00+02:00"')
    assert extract_article(timed, "https://www.news.example.de/artikel/1.html").published_local.startswith(
        "2020-04-30T06:00"
    )
    # With no offset anywhere and a site of no one country, a shown time is not made an instant.
    undeclared = headline_page("", shown)
    assert extract_article(undeclared, "https://news.example.com/1").published_local == "2020-04-29"


def test_a_day_outside_the_month_of_the_pages_address_is_not_its_day():
    # pbrunst.de: htmldate, asked for the original date, takes the oldest it finds: a link in the body to
    # an older story. The page's address files it under December 2011, and its footer says the day.
    link = '<p>Reale <a href="https://blog.example.de/news/2010/06/hoelle/">Belästigungen</a> drohen.</p>'
    footer = "<p><small>Dieser Beitrag wurde vor  am Samstag, 3. Dezember 2011 um %H:%M Uhr veröffentlicht</small></p>"
    html = f"<html><head><title>Kein Cyberterrorismus</title></head><body><article>{link}{BODY}{footer}</article></body></html>"
    url = "https://blog.example.de/news/2011/12/kein-cyberterrorismus/"
    assert extract_article(html, url).published_local == "2011-12-03"
    # Without a day of that month on the page: no date rather than the link's.
    assert extract_article(html.replace(footer, ""), url).published_at is None


def test_a_day_inside_a_sentence_by_the_headline_is_no_dateline():
    # A photo caption under the headline: a sentence that mentions a day, not the story's.
    caption = (
        '<div class="caption">Macron speaks during a ceremony near Orleans, France, January 16, 2020. '
        "Julien De Rosa/Pool via Reuters</div><p>January 18, 2020</p>"
    )
    assert day_by_headline_of(headline_page("", caption)) == "2020-01-18"
    assert day_by_headline_of(headline_page("", caption.split("<p>")[0])) is None


def test_htmldate_s_first_of_january_from_a_copyright_line_is_no_date():
    # No date anywhere but the footer's copyright year, which htmldate turns into 1 January.
    html = (
        "<html><head><title>Preis ausgeschrieben</title></head><body><article>"
        f"{BODY}</article><footer><p>Copyright © 2022 DLG e.V.</p></footer></body></html>"
    )
    article = extract_article(html, "https://www.example.org/presse/aktuell")
    assert article.published_at is None
    # A page that does write the first of January keeps it.
    written = html.replace("<article>", "<article><p>Frankfurt, 1. Januar 2022</p>")
    assert extract_article(written, "https://www.example.org/presse/aktuell").published_local == "2022-01-01"
