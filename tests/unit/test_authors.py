"""Authors as people (newsflow.ingest.authors), on the fields and bylines publishers write."""

import json

import pytest

from newsflow.ingest.authors import byline_authors, clean_authors, looks_like_person, split_byline
from newsflow.ingest.extract import extract_article

BODY = "".join(
    f"<p>Paragraph {i} of a long enough story about the harbour and its ferries.</p>" for i in range(10)
)


def page(head: str, body: str = "", after: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}<article>{BODY}</article>{after}</body></html>"


@pytest.mark.parametrize(
    "values,site,url,expected",
    [
        # the publisher as author, with its domain in brackets
        (["Deutsche Welle (www.dw.com)"], "Deutsche Welle", "https://www.dw.com/de/a", []),
        (["STERN.de"], None, "https://www.stern.de/a", []),
        (["Lesotho Times"], "Lesotho Times", "https://lestimes.com/a", []),
        (["Deutsches Rotes Kreuz"], None, "https://www.drk.de/a", []),  # initials are the domain
        (["Mdr De"], None, "https://www.mdr.de/a", []),
        (["Admin"], None, "https://blog.example.com/a", []),
        (["Redaktion"], None, "https://news.example.de/a", []),
        (["Besserwisser eG"], None, "https://example.org/a", []),
        (["NDR"], None, "https://www.ndr.de/a", []),
        (["Ilanga D"], "Ilanga News", "https://ilanganews.example.za/a", []),  # the site's account
        # people, from the way bylines are written
        (
            ["By Jane Doe and Max Mustermann"],
            None,
            "https://news.example.com/a",
            ["Jane Doe", "Max Mustermann"],
        ),
        (["Rocío Latorre y José Wilson"], None, "https://example.cl/a", ["Rocío Latorre", "José Wilson"]),
        (["Unocero - Alberto Ávila"], "unocero", "https://www.unocero.com/a", ["Alberto Ávila"]),
        (["christian.stadtfeld"], None, "https://osthessen.example.de/a", ["Christian Stadtfeld"]),
        (["Le Figaro et AFP"], "Le Figaro", "https://www.lefigaro.fr/a", ["AFP"]),
        # after the publication, where the reporter was
        (
            ["By Nadia Orlov, Harbour News, New York"],
            "Harbour News",
            "https://example.com/a",
            ["Nadia Orlov"],
        ),
        # a town beside the name, set off by a dash; an agency stays
        (["Hossam Abu Elela - Cairo"], None, "https://example.com/a", ["Hossam Abu Elela"]),
        (["AFP - Lior Casto"], None, "https://example.com/a", ["AFP", "Lior Casto"]),
        # a personal site is named after its author: that is no publisher
        (["Wolfgang Schmale"], "Wolfgang Schmale", "https://wolfgangschmale.eu/a", ["Wolfgang Schmale"]),
        (["Jane Doe", "jane doe", "Jane A. Doe"], None, "https://example.com/a", ["Jane A. Doe"]),
        # an interview credits both sides
        (
            ["Richard David Precht im Gespräch mit Karin Fischer"],
            "Deutschlandfunk",
            "https://www.deutschlandfunk.de/a",
            ["Richard David Precht", "Karin Fischer"],
        ),
    ],
)
def test_clean_authors(values, site, url, expected):
    assert clean_authors(values, [site], url) == expected


def test_catalogue_tags_hold_last_name_first():
    names = ["You, Xiaoying", "Lenharo, Mariana"]
    assert clean_authors(names, [], "https://www.nature.com/a", one_name_each=True) == [
        "Xiaoying You",
        "Mariana Lenharo",
    ]


@pytest.mark.parametrize(
    "name,ok",
    [("J.R. Stone", True), ("Ludwig van Beethoven", True), ("the weather today", False), ("Team 42", False)],
)
def test_looks_like_person(name, ok):
    assert looks_like_person(name) is ok


def test_a_byline_marked_as_such_is_read_with_its_pieces_apart():
    # As ABC7 writes it: "By" and the name in separate elements, the date after them.
    body = (
        '<div data-testid="prism-byline"><span>By</span><span><a href="/team/jr">J.R. Stone</a></span>'
        "<span>Thursday, November 9, 2023 7:32AM</span></div>"
    )
    assert byline_authors(page("", body), [], "https://abc7.example.com/a") == ["J.R. Stone"]


def test_a_short_by_line_is_a_byline_but_a_comment_author_is_not():
    after = '<div class="comments"><div class="comment-author">Kaffee Trinker</div></div>'
    assert byline_authors(page("", "", after), [], "https://example.com/a") == []
    body = "<h1>Ferries</h1><p>Von <em>Klaus Stanjek</em></p>"
    assert byline_authors(page("", body, after), [], "https://example.com/a") == ["Klaus Stanjek"]


