"""Headlines without the site's name (newsflow.ingest.titles), and through extract_article."""

import json

import pytest

from newsflow.ingest.extract import extract_article
from newsflow.ingest.titles import choose_title, strip_site

BODY = "".join(
    f"<p>Paragraph {i} of a long enough story about the harbour and its ferries.</p>" for i in range(10)
)


def page(head: str, body: str = f"<article>{BODY}</article>") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize(
    "title,site,url,expected",
    [
        (
            "Ziele, Chancen, Risiken | DW | 28.04.2023",
            None,
            "https://www.dw.com/a",
            "Ziele, Chancen, Risiken",
        ),
        (
            "Samsung soll Smartphones zerstören - Golem.de",
            None,
            "https://www.golem.de/a",
            "Samsung soll Smartphones zerstören",
        ),
        ("Ikhansela lisola - Ilanga News", "Ilanga News", "https://ilanganews.co.za/a", "Ikhansela lisola"),
        (
            "What is Rust - Stack Overflow Blog",
            "Stack Overflow",
            "https://stackoverflow.blog/a",
            "What is Rust",
        ),
        # a dash inside the headline that names nothing is the headline's
        (
            "Kenia - Nairobi von unten",
            "Junge Welt",
            "https://www.jungewelt.de/a",
            "Kenia - Nairobi von unten",
        ),
        ("Lesotho Times", "Lesotho Times", "https://lestimes.com/", ""),
    ],
)
def test_strip_site(title, site, url, expected):
    assert strip_site(title, [site], url) == expected


def test_an_h1_inside_the_title_is_the_headline():
    title = "Bubi-Bomber wieder da: Thioune fordert Geduld | Sport"
    h1 = "Bubi-Bomber wieder da : Thioune fordert Geduld"  # as text of nested elements
    assert (
        choose_title(title, None, [h1], [], "https://bild.example.de/a")
        == "Bubi-Bomber wieder da: Thioune fordert Geduld"
    )


def test_an_h1_that_is_the_sites_banner_is_not_taken_for_the_headline():
    # A blog's <h1> holds its name; the title's other part is the post's headline.
    title = "A grant to Evidence Action Beta to prototype programs - The GiveWell Blog"
    chosen = choose_title(
        title, title, ["The GiveWell Blog"], ["The GiveWell Blog"], "https://blog.example.org/a"
    )
    assert chosen == "A grant to Evidence Action Beta to prototype programs"


def test_an_h1_that_ends_the_title_after_a_longer_part_is_the_banner_even_unnamed():
    # No declared site name: the blog's name is known only as the <title>'s last part and the <h1>.
    title = "Rinderleber-Geschnetzeltes mit Apfel und Zwiebel | Liebe geht durch den Magen"
    banner = "Liebe geht durch den Magen"
    assert choose_title(None, title, [banner], [], "https://blog.example.de/a") == (
        "Rinderleber-Geschnetzeltes mit Apfel und Zwiebel"
    )
    # After a shorter part, the last part is the headline and the first a kicker.
    opinion = "Opinion | Republicans Are Following Trump to Nowhere"
    h1 = "Republicans Are Following Trump to Nowhere"
    assert choose_title(None, opinion, [h1], [], "https://news.example.com/a") == h1


def test_a_title_that_is_only_the_site_gives_way_to_the_h1():
    assert (
        choose_title(
            "ICON Magazine",
            "ICON Magazine",
            ["Davor und Danach"],
            ["ICON Magazine"],
            "https://icon.example.de",
        )
        == "Davor und Danach"
    )


def test_a_json_ld_headline_keeps_its_kicker_but_not_the_site():
    ld = {"@type": "NewsArticle", "headline": "Opinion | Ferries Are Late - Harbour News"}
    head = f"<script type='application/ld+json'>{json.dumps(ld)}</script><meta property='og:site_name' content='Harbour News'>"
    html = page(head, f"<h1>Ferries Are Late</h1><article>{BODY}</article>")
    assert extract_article(html, "https://harbour.example.com/a").title == "Opinion | Ferries Are Late"


def test_og_title_with_site_suffix_through_the_worker_path():
    head = "<meta property='og:title' content='Ferries Are Late | Harbour News'><title>Ferries Are Late | Harbour News</title>"
    html = page(head, f"<h1>Ferries Are Late</h1><article>{BODY}</article>")
    assert extract_article(html, "https://harbour.example.com/a").title == "Ferries Are Late"


