"""People and organisations of a text in a language that has no installable model: known first names and
the shapes organisation names take, which keep precision where a model trained on English would not.

People: a known first name followed by capitalised words ("Angela Merkel", "Jan Peter Balkenende",
"Rodrigo Rato y Figaredo" stops at "y"), with the name particles of European languages ("van der",
"de la"). The first names are the person providers of Faker, a well-kept test-data library with curated
name lists for about eighty locales; its Latin-script lists are used for every language, since news in
any language names foreigners. Organisations: acronyms outside upper-case headlines ("PSOE", "CDU") and
names led by a word that only organisations take ("Partido Popular", "Universiteit van Amsterdam",
"Deutsche Bank AG").

Measured against the English model and the Spanish one on CoNLL-2002 and GermEval (doc/choices.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsflow.text import fold

if TYPE_CHECKING:
    from newsflow.enrich.gazetteer import Gazetteer

# Languages whose stop words never start a name, whatever the article's language: a capitalised "Die",
# "Los" or "Van" opening a sentence is no first name even where some country gives it as one.
STOP_WORD_LANGUAGES = ("en", "de", "nl", "es", "fr", "it", "pt", "da", "sv", "nb", "pl", "cs", "ca", "ro")

_UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
_WORD = rf"[{_UPPER}][\w'’-]*\w"
_INITIAL = rf"[{_UPPER}]\."
# Particles inside European surnames: "Ursula von der Leyen", "Luis de la Fuente", "Rafael van der Vaart".
_PARTICLE = r"(?:van|von|der|den|de|del|della|la|le|di|da|du|dos|das|zu|ten|ter|'t|bin|ibn|al|el)"
# Names never run across a line: a byline ("Peter Goris") is followed by the next paragraph's first word.
# Initials and a surname ("J. Russell", "T.O'Gorman", "J.J. Smith"), as scorecards, bylines and lists
# of names write people; not before another capitalised word ("J. P. Morgan Chase" is a company).
_INITIALS_SURNAME = re.compile(
    rf"(?<![\w.])(?P<initials>(?:[{_UPPER}]\.){{1,2}})[ \t]?"
    rf"(?P<surname>[{_UPPER}](?:[a-zß-ÿ]*['’][{_UPPER}])?[a-zß-ÿ]+(?:-[{_UPPER}][a-zß-ÿ]+)?)"
    rf"(?![\w'’-]|[ \t]+[{_UPPER}])"
)
_PERSON = re.compile(rf"\b{_WORD}(?:[ \t]+(?:{_INITIAL}|(?:{_PARTICLE}[ \t]+)*{_WORD}))+")

# Words that lead an organisation's name in the languages of European news, and the legal forms that
# end a company's. Each one names an organisation whatever follows it.
ORGANISATION_HEADS = (
    # es, ca, pt
    "Partido Ministerio Universidad Universitat Banco Consejo Comisión Asociación Federación Fundación "
    "Tribunal Instituto Junta Sindicato Ayuntamiento Audiencia Confederación Agencia Compañía Grupo "
    "Sociedad Club Colegio Coalición Frente Movimiento Unión Fuerzas Policía Guardia Corporación "
    "Empresa Editorial Diputación Generalitat Xunta Cámara Congreso Senado Parlamento "
    # nl
    "Ministerie Universiteit Partij Stichting Vereniging Raad Hogeschool Rechtbank Gemeente Kamer "
    # de
    "Universität Partei Ministerium Verband Verein Bundesverband Institut Gericht Landgericht Stiftung "
    "Gewerkschaft Konzern Bundestag Bundesrat Bundesregierung Bundesamt Bundesanstalt Landtag "
    # fr, it
    "Ministère Université Parti Association Fédération Fondation Conseil Assemblée Commission Société "
    "Ministero Università Federazione Associazione Fondazione Consiglio Camera Partito "
    # clubs
    "FC SC SV VfB VfL TSV CF CD UD SD AC AS RC"
).split()
LEGAL_FORMS = (
    "AG GmbH KG SE NV N.V. BV B.V. SA S.A. SL S.L. SpA S.p.A. SARL Inc. Ltd Plc PLC LLC Corp.".split()
)
_CONNECTOR = r"(?:de|del|de la|de los|de las|y|van|voor|der|van de|van het|voor de|für|für die|des|der|du|de l'|di|della|dello|e)"
_ORGANISATION = re.compile(
    rf"\b(?:{'|'.join(map(re.escape, ORGANISATION_HEADS))})(?:[ \t]+(?:{_CONNECTOR}[ \t]+)?{_WORD})+"
    rf"|\b{_WORD}(?:[ \t]+{_WORD}){{0,3}}[ \t]+(?:{'|'.join(map(re.escape, LEGAL_FORMS))})(?!\w)"
)
# Two letters are as often a unit, a product or an abbreviation ("PS", "HD", "WM") as an organisation.
# Acronyms joined by a slash are one ("CDU/CSU", the parliamentary union). One that opens a hyphenated
# compound ("CDU-Politiker", "DFB-Pokal", "SPD-Fraktionsvorsitzende") qualifies another noun: a
# politician, a cup, a chairman; it is not the organisation named (GermEval's "ORGpart").
_ACRONYM = re.compile(
    rf"(?<![\w.])[{_UPPER}][{_UPPER}&]{{2,5}}(?:/[{_UPPER}][{_UPPER}&]{{1,5}})*(?!\w|\.\w|-\w)"
)
# Upper-case codes that are never organisations: currencies, time zones, units.
NOT_ORGANISATIONS = frozenset(
    "EUR USD GBP JPY CHF CNY RUB DEM FRF ESP NLG BEF ATS ITL PTA CET CEST MEZ MESZ GMT UTC EST EDT PST PDT "
    "BST KWH MWH GWH TWH CEO CFO COO CTO PDF USB DVD GPS SMS MMS TV ATM GDP BIP PIB BBP IPO".split()
)
_ROMAN = re.compile(r"^[IVXLCDM]+$")


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    label: str  # PER or ORG

    def text(self, source: str) -> str:
        return source[self.start : self.end]


def stop_words() -> frozenset[str]:
    from spacy.util import get_lang_class  # spaCy's stop word lists, without any model

    words: set[str] = set()
    for language in STOP_WORD_LANGUAGES:
        words |= get_lang_class(language).Defaults.stop_words
    return frozenset(fold(w) for w in words)


def known_first_names(stops: frozenset[str]) -> frozenset[str]:
    """Faker's first names (about 24,000; reading its providers takes seconds, so the gazetteer's cache
    keeps them)."""
    import importlib
    import pkgutil

    import faker.providers.person as providers

    names: set[str] = set()
    for module in pkgutil.iter_modules(providers.__path__):
        try:
            provider = importlib.import_module(f"{providers.__name__}.{module.name}").Provider
        except (ImportError, AttributeError):
            continue
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            listed = getattr(provider, attribute, ())
            if isinstance(listed, (list, tuple, dict, set, frozenset)):
                names.update(n for n in listed if isinstance(n, str) and n[:1].isupper() and n.isalpha())
    # A short or stop-word "name" ("Al", "Die", "Will") starts too many things that are not people.
    return frozenset(n for n in names if len(n) > 2 and fold(n) not in stops)


def _is_headline(text: str, start: int) -> bool:
    """Whether the line around `start` is an upper-case headline ("LA REFORMA SIGUE EN EL AIRE"), whose
    words are no acronyms; a dateline ("MADRID, 23 may (EFE)") is too short to be one."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    words = re.findall(r"[^\W\d_]+", text[line_start : line_end if line_end >= 0 else len(text)])
    return len(words) >= 4 and sum(w != w.upper() for w in words) <= len(words) / 5