def test_an_organisation_as_json_ld_author_gives_way_to_the_printed_byline():
    ld = {
        "@type": "NewsArticle",
        "headline": "Ferries",
        "author": {"@type": "Organization", "name": "STERN.de"},
    }
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    body = '<ul><li class="authors__list-item"><span>von</span> <span>Jemima Kelly</span></li></ul>'
    assert extract_article(page(head, body), "https://www.stern.de/a").authors == ["Jemima Kelly"]


def test_json_ld_authors_by_reference_and_articles_inside_a_web_page_are_read():
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "WebPage",
                "mainEntity": {"@type": "NewsArticle", "headline": "Ferries", "author": [{"@id": "#p1"}]},
            },
            {"@type": "Person", "@id": "#p1", "name": "Mathatisi Sebusi"},
        ],
    }
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    assert extract_article(page(head), "https://news.example.org/a").authors == ["Mathatisi Sebusi"]


def test_authors_of_cited_works_are_not_the_articles():
    head = '<meta name="citation_author" content="Marwan H. Adwan">'
    body = '<div itemscope itemtype="http://schema.org/ScholarlyArticle"><meta itemprop="author" content="NH. Shear, SP. Spielberg"></div>'
    assert extract_article(page(head, body), "https://journal.example.com/a").authors == ["Marwan H. Adwan"]


def test_a_byline_ends_at_its_line_break_and_page_classes_do_not_hide_it():
    # WordPress themes name the body "… sidebar"; the dateline follows the names after a <br>.
    html = (
        "<html><body class='single content-featured-sidebar'><article><div class='entry-content'>"
        "<p>Von <strong><a href='/rb'>Roland Brockmann</a></strong> und <strong>Sebastian Drescher</strong>"
        "<br>Kakuma, Kenia</p>" + BODY + "</div></article></body></html>"
    )
    assert byline_authors(html, [], "https://www.example.de/a") == ["Roland Brockmann", "Sebastian Drescher"]


@pytest.mark.parametrize("value", ["Artikel von", "Aktuelles Bildrechte", "Foto Agentur"])
def test_labels_and_credits_are_not_people(value):
    assert clean_authors([value], [], "https://example.de/a") == []


def test_a_reading_time_after_the_names_is_cut():
    names = clean_authors(["Isabel Caro y José Miguel Wilson Tiempo de lectura: 5 min"], [], "https://e.cl/a")
    assert names == ["Isabel Caro", "José Miguel Wilson"]


def test_a_gender_inclusive_role_word_is_no_part_of_the_name():
    # NDR: <span itemprop="author">Autor/in: Korinna Hennig</span> gave "In Korinna Hennig".
    for byline in ("Autor/in: Korinna Hennig", "Autor:in: Korinna Hennig", "Autor*in: Korinna Hennig"):
        assert split_byline(byline) == ["Korinna Hennig"]


def test_yoasts_written_by_label_names_the_author_where_nothing_else_does():
    # frolleinherr.com: no author meta, no JSON-LD author, no byline; Yoast's sharing labels say who wrote it.
    head = (
        '<meta name="twitter:label1" content="Verfasst von"><meta name="twitter:data1" content="Karoline Herr">'
        '<meta name="twitter:label2" content="Geschätzte Lesezeit"><meta name="twitter:data2" content="9 Minuten">'
    )
    assert extract_article(page(head), "https://blog.example.com/lost").authors == ["Karoline Herr"]
    # Only the author's label counts, and the site or a role word is no author there either.
    reading_time = '<meta name="twitter:label1" content="Est. reading time"><meta name="twitter:data1" content="9 minutes">'
    assert extract_article(page(reading_time), "https://blog.example.com/lost").authors == []
    desk = '<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Redaktion">'
    assert extract_article(page(desk), "https://blog.example.com/lost").authors == []


def test_a_by_among_the_storys_details_is_its_byline():
    # chocolate.com: "| By" for screen readers, then the name, then the date, on one line of details.
    details = (
        '<h1>Pregnant panhandler</h1><div class="article_meta_info"><span>yas!</span>'
        '<span class="screen-reader-text">| By </span><span>Cara Stiles</span> | '
        '<time class="entry-date">April 13, 2020</time></div>'
    )
    assert byline_authors(page("", details), [], "https://www.example.com/a") == ["Cara Stiles"]
    # A long block holding such a line somewhere is no byline of its own.
    long_block = f"<div>{'Other news of the day and more. ' * 5} | By Ann Other | {'More. ' * 5}</div>"
    assert byline_authors(page("", long_block), [], "https://www.example.com/a") == []


def _json_ld_author(name: str) -> str:
    ld = {"@type": "NewsArticle", "headline": "Ferries", "author": {"@type": "Person", "name": name}}
    return f"<script type='application/ld+json'>{json.dumps(ld)}</script>"


