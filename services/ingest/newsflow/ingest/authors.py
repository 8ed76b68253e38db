"""Authors as people: the names a page declares (JSON-LD, meta tags) or prints in its byline, cleaned of
what publishers put in those places besides people.

Publishers fill the author fields with their own name ("Deutsche Welle (www.dw.com)", "STERN.de", the
JSON-LD author typed Organization), with placeholders ("Admin", "Redaktion") and with bylines as
printed ("By Jane Doe and Max Mustermann", "Lenharo, Mariana", "christian.stadtfeld"). Each source is
cleaned the same way; the first source that still names a person wins:

1. the article's JSON-LD authors of type Person (or untyped);
2. author meta tags (`author`, `dc.creator`, `citation_author`, `article:author` when no URL, ...);
3. the page's printed byline: an element marked as the author or byline ("authors__list-item",
   `rel="author"`, `itemprop="author"`), or a short block that reads "By/Von/Por/Par Name";
4. trafilatura's author guess.

Measured with bench/metadata.py (authors F1 on the metadata corpus; doc/choices.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import lxml.html

from newsflow.text import key

# Not people, in the languages of the corpora newsflow is measured on: placeholders and desks.
NOT_PEOPLE = {
    "admin",
    "administrator",
    "anonym",
    "anonymous",
    "anónimo",
    "author",
    "autor",
    "autorin",
    "desk",
    "editor",
    "editors",
    "editorial",
    "editorial staff",
    "gast",
    "guest",
    "nachrichten",
    "name",
    "news",
    "news desk",
    "newsroom",
    "posted",
    "redacción",
    "redação",
    "redactie",
    "redaktion",
    "rédaction",
    "staff",
    "team",
    "web desk",
    "webmaster",
    "zvg",
}
# News agencies, which bylines name as the author of wire stories ("Le Figaro et AFP", "det/dpa").
AGENCIES = {
    a.casefold(): a
    for a in (
        "AFP",
        "AP",
        "dpa",
        "Reuters",
        "SDA",
        "APA",
        "KNA",
        "epd",
        "ANSA",
        "EFE",
        "sid",
        "Kyodo",
        "Xinhua",
        "AAP",
        "UPI",
        "PA",
        "Keystone-SDA",
        "Europa Press",
        "Associated Press",
        "Agence France-Presse",
        "Deutsche Presse-Agentur",
    )
}
# The articles that begin the names of newspapers ("Le Figaro", "Die Zeit"), never a person's.
TITLE_ARTICLES = {
    "the",
    "le",
    "la",
    "les",
    "l",
    "der",
    "die",
    "das",
    "el",
    "il",
    "lo",
    "los",
    "las",
    "het",
    "de",
}
# Words that make a name an organisation or a credit, not a person.
ORG_WORDS = re.compile(
    r"\b(?:gmbh|ag|eg|e\.v|ev|inc|ltd|llc|plc|s\.a|sa|corp|co|verlag|media|press|presse|news|"
    r"redaktion|redacción|redação|rédaction|team|theme|online|magazin|magazine|zeitung|times|"
    r"agency|agentur|staff|writers|bundestagsfraktion|fraktion|partei|ministerium|institut|verband|stiftung)\b",
    re.I,
)
# Words of labels and credits that bylines carry beside names ("Artikel von", "Bildrechte").
LABEL_WORDS = re.compile(
    r"\b(?:artikel|beitrag|bildrechte|bild|foto|fotos|photo|photos|quelle|source|aktuelles|kommentar|"
    r"kommentare|comments?|share|teilen|lesezeit|anzeige|werbung|sponsored)\b",
    re.I,
)
# Before a byline's names: "By", "Von", "Por", "Par", "Door", "Di", "Text:", "Autorin/Autor", and the
# gender-inclusive "Autor/in:", "Autor:in:", "Autor*in:" (the slash had split off "in" as a name's first word).
BYLINE_PREFIX = re.compile(
    # After rules and dashes that set a signature off: "---- by Kenneth Surin", "— Von Jane Doe".
    r"^[\s\-–—_*~]*(?:(?:written|posted|reported)\s+by|(?:ein\s+)?(?:beitrag|artikel|pressemitteilung)\s+von|"
    r"(?:verfasst|geschrieben|eingestellt|veröffentlicht)\s+von|by|von|por|par|door|di|av|text|texto|"
    r"autor(?:in|\s*[/:*]\s*in)?(?:\s*/\s*autor(?:in)?)?|author)\s*:?\s+",
    re.I,
)
# Between a byline's names: commas, slashes, semicolons and "and" in the languages of European news.
# Interviews credit both sides: "Richard David Precht im Gespräch mit Karin Fischer".
SEPARATORS = re.compile(
    r"\s*(?:[,;/|]|\s(?:and|und|y|et|en|e|&|og|och|i|im gespräch mit|in conversation with|"
    r"en conversation avec|en conversación con)\s)\s*",
    re.I,
)
# Name particles that stay lower case inside a name.
PARTICLES = {
    "von",
    "van",
    "der",
    "den",
    "de",
    "da",
    "del",
    "della",
    "di",
    "du",
    "le",
    "la",
    "bin",
    "ibn",
    "al",
    "el",
    "zu",
    "ter",
    "ten",
}
# Where a printed byline runs on into its date ("By J.R. Stone Thursday, November 9, 2023").
DATE_WORDS = re.compile(
    r"\s(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|"
    r"donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|"
    r"martes|miércoles|jueves|viernes|sábado|domingo|updated|aktualisiert|published|veröffentlicht|"
    r"stand|am|on|tiempo de lectura|lesezeit|reading time|temps de lecture|\d+ min)\b.*$",
    re.I,
)
# Or into its age ("… y José Miguel Wilson Hace 13 horas", "vor 2 Stunden", "5 hours ago"): cut from the
# whole byline before it is split, since "il y a 3 heures" holds the Spanish "y" between names.
BYLINE_AGE = re.compile(
    r"\s(?:(?:hace|há|vor|il y a) \d+|\d+ (?:seconds?|minutes?|hours?|days?) ago)\b.*$", re.I
)
DOMAIN = re.compile(r"\w\.(?:com|net|org|de|at|ch|fr|es|it|nl|uk|co|info|eu|io)\b", re.I)
_INITIALS = re.compile(r"^(?:\w\.)+\w?\.?$")
_WORD = re.compile(r"^[^\W\d_][\w'’.-]*$")
# Markers of the element that holds the byline, in class, id, rel, itemprop and data-testid.
BYLINE_MARKERS = re.compile(r"author|byline|autor|posted-?by", re.I)
BYLINE_MAX_CHARS = 120
# Between the details of a story's line of them (section, byline, date).
_DETAILS_SEPARATOR = re.compile(r"\s+[|•·]\s+")
# Bylines inside these are another story's, a comment's or a photo's credit.
# Not "theiaStickySidebar": that plugin wraps the story as it wraps the sidebars, to keep them in view.
NOT_THE_ARTICLES = re.compile(
    r"comment|related|teaser|(?<!sticky)sidebar|footer|widget|recommend|kommentar", re.I
)
BLOCKS = {"p", "div", "span", "li", "address"}
OUTSIDE_TAGS = {"figure", "figcaption", "footer", "aside", "nav", "form"}


def looks_like_person(name: str, *, declared: bool = False) -> bool:
    """One to five words, each capitalised (or a name particle, or initials), no digits, no domain.
    `declared`: a name the page declares as its author may write later words in lower case
    ("Mobasir hassan"); in running text that would be any phrase."""
    words = name.split()
    if not 1 <= len(words) <= 5 or any(ch.isdigit() for ch in name) or "@" in name:
        return False
    if (
        name.casefold() in NOT_PEOPLE
        or ORG_WORDS.search(name)
        or DOMAIN.search(name)
        or LABEL_WORDS.search(name)
    ):
        return False
    if len(words) == 1 and name.isupper() and len(name) <= 6:  # "NDR", "BR": broadcasters, desks
        return False
    capitalised = 0
    for word in words:
        if word.casefold() in PARTICLES:
            continue
        if not (_WORD.match(word) or _INITIALS.match(word)):
            return False
        # A script without capitals (Chinese, Japanese, Arabic...) writes every name as it writes any word.
        if word[0].isupper() or not word[0].islower():
            capitalised += 1
        elif not (_INITIALS.match(word) or (declared and capitalised)):
            return False
    return capitalised >= 1


def is_publisher(name: str, site_names: Iterable[str | None], url: str | None) -> bool:
    """The site's own name ("Lesotho Times", "Deutsche Welle" for "Deutsche Welle (www.dw.com)"), or a
    name whose initials are the domain ("Deutsches Rotes Kreuz" on drk.de). A name that is the whole
    domain (without its ending) is the author: personal sites are named after their authors."""
    folded = key(name)
    if not folded:
        return True
    host = urlsplit(url or "").hostname or ""
    parts = [p for p in host.split(".") if p not in {"www", "m", "amp"}]
    words = re.findall(r"[^\W_]+", name)
    if (
        len(parts) >= 2
        and folded == key(parts[-2])
        and len(words) >= 2
        and words[0].casefold() not in TITLE_ARTICLES
    ):
        return False  # wolfgangschmale.eu: a site named after its author (but lefigaro.fr is "Le Figaro")
    for site in site_names:
        site_words = re.findall(r"[^\W_]+", site or "")
        # The site's account: its name's first word and an initial ("Ilanga D" on Ilanga News).
        if (
            len(words) == 2
            and len(words[1]) == 1
            and site_words
            and len(site_words[0]) >= 4
            and words[0].casefold() == site_words[0].casefold()
        ):
            return True
        site_folded = key(re.sub(r"\([^()]*\)", "", site or ""))
        if len(site_folded) >= 3 and (
            folded == site_folded
            or (min(len(folded), len(site_folded)) >= 5 and (folded in site_folded or site_folded in folded))
        ):
            return True
    if folded == key("".join(parts)):  # "Mdr De" on mdr.de
        return True
    return len(words) >= 2 and "".join(w[0] for w in words).casefold() in {p.casefold() for p in parts[:-1]}


def _last_first(value: str) -> str:
    """'Lenharo, Mariana' -> 'Mariana Lenharo': as catalogue-style tags (dc.creator) write one name."""
    match = re.fullmatch(
        r"\s*([^\W\d_][\w'’-]*(?: [^\W\d_][\w'’-]*)?),\s*([^\W\d_][\w'’.-]*(?: [^\W\d_][\w'’.-]*)?)\s*", value
    )
    return f"{match.group(2)} {match.group(1)}" if match else value


def _unhandle(value: str) -> str:
    """'christian.stadtfeld' -> 'Christian Stadtfeld': a login name made of first and last name."""
    # Not a domain: "symple.ch" in the author tag is the site ("Symple Ch" would pass for a name).
    if re.fullmatch(r"[a-zäöüßéèáíóúñ]{2,}[._][a-zäöüßéèáíóúñ]{2,}", value) and not DOMAIN.search(value):
        return " ".join(part.capitalize() for part in re.split(r"[._]", value))
    return value


def split_byline(text: str) -> list[str]:
    """A byline as printed, to the names in it."""
    text = re.sub(r"\s+", " ", text).strip()
    text = BYLINE_AGE.sub("", BYLINE_PREFIX.sub("", text))
    text = re.sub(r"\s*\((?:[^()]*)\)", "", text)  # "(www.dw.com)", "(AFP)"
    names = []
    for part in SEPARATORS.split(text):
        part = DATE_WORDS.sub("", BYLINE_PREFIX.sub("", part.strip(" .:-–—")))
        # "Unocero - Alberto Ávila", "Name | Site": a dash with spaces separates a site from the name.
        pieces = [p.strip() for p in re.split(r"\s[-–—|]\s", part) if p.strip()]
        # Beside a name of two words or more, one word is the site or the reporter's town ("Name - Cairo"),
        # unless it is a news agency: co-authors are joined by "and" or commas, not dashes.
        if any(len(p.split()) >= 2 for p in pieces):
            pieces = [p for p in pieces if len(p.split()) >= 2 or p.casefold() in AGENCIES]
        names.extend(pieces)
    return [n for n in names if n]


def clean_authors(
    values: Iterable[str],
    site_names: Iterable[str | None],
    url: str | None,
    *,
    one_name_each: bool = False,
    declared: bool = False,
) -> list[str]:
    """The people among the values, one form each, in their order. `one_name_each`: every value is a
    single name (separate tags), so a comma inside one is "Last, First". `declared`: the values are
    the page's author fields, not text found on it (looks_like_person)."""
    sites = list(site_names)
    out: list[str] = []
    for value in values:
        value = _unhandle(value.strip())
        parts = [_last_first(value)] if one_name_each and value.count(",") == 1 else split_byline(value)
        after_publisher = False
        for name in parts:
            if name.casefold() in AGENCIES:  # a wire story's byline: the agency wrote it
                out.append(AGENCIES[name.casefold()])
            elif key(name) and is_publisher(name, sites, url):
                # What follows the publication is where the reporter was: "By Jane Roe, BBC News, New York".
                after_publisher = True
            elif looks_like_person(name, declared=declared) and not after_publisher:
                out.append(name)
    return _one_form_each(out)