def _is_place(name: str, gazetteer: Gazetteer) -> bool:
    key = fold(name)
    return key in gazetteer.names or key in gazetteer.demonyms


def find_people(text: str, gazetteer: Gazetteer) -> list[Found]:
    known, stops = gazetteer.first_names, gazetteer.stop_words
    found = []
    for match in _PERSON.finditer(text):
        words = [
            (w.group(), match.start() + w.start(), match.start() + w.end())
            for w in re.finditer(r"\S+", match.group())
        ]
        # The name starts at the run's first known first name ("Bundeskanzlerin Angela Merkel"), and
        # never ends in a particle, a stop word or an initial ("Jan Peter Balkenende En").
        while words and words[0][0] not in known:
            words.pop(0)
        while len(words) > 1 and (fold(words[-1][0]) in stops or words[-1][0].endswith(".")):
            words.pop()
        if not 2 <= len(words) <= 5:
            continue
        start, end = words[0][1], words[-1][2]
        if _is_place(text[start:end], gazetteer) or words[-1][0] in ORGANISATION_HEADS:
            continue
        found.append(Found(start, end, "PER"))
    for match in _INITIALS_SURNAME.finditer(text):
        surname = match.group("surname")
        # Many surnames are also towns' names ("Russell"), so only a country's name or people's is
        # refused; "U.S." and "U.K." are no initials.
        if (
            fold(surname) in stops
            or fold(surname) in gazetteer.demonyms
            or any(e.feature == "country" for e in gazetteer.lookup(surname))
            or _is_place(match.group("initials"), gazetteer)
            or match.group("initials") in gazetteer.abbreviations
            or surname in ORGANISATION_HEADS
        ):
            continue
        if not any(f.start <= match.start() < f.end for f in found):
            found.append(Found(match.start(), match.end(), "PER"))
    return found


def find_organizations(text: str, gazetteer: Gazetteer) -> list[Found]:
    stops = gazetteer.stop_words
    found = [Found(m.start(), m.end(), "ORG") for m in _ORGANISATION.finditer(text)]
    for match in _ACRONYM.finditer(text):
        acronym = match.group()
        if (
            _ROMAN.match(acronym)
            or acronym in NOT_ORGANISATIONS
            or fold(acronym) in stops
            or _is_place(acronym, gazetteer)
            or _is_headline(text, match.start())
        ):
            continue
        found.append(Found(match.start(), match.end(), "ORG"))
    return found


def find_names(text: str, gazetteer: Gazetteer) -> list[Found]:
    """People and organisations, in text order; where two overlap the person is dropped ("Deutsche
    Bank AG" is no person even if "Deutsche" were a first name)."""
    orgs = find_organizations(text, gazetteer)
    people = [
        p for p in find_people(text, gazetteer) if not any(o.start < p.end and p.start < o.end for o in orgs)
    ]
    return sorted(orgs + people, key=lambda f: f.start)