def test_a_later_source_that_names_the_same_people_and_more_is_taken():
    url = "https://news.example.org/a"
    # The JSON-LD names one author, the author tag both.
    head = _json_ld_author("Ana Velk") + '<meta property="author" content="Ana Velk,Tomas Brenn">'
    assert extract_article(page(head), url).authors == ["Ana Velk", "Tomas Brenn"]
    # The printed byline names a third.
    byline = '<div class="byline">Ana Velk, Tomas Brenn y Lior Casto</div>'
    assert extract_article(page(head, byline), url).authors == ["Ana Velk", "Tomas Brenn", "Lior Casto"]
    # A source that leaves out a name of the first is another reading, not a fuller one.
    other = '<div class="byline">Tomas Brenn y Lior Casto</div>'
    assert extract_article(page(_json_ld_author("Ana Velk"), other), url).authors == ["Ana Velk"]


def test_the_copyright_holder_is_the_publisher_not_an_author():
    head = (
        _json_ld_author("Ana Velk")
        + '<meta name="author" content="Marlow Hart"><meta name="author" content="Ana Velk">'
        + '<meta name="copyright" content="Copyright (c) Marlow Hart 2023">'
    )
    assert extract_article(page(head), "https://news.example.org/a").authors == ["Ana Velk"]
    alone = '<meta name="author" content="Marlow Hart"><meta name="copyright" content="© 2023 Marlow Hart. All rights reserved.">'
    assert extract_article(page(alone), "https://news.example.org/a").authors == []


@pytest.mark.parametrize(
    "byline,names",
    [
        ("Lia Moran y Pedro Sanz Hace 13 horas", ["Lia Moran", "Pedro Sanz"]),
        ("Von Max Muster vor 12 Stunden", ["Max Muster"]),
        ("Par Anne Doucet il y a 3 heures", ["Anne Doucet"]),
        ("By Jo Reed 5 hours ago", ["Jo Reed"]),
    ],
)
def test_a_bylines_age_after_the_names_is_cut(byline, names):
    assert clean_authors([byline], [], "https://example.com/a") == names


def test_a_domain_in_the_author_tag_is_the_site_and_no_guess_brings_it_back():
    # trafilatura reads the same tag and returns "Symple Ch".
    assert (
        extract_article(page('<meta name="author" content="symple.ch">'), "https://www.example.ch/a").authors
        == []
    )


def test_a_news_agency_typed_organization_is_the_author_of_its_wire_story():
    ld = {"@type": "NewsArticle", "headline": "Ferries", "author": [{"@type": "Organization", "name": "dpa"}]}
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
    body = '<div class="author">Von Lior Casto</div>'  # the page's columnist, in a box beside the story
    assert extract_article(page(head, body), "https://www.example.de/a").authors == ["dpa"]


def test_a_signature_set_off_by_dashes_is_a_byline():
    body = "<div><strong><em>---- by Nadia Orlov</em></strong></div>"
    assert byline_authors(page("", body), [], "https://encyclopedia.example.com/a") == ["Nadia Orlov"]


def test_names_in_a_script_without_capitals_are_people():
    assert clean_authors(["大渡 美咲"], [], "https://www.example.jp/a", declared=True) == ["大渡 美咲"]
    assert clean_authors(["新間"], [], "https://www.example.jp/a", declared=True) == ["新間"]


def test_a_login_keeps_the_underscore_the_page_writes_it_with():
    # The byline holds one word, a login, which the byline reader leaves to trafilatura's guess; that
    # guess reads "Herr Rein".
    body = '<span class="author vcard"><a class="url fn n" href="/author/herr_rein/">Herr_Rein</a></span>'
    assert extract_article(page("", body), "https://www.example-blog.de/a").authors == ["Herr_Rein"]


def test_the_story_s_signature_gives_the_author_a_middle_initial():
    head = '<meta name="author" content="Mira Falkner">'
    signed = page(head, after="").replace("</article>", "<p>(Mira J. Falkner) +++</p></article>")
    assert extract_article(signed, "https://news.example.de/a").authors == ["Mira J. Falkner"]


def test_a_web_page_or_a_recipe_in_json_ld_names_the_author_where_no_article_does():
    for kind in ("WebPage", "Recipe"):
        ld = {"@type": kind, "name": "Lemon cake", "author": {"@type": "Person", "name": "Kathrin Velk"}}
        head = f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
        assert extract_article(page(head), "https://www.example.de/a").authors == ["Kathrin Velk"]


def test_bold_names_joined_by_a_slash_are_a_byline_even_inside_a_sticky_wrapper():
    names = "<p><strong>Ana Velk/Tomas Brenn</strong></p>"
    # Theia Sticky Sidebar wraps the story itself; a real sidebar holds other stories' bylines.
    story = f'<div class="theiaStickySidebar"><div class="entry-content">{names}</div></div>'
    assert byline_authors(page("", story), [], "https://news.example.com/a") == ["Ana Velk", "Tomas Brenn"]
    aside = f'<div class="sidebar">{names}</div>'
    assert byline_authors(page("", aside), [], "https://news.example.com/a") == []
    # Bold words that are no names, or one name without the slash, are a heading.
    for heading in ("<p><strong>Sport/Kultur</strong></p>", "<p><strong>Ana Velk</strong></p>"):
        assert byline_authors(page("", heading), [], "https://news.example.com/a") == []