def test_a_title_written_for_search_gives_way_to_the_headline_readers_see():
    seo = "Wärmepumpe im Altbau - Wann es sich lohnt | heizung.de"
    h1 = "Eignet sich eine Wärmepumpe im Altbau?"
    assert choose_title(seo, seo, [h1], [], "https://www.heizung.de/a") == h1
    # The same headline reworded a little is still the declared one.
    close = "Eignet sich die Wärmepumpe im Altbau?"
    assert choose_title(close, None, [h1], [], "https://www.heizung.de/a") == close


def test_a_json_ld_headline_loses_the_kicker_or_section_its_og_title_leaves_out():
    assert (
        choose_title(
            "Neue Leipziger Schule: Judy Lybke, ganz und gar nicht eigenartig",
            None,
            [],
            [],
            "https://www.n-tv.example.de/a",
            headline=True,
            og_title="Judy Lybke, ganz und gar nicht eigenartig",
        )
        == "Judy Lybke, ganz und gar nicht eigenartig"
    )
    assert (
        choose_title(
            "Bubi-Bomber wieder da | Sport",
            None,
            [],
            [],
            "https://www.bild.example.de/a",
            headline=True,
            og_title="Bubi-Bomber wieder da",
        )
        == "Bubi-Bomber wieder da"
    )
    # An og:title that keeps the kicker keeps it in the headline.
    assert (
        choose_title(
            "Opinion | Ferries Are Late",
            None,
            [],
            [],
            "https://www.example.com/a",
            headline=True,
            og_title="Opinion | Ferries Are Late",
        )
        == "Opinion | Ferries Are Late"
    )


def test_a_json_ld_headline_cut_short_gives_way_to_the_whole_og_title():
    whole = "Sanna Marin tapasi Angela Merkelin: Myös Saksa haluaa pitää kiinni maataloustuista - ”Meidän näkemyksiämme ei ole otettu huomioon”"
    cut = whole[:100]
    assert choose_title(cut, None, [], [], "https://www.example.fi/a", headline=True, og_title=whole) == whole
    # An og:title that only adds the site and a byline as parts is not the whole headline.
    og = f"{cut} | The Harbour Pundit | by Mike Writer"
    assert choose_title(cut, None, [], [], "https://www.example.com/a", headline=True, og_title=og) == cut


def test_a_site_name_guessed_from_the_title_does_not_cut_the_title():
    # trafilatura names the site after the title's last part on a blog with no declared site name.
    head = (
        "<title>Naschtüte: [Rezi] Love is War - Sehnsucht von R. K. Lilley</title>"
        "<meta property='og:title' content='[Rezi] Love is War - Sehnsucht von R. K. Lilley'>"
    )
    html = page(head)
    assert (
        extract_article(html, "https://weinlach.example.com/2017/09/rezi.html").title
        == "[Rezi] Love is War - Sehnsucht von R. K. Lilley"
    )


def test_an_h1_that_goes_on_where_the_title_stops_is_the_headline():
    title = "Saftiger Zitronenkuchen vom Blech | Backen macht glücklich"
    h1 = "Saftiger Zitronenkuchen vom Blech: einfach köstlich!"
    assert (
        choose_title(title, title, [h1], ["Backen macht glücklich"], "https://www.backen.example.de/a") == h1
    )


def test_a_kicker_the_h1_marks_as_such_is_no_part_of_the_headline():
    body = "".join(
        f"<p>Paragraph {i} of a long enough story about car dealers and their sales.</p>" for i in range(10)
    )

    def page(title: str, h1: str) -> str:
        head = f"<title>{title}</title><meta property='og:title' content='{title}'>"
        return f"<html><head>{head}</head><body><h1>{h1}</h1><article>{body}</article></body></html>"

    # MDR: the title keeps the kicker before a colon; the <h1> sets its own kicker apart in a span.
    mdr = page(
        "Corona-Lockerungen: Autohäuser rechnen mit langsamem Anlaufen | MDR.DE",
        '<span class="dachzeile">Nach Corona-Lockerungen</span> <span class="headline">Autohäuser rechnen mit '
        "langsamem Anlaufen</span>",
    )
    assert extract_article(mdr, "https://www.mdr.de/a").title == "Autohäuser rechnen mit langsamem Anlaufen"
    # Deutschlandfunk: kicker and headline run together in the <h1>; the title has them as two parts.
    dlf = page(
        'Die Zukunft der Arbeit - "Wir dekorieren auf der Titanic die Liegestühle um"',
        '<span class="overline">Die Zukunft der Arbeit</span>"Wir dekorieren auf der Titanic die Liegestühle um"',
    )
    assert (
        extract_article(dlf, "https://www.dlf.de/a").title
        == '"Wir dekorieren auf der Titanic die Liegestühle um"'
    )
    # Without a marked kicker, a colon in the title is the headline's own.
    plain = page(
        "Corona-Lockerungen: Autohäuser rechnen mit langsamem Anlaufen",
        "Autohäuser rechnen mit langsamem Anlaufen",
    )
    assert (
        extract_article(plain, "https://www.mdr.de/a").title
        == "Corona-Lockerungen: Autohäuser rechnen mit langsamem Anlaufen"
    )