def first_and_fuller(sources: Iterable[list[str]]) -> list[str]:
    """The first source that names anyone, unless a later one names the same people and more: a JSON-LD
    author of one where the author meta tag lists two ("Sadhbh O'Sullivan,Elisabeth Kochan"), the
    byline that prints a third ("…, Rocío Latorre y José Miguel Wilson"). A later source that leaves
    out one of the first's names is another reading, not a fuller one."""
    chosen: list[str] = []
    for names in sources:
        if not names:
            continue
        if not chosen:
            chosen = names
        elif {key(n) for n in chosen} < {key(n) for n in names}:
            chosen = names
    return chosen


def as_written(name: str, html: str) -> str:
    """A login as the page writes it: trafilatura's guess turns "Herr_Rein" into "Herr Rein", a name
    nobody signs with."""
    login = name.replace(" ", "_")
    return login if login != name and login in html and name not in html else name


def with_middle_initial(name: str, text: str) -> str:
    """The form with a middle initial where the story prints one: the author field's "Christian
    Stadtfeld" signs "(Christian P. Stadtfeld)" under the text."""
    words = name.split()
    if len(words) != 2:
        return name
    match = re.search(rf"\b{re.escape(words[0])} [A-Z]\. {re.escape(words[1])}\b", text)
    return match.group(0) if match else name


