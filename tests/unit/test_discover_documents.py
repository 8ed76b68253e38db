"""What a source's body lists (newsflow.discover.documents), on the feed and sitemap files the repository
holds: every format, and each bad input with its reason."""

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsflow.discover.documents import MAX_BYTES, MAX_URLS, NotASource, parse

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
NOW = datetime(2026, 12, 2, tzinfo=UTC)


def listing(name: str):
    return parse((FEEDS / name).read_bytes(), f"http://news.example/{name}", NOW)


@pytest.mark.parametrize(
    ("name", "kind", "urls"),
    [
        ("rss2.xml", "rss", ["story/101", "story/102?utm_source=rss&utm_medium=feed", "story/103"]),
        ("atom.xml", "atom", ["story/201", "story/202"]),  # the relative link resolved, replies skipped
        ("rdf.xml", "rdf", ["story/301", "story/302"]),
        ("news-sitemap.xml", "sitemap", ["story/401", "story/402"]),
        ("sitemap-1.xml.gz", "sitemap", ["story/501", "story/502"]),
    ],
)
def test_each_format_lists_its_article_urls(name, kind, urls):
    found = listing(name)
    assert found.kind == kind
    assert [i.url for i in found.items] == [f"http://news.example/{u}" for u in urls]
    assert not found.problems


def test_titles_and_dates_are_read_with_their_offsets():
    rss = listing("rss2.xml").items
    assert rss[0].title == "Talks in Bamako resume after a week"
    assert rss[1].published == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)  # +0100 taken into account
    news = listing("news-sitemap.xml").items
    assert news[0].title == "Officials in Hanoi announce a new metro line"
    assert news[0].published == datetime(2026, 12, 1, 6, 30, tzinfo=UTC)  # news:publication_date


def test_a_sitemap_index_lists_its_children_with_their_dates():
    found = listing("sitemap-index.xml")
    assert found.kind == "sitemapindex" and not found.items
    assert [c.url for c in found.sitemaps] == [
        "http://news.example/sitemap-1.xml.gz",
        "http://news.example/sitemap-2.xml.gz",
    ]
    assert found.sitemaps[0].published == datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_a_truncated_feed_keeps_what_came_before_the_cut():
    found = listing("truncated.xml")
    assert [i.url for i in found.items] == ["http://news.example/story/101"]
    assert found.problems and "malformed" in found.problems[0]


def test_html_served_as_a_feed_is_refused_with_the_reason():
    with pytest.raises(NotASource, match="HTML page"):
        listing("html-as-feed.xml")


def test_a_sitemap_in_the_wrong_encoding_is_read_as_windows_1252():
    found = listing("latin1-sitemap.xml")
    assert found.items[0].title == "Café owners in Marseille protest"
    assert "windows-1252" in found.problems[0]


def test_a_date_in_the_future_is_ignored_and_said():
    found = listing("future.xml")
    assert found.items[0].published is None
    assert found.problems == ["1 dated in the future: those dates ignored"]


def test_bad_bodies_each_get_a_reason():
    for body, reason in [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\x1f\x8bnot really gzip", "broken gzip"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "<svg>"),
        (b"%PDF-1.4 binary", "not XML"),
        (b"<urlset><url><loc>http://x.example/a</loc></url><url><loc>", "malformed XML"),
    ]:
        try:
            found = parse(body, "http://news.example/x", NOW)
        except NotASource as exc:
            assert reason in str(exc), (body, exc)
        else:
            assert found.problems and reason in found.problems[0], (body, found)


def test_no_external_entity_is_resolved():
    body = (
        b'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://x.example/&xxe;</loc>'
        b"</url></urlset>"
    )
    found = parse(body, "http://news.example/x", NOW)
    assert all("root:" not in i.url for i in found.items)


def test_a_huge_sitemap_stops_at_the_protocols_limits():
    row = b"<url><loc>http://news.example/story/%d</loc></url>\n"
    urls = b"".join(row % i for i in range(MAX_URLS + 10))
    body = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + urls + b"</urlset>"
    found = parse(body, "http://news.example/big.xml", NOW)
    assert len(found.items) == MAX_URLS
    assert f"more than {MAX_URLS}" in found.problems[0]
    # Larger than 50 MB once decompressed: refused before it is held in memory whole.
    bomb = gzip.compress(b"<urlset>" + b" " * (MAX_BYTES + 1))
    assert len(bomb) < 100_000
    with pytest.raises(NotASource, match="too large"):
        parse(bomb, "http://news.example/bomb.xml.gz", NOW)