def test_an_h2_that_opens_the_title_under_a_section_h1_is_the_headline():
    title = "12.03. | Book of the Week - Ana Velk (ed.) • Harbours"
    head = f"<meta property='og:title' content='{title}'><title>Example.com | Culture | {title}</title>"
    body = f"<h1>Literature</h1><h2>12.03. | Book of the Week</h2><article>{BODY}</article>"
    html = page(head, body)
    assert extract_article(html, "https://www.example.com/a").title == "12.03. | Book of the Week"
    # A promoted story's <h1> beside the page's own title: the <h2> that opens the title is the headline.
    own = "Ferries run late again | Harbour | Harbour Daily"
    assert (
        choose_title(
            own, own, ["Markets rise on rate hopes 19:20"], [], None, subheadings=["Ferries run late again"]
        )
        == "Ferries run late again"
    )
    # Not an <h2> that is the whole title: an interview's first question as its og:title.
    question = "What is the harbour foundation?"
    h1 = "Three questions for Ana Velk, head of fundraising"
    assert choose_title(question, None, [h1], [], None, subheadings=[question]) == h1


def test_an_h1_the_title_adds_to_is_the_headline():
    # A listing's number and town added for the tab and for search.
    title = "Holiday Cottage Alder (51234) - Holiday Cottage Brookfield"
    assert choose_title(None, title, ["Holiday Cottage Alder"], [], "https://stays.example.de/a") == (
        "Holiday Cottage Alder"
    )
    # The other way round stays: a title that is the <h1> cut short gives way to the <h1> (above).


def test_a_site_under_a_country_suffix_is_known_by_its_registered_name():
    # "harbourferries" of harbourferries.co.uk, not "co": a title that is only that name is no headline.
    assert strip_site("Harbour Ferries Enquiries -", [], "https://www.harbourferries.co.uk/a") == ""
    assert strip_site("Late sailings | Harbourferries", [], "https://www.harbourferries.co.uk/a") == (
        "Late sailings"
    )
    # A blog under a shared (private) suffix keeps its name in its headlines.
    assert strip_site("Gullwing privacy policy", [], "https://gullwing.blogspot.com/p/privacy.html") == (
        "Gullwing privacy policy"
    )


def test_a_title_that_names_only_the_site_gives_way_to_the_first_h2_where_there_is_no_h1():
    head = "<title>Harbour Ferries Enquiries -</title>"
    body = f"<h1></h1><h2>Replacement Buses Travel Advice</h2><h2>General Information</h2><article>{BODY}</article>"
    html = page(head, body)
    assert (
        extract_article(html, "https://www.harbourferries.co.uk/disruptions/1.aspx").title
        == "Replacement Buses Travel Advice"
    )


def test_a_headline_that_mentions_the_site_is_not_taken_for_its_name():
    # On harbourlink.org, "Harbourlink 3.6 is now available!" is the headline, not the site's name.
    title = "Harbourlink Insider: Harbourlink 3.6 is now available!"
    assert strip_site("Harbourlink 3.6 is now available!", [], "https://blog.harbourlink.org/a") == (
        "Harbourlink 3.6 is now available!"
    )
    chosen = choose_title(
        "Harbourlink 3.6 is now available!",
        title,
        [],
        [],
        "https://blog.harbourlink.org/2016/12/a.html",
        subheadings=["Friday, December 23, 2016", "Subscribe", "Related Links"],
    )
    assert chosen == "Harbourlink 3.6 is now available!"


def test_a_date_heading_is_no_headline():
    # A blog's date in an <h2> above the post, where the title names only the site.
    chosen = choose_title(
        None,
        "Harbour Weekly",
        [],
        ["Harbour Weekly"],
        "https://harbourweekly.example.com/a",
        subheadings=["Friday, December 23, 2016", "Ferries run late again"],
    )
    assert chosen == "Ferries run late again"


def test_an_h1_that_carries_the_sites_name_is_the_headline_without_it():
    og = "Harbour fees: ferries pay more from April"
    h1 = f"{og} | Harbour Authority"
    assert (
        choose_title(
            og, f"{og} | Harbour Authority", [h1], ["Harbour Authority"], "https://www.harbour.example"
        )
        == og
    )