def _one_form_each(names: list[str]) -> list[str]:
    """Drop repeats, in any case, and a name another one extends ("Jane Doe" beside "Jane A. Doe")."""
    kept: list[str] = []
    for name in names:
        words = set(name.casefold().replace(".", " ").split())
        duplicate = False
        for i, other in enumerate(kept):
            other_words = set(other.casefold().replace(".", " ").split())
            if words <= other_words:
                duplicate = True
                break
            if other_words < words:
                kept[i] = name
                duplicate = True
                break
        if not duplicate:
            kept.append(name)
    return kept


def _marked(el: lxml.html.HtmlElement) -> bool:
    for attr in ("class", "id", "rel", "itemprop", "data-testid"):
        value = el.get(attr)
        if (
            value
            and BYLINE_MARKERS.search(value)
            and not re.search(r"bio|avatar|box|image|img|photo|comment", value, re.I)
        ):
            return True
    return False


def _bold_names(el: lxml.html.HtmlElement, text: str) -> bool:
    """A paragraph of bold names and nothing else, two or more joined by "/": how some papers set their
    byline without a "By" ("Mathatisi Sebusi/Mohalenyane Phakela", Lesotho Times)."""
    if el.tag != "p" or "/" not in text or len(el) != 1 or el[0].tag not in ("strong", "b"):
        return False
    if (el.text or "").strip() or (el[0].tail or "").strip():
        return False
    pieces = [p.strip() for p in text.split("/")]
    return len(pieces) >= 2 and all(2 <= len(p.split()) <= 3 and looks_like_person(p) for p in pieces)


