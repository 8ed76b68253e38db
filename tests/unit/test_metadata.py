"""Page metadata from JSON-LD, meta tags and the page itself, on small pages built for each case."""

import json
from datetime import UTC, datetime

from newsflow.ingest.extract import extract_article

BODY = "".join(
    f"<p>Paragraph {i} of a reasonably long story about rivers and floods in the valley town.</p>"
    for i in range(10)
)


def page(head: str, body: str = BODY, lang: str = "en") -> str:
    return f"<html lang='{lang}'><head>{head}</head><body><article>{body}</article></body></html>"


def test_json_ld_graph_gives_the_article_metadata_with_dates_in_utc():
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Wrong Name"},
            {
                "@type": ["NewsArticle"],
                "headline": "Rivers rise in the valley",
                "author": [{"@type": "Person", "name": "Ana Souza"}, {"@type": "Person", "name": "Tom Berg"}],
                "datePublished": "2024-05-03T08:15:00-03:00",
                "dateModified": "2024-05-03T12:00:00+02:00",
                "publisher": {"@type": "Organization", "name": "The Example Courier"},
                "image": {"@type": "ImageObject", "url": "/img/floods.jpg"},
                "articleSection": ["Environment"],
                "keywords": "floods, rivers, Porto Alegre",
            },
        ],
    }
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script><title>Rivers | Courier</title>"
    a = extract_article(page(head), "https://courier.example.com/2024/rivers")
    assert a.title == "Rivers rise in the valley"
    assert a.authors == ["Ana Souza", "Tom Berg"]
    assert a.published_at == datetime(2024, 5, 3, 11, 15, tzinfo=UTC)
    assert a.modified_at == datetime(2024, 5, 3, 10, 0, tzinfo=UTC)
    assert a.site_name == "The Example Courier"
    assert a.image_url == "https://courier.example.com/img/floods.jpg"
    assert a.section == "Environment" and a.page_keywords == ["floods", "rivers", "Porto Alegre"]


def test_meta_tags_when_there_is_no_json_ld():
    head = """<meta property="og:title" content="Storm closes the port">
      <meta name="author" content="By Jane Doe and Max Mustermann">
      <meta property="article:published_time" content="2023-11-02T06:00:00Z">
      <meta property="og:site_name" content="Harbour News">
      <meta property="og:image" content="https://cdn.example.com/port.jpg">
      <meta property="article:section" content="Local">
      <meta name="news_keywords" content="storm; port">
      <meta name="description" content="The port shut at dawn.">
      <link rel="canonical" href="https://harbour.example.com/storm-port">"""
    a = extract_article(page(head, lang="en-GB"), "https://harbour.example.com/storm-port?utm_campaign=x")
    assert a.title == "Storm closes the port"
    assert a.authors == ["Jane Doe", "Max Mustermann"]
    assert a.published_at == datetime(2023, 11, 2, 6, 0, tzinfo=UTC)
    assert (a.site_name, a.section, a.description) == ("Harbour News", "Local", "The port shut at dawn.")
    assert a.page_keywords == ["storm", "port"] and a.image_url == "https://cdn.example.com/port.jpg"
    assert a.canonical_url == "https://harbour.example.com/storm-port" and a.language == "en"


def test_a_scripts_expiry_date_is_never_the_publication_date():
    head = """<title>Rivers rise</title>
      <script>var consent = {"expires": "2031-12-31T00:00:00Z", "cookieExpiry": "2031-12-31"};</script>
      <meta name="cookie-expires" content="2031-12-31">"""
    a = extract_article(page(head), "https://courier.example.com/rivers")
    assert a.published_at is None or a.published_at.year < 2031, a.published_at


def test_a_date_in_the_page_is_found_when_no_metadata_declares_one():
    body = "<p class='byline'>Published 14 March 2024</p>" + BODY
    a = extract_article(page("<title>Rivers rise</title>", body), "https://courier.example.com/rivers")
    assert a.published_at is not None and a.published_at.date() == datetime(2024, 3, 14).date()


def test_entities_in_json_ld_strings_are_decoded():
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "GOP&#8217;s deposition &amp; the &#x27;shocking increase&#x27;",
        "description": "A&nbsp;story&nbsp;&ndash; told twice",
        "author": {"@type": "Person", "name": "Zo&euml; Brand"},
    }
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    article = extract_article(page(head), "https://news.example.org/a")
    assert article.title == "GOP\u2019s deposition & the 'shocking increase'"
    assert article.description == "A story \u2013 told twice"
    assert article.authors == ["Zo\u00eb Brand"]


def test_times_in_multi_valued_itemprops_and_time_elements_are_kept():
    # As the NYT writes it: one meta with two itemprops and a property newsflow did not know.
    nyt = (
        '<meta property="article:published" itemprop="datePublished dateCreated" '
        'content="2019-11-19T11:00:09.000Z">'
    )
    assert extract_article(page(nyt), "https://news.example.org/a").published_at == datetime(
        2019, 11, 19, 11, 0, 9, tzinfo=UTC
    )
    # As the Telegraph writes it: a <time> element, with an offset without a colon.
    telegraph = '<time itemprop="datePublished" datetime="2024-03-02T20:48+0000">2 March 2024</time>'
    article = extract_article(page("", telegraph + BODY), "https://news.example.org/b")
    assert article.published_at == datetime(2024, 3, 2, 20, 48, tzinfo=UTC)


def test_a_byline_in_another_language_is_split_into_people():
    head = '<meta name="Author" content="Anna Martel und Lea Wagner">'
    assert extract_article(page(head), "https://news.example.org/c").authors == ["Anna Martel", "Lea Wagner"]