def _first_line(el: lxml.html.HtmlElement) -> str:
    """The element's text up to its first line break (<br>): a byline's names, not the dateline after."""
    parts: list[str] = []

    def walk(node: lxml.html.HtmlElement) -> None:
        if node.tag == "br":
            parts.append("\n")
        elif isinstance(node.tag, str):
            parts.append(node.text or "")
            for child in node:
                walk(child)
                parts.append(child.tail or "")

    walk(el)
    return " ".join("".join(parts).split("\n", 1)[0].split())


def _outside_the_article(el: lxml.html.HtmlElement) -> bool:
    for anc in el.iterancestors():
        if anc.tag in ("body", "html"):  # their classes describe the page ("three-columns sidebar")
            break
        if anc.tag in OUTSIDE_TAGS:
            return True
        marks = f"{anc.get('class') or ''} {anc.get('id') or ''}"
        if NOT_THE_ARTICLES.search(marks):
            return True
    return False


def byline_authors(html: str, site_names: Iterable[str | None], url: str | None) -> list[str]:
    """The names of the page's printed byline: the first element marked as one whose text names
    people, else the first short block reading "By Name". A printed name has two words at least: a
    single word there is a label or a login more often than a name."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    sites = list(site_names)
    for bad in tree.iter("script", "style", "noscript", "template", "svg"):
        bad.text = None
    fallback: list[str] = []
    for el in tree.body.iter() if tree.body is not None else []:
        if not isinstance(el.tag, str):
            continue
        marked = _marked(el)
        if not marked and (fallback or el.tag not in BLOCKS):
            continue  # before its text: joining every element's text is most of the cost
        # Pieces joined with spaces: "<span>By</span><a>J.R. Stone</a>" is two words, not "ByJ.R.".
        text = " ".join(" ".join(el.itertext()).split())
        if not text:
            continue
        whole = True
        if not marked:
            if len(text) > BYLINE_MAX_CHARS:
                continue
            # A short line of the story's details: "Trending | By Cara Stiles | April 13, 2020".
            part = next((p for p in _DETAILS_SEPARATOR.split(text) if BYLINE_PREFIX.match(p)), None)
            if part is None and _bold_names(el, text):
                part = text
            if part is None:
                continue
            whole, text = part == text, part
        if whole and el.find(".//br") is not None:  # "Von A und B<br>Kakuma, Kenia": the names' line only
            text = _first_line(el)
        if len(text) > BYLINE_MAX_CHARS or _outside_the_article(el):
            continue
        names = [n for n in clean_authors([text], sites, url) if len(n.split()) >= 2]
        if names and marked:
            return names
        fallback = fallback or names
    return fallback
