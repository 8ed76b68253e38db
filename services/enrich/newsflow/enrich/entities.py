"""People and organisations of an article: mentions with their offsets, and one canonical name per entity.

English articles are read by the English model; every other language by known names and organisation
shapes (newsflow.enrich.names), never by the English model, which took French "La" and Portuguese
"Assista" for people. A mention's `name` is its entity's canonical name: the fullest form the story uses,
without titles, possessives or a leading article ("President Biden", "Biden's" and "Joe Biden" are all
"Joe Biden")."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Any

from newsflow.enrich.gazetteer import Gazetteer
from newsflow.enrich.names import LEGAL_FORMS, NOT_ORGANISATIONS, find_names
from newsflow.enrich.wordclass import WordClass, is_common_word, reads_as_a_noun, word_classes
from newsflow.text import fold

MODEL_LABELS = {"PERSON": "PER", "ORG": "ORG"}

_LEADING_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.I)
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
_EVENT_OR_VENUE = re.compile(
    r"\s(?:Cup|Series|Shield|Trophy|Final|Finals|Championship|Championships|Tournament|Open|Games|"
    r"Grand Prix|Ground|Stadium|Arena|Oval|Racecourse|Circuit)$"
)
_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december".split()
)
_NAME_GOES_ON = re.compile(r"(?:[ ](?:[A-Z][a-z][\w'’-]*))+(?=[ \t]*(?:[(,.;:]|$))", re.M)
_LOWER_TAIL = re.compile(r"(?:\s+[a-z][\w'’-]*)+$")
# Titles that precede a name in news writing; they are not part of the person's name.
_TITLE = re.compile(
    r"^(?:(?:former|late|then|acting|deputy|vice|prime|chief|foreign|defen[cs]e|interior|finance|"
    r"president|presidente|président|präsident|minister|ministre|ministro|chancellor|kanzler(?:in)?|"
    r"senator|sen\.|rep\.|representative|governor|gov\.|mayor|judge|justice|king|queen|prince|"
    r"princess|pope|sheikh|general|gen\.|colonel|col\.|captain|capt\.|lieutenant|lt\.|sergeant|sgt\.|"
    r"admiral|commander|coach|dr\.?|prof\.?|professor|mr\.?|mrs\.?|ms\.?|miss|sir|dame|lord|lady|"
    r"herr|frau|señor|señora|sr\.|sra\.|don|doña|monsieur|madame|mme|meneer|mevrouw|dhr\.|mevr\.|"
    r"st\.|saint|secretary|ambassador|spokesman|spokeswoman|ceo|chairman|chairwoman|director|"
    r"leader|rev\.|reverend|father|bishop|archbishop|cardinal|rabbi|imam|"
    # Sport: a player's position or role before the name ("Fullback Andre Joubert", "Striker Les
    # Ferdinand"), as the model reads them at a sentence's start.
    r"full-?back|half-?back|fly-half|scrum-half|winger|flanker|hooker|prop|centre|center|striker|"
    r"midfielder|defender|goalkeeper|keeper|forward|quarterback|pitcher|catcher|shortstop|"
    r"outfielder|linebacker|receiver|skipper|batsman|bowler|opener|all-rounder|wicketkeeper|jockey|"
    r"trainer|manager|substitute|rookie|veteran|champion|teammate|team-mate)\s+)+",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    label: str  # PER or ORG
    text: str
    name: str = ""  # the canonical name of the entity it names


# French "M. Macron" is Monsieur; in English "M. Atherton" is an initial, part of the name.
_MONSIEUR = re.compile(r"^M\.\s+")
_INNER_POSSESSIVE = re.compile(r"(?:'s|’s)\s+(?=[A-Z])")
_INITIAL = re.compile(r"[A-Z]\.(?:[A-Z]\.)*")
_TRAILING_FIGURES = re.compile(r"(?:\s+\d[\d./:-]*)+$")


def clean_name(name: str, label: str, *, english: bool = False) -> str | None:
    """The name without a leading article, a possessive or (for people) titles; None when what is left
    cannot be a name (no capital, a digit, one letter). `english`: the text is English."""
    name = _POSSESSIVE.sub("", _LEADING_ARTICLE.sub("", " ".join(name.split())))
    if label == "PER":
        # "Nelson Mandela's African National Congress": the person is the possessor.
        name = _INNER_POSSESSIVE.split(name, maxsplit=1)[0]
        # "A. Smith 5-68", "P. Johnson 84": a scorecard's figures, which the model reads into the name.
        # A single word before a score is a team's ("Everton 2"), and stays out with its digits.
        if " " in (bare := _TRAILING_FIGURES.sub("", name)):
            name = bare
        # "Yorkshire at Headingley": a match and its ground, no one's name; "Sri Lanka - Arjuna
        # Ranatunga": a team sheet's country, then the player.
        if " at " in name:
            return None
        name = name.rsplit(" - ", 1)[-1]
        name = _TITLE.sub("", name if english else _MONSIEUR.sub("", name))
    else:
        # A name ends at its last capitalised word: "Interfax news agency", "Greenpeace activists".
        name = _LOWER_TAIL.sub("", name)
    if len(name) < 2 or not any(ch.isupper() for ch in name) or any(ch.isdigit() for ch in name):
        return None
    return name


def model_mentions(
    doc: Any,
    gazetteer: Gazetteer,
    places: frozenset[str] = frozenset(),
    classes: list[WordClass | None] | None = None,
    text: str | None = None,
) -> list[Mention]:
    """PERSON and ORG entities of the English model, minus what it often gets wrong: places and
    nationalities called people, countries and the story's own places called organisations ("Bamako"),
    and one-word "people" that are not proper nouns. `places`: the folded names the story's places
    were found by; `text`: doc.text, when the caller has it already."""
    mentions = []
    text = doc.text if text is None else text  # spaCy joins it from the tokens on every access
    datelines = [m.span() for m in _DATELINE_HEAD.finditer(text)]
    for ent in doc.ents:
        label = MODEL_LABELS.get(ent.label_)
        if label is None or "\n" in ent.text:
            continue
        # "VAIL, Colorado 1996-12-07", "AMSTERDAM 1996-08-31", "KHASAVYURT, Russia (Reuters) -": where the
        # story was filed, which the model calls an organisation as often as a place (or runs on across
        # the dash into the first words of the story).
        if any(a <= ent.start_char < b for a, b in datelines):
            continue
        written = ent.text
        if label == "PER" and (more := _NAME_GOES_ON.match(text, ent.end_char)):
            # "Kate Pace Lindsay", "Hwang Sun Hong": the model stops a long name short.
            if not any(fold(w) in gazetteer.stop_words or fold(w) in _CALENDAR for w in more.group().split()):
                written = text[ent.start_char : more.end()]
        name = clean_name(written, label, english=True)
        if not name:
            continue
        # "the UEFA Cup", "the World Series": a competition, an event; "the Melbourne Cricket Ground": where
        # one is played.
        if label == "ORG" and _EVENT_OR_VENUE.search(name):
            continue
        # "EASTERN DIVISION", "W L PCT GB": a table's heading, a line in capitals.
        if ent.text.isupper() and _heading_line(text, ent.start_char, ent.end_char):
            continue
        # "the Russian Wagner Group" is the Wagner Group, "Croat Alen Boksic" Alen Boksic: a nationality is
        # not part of the name. Only the adjective of a country for organisations: "Scottish National
        # Party" and "Arab Contractors" are names whole.
        nationalities = gazetteer.nationalities if label == "PER" else gazetteer.demonyms
        first, _, rest = name.partition(" ")
        if rest and fold(first) in nationalities:
            name = rest
        key = fold(name)
        if name in NOT_ORGANISATIONS:  # "GMT", "EUR": the model takes codes for organisations
            continue
        if (
            key in nationalities
            or key in places
            or (key in gazetteer.names and _not_an(label, name, gazetteer))
        ) and not (label == "ORG" and _a_union_of_places(name, gazetteer)):
            continue
        if label == "PER" and " " not in name and len(ent) == 1:
            classes = word_classes(doc) if classes is None else classes
            if classes[ent.start] != "PROPN":
                continue
        # "Pirelli SpA", "Brewpole BV": a company's legal form ends no one's name.
        if label == "PER" and (_is_club(name, gazetteer) or name.split()[-1] in LEGAL_FORMS):
            label = "ORG"
        mentions.append(_mention(ent.start_char, written, label, name))
    return mentions


def _heading_line(text: str, start: int, end: int) -> bool:
    """The line holding text[start:end] is a heading: capitals, no figures, no lower case."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    return not any(ch.islower() or ch.isdigit() for ch in line)


# What the model calls an organisation is one unless the name is a country or a larger region ("Mali",
# "West Africa"): clubs, councils and universities take their towns' names ("Liverpool", "Bolton").
_NEVER_ORGANISATIONS = {"country", "region", "continent"}


CLUB_TOWN_POPULATION = 100_000
PERSON_TOWN_POPULATION = 50_000


def _is_club(name: str, gazetteer: Gazetteer) -> bool:
    """A "person" that names a city and starts with no first name is a club or a firm ("Manchester
    United", "Partizan Belgrade", "Hansa Rostock"); "Denzel Washington" keeps his first name."""
    words = name.split()
    return (
        len(words) > 1
        and not _begins_with_a_first_name(name, gazetteer)  # "I. Austin": a cricketer, not Austin's club
        and any(
            e.feature == "city" and e.population >= CLUB_TOWN_POPULATION
            for word in words
            for e in gazetteer.lookup(word)
        )
    )


def _begins_with_a_first_name(name: str, gazetteer: Gazetteer) -> bool:
    """The name's first word is a known first name or an initial ("Denzel Washington", "I. Austin")."""
    first = name.split()[0]
    return first in gazetteer.first_names or bool(_INITIAL.fullmatch(first))


def _is_country(name: str, gazetteer: Gazetteer) -> bool:
    """A country or a larger region; the United Kingdom's four countries (GeoNames' first-level
    divisions) count, since they field national teams."""
    return any(
        e.feature in _NEVER_ORGANISATIONS or (e.feature == "admin1" and e.country_code == "GB")
        for e in gazetteer.lookup(name)
    )


def _a_union_of_places(name: str, gazetteer: Gazetteer) -> bool:
    """ "European Union", "EU": a name the gazetteer gives a continent or region by only as another of
    its names. The model's organisation is the union of states, as news writing means it; the place
    reading (Europe) stays with the places. A name in capitals is not a town written in lower case:
    "EU" is not Eu, the French town."""
    entries = [
        e
        for e in gazetteer.lookup(name)
        if not (name.isupper() and e.name != name and fold(e.name) == fold(name))
    ]
    return bool(entries) and all(
        e.feature in ("continent", "region") and fold(e.name) != fold(name) for e in entries
    )


def _not_an(label: str, name: str, gazetteer: Gazetteer) -> bool:
    """Whether a place name the model labelled a person or an organisation is the place instead. A
    person named like small towns only is the person ("Clinton", "Townsend", "Houghton": surnames that
    are also towns); like a country, a state or a city, the place ("Mali", "Georgia", "Florence")."""
    if label != "PER":
        return _is_country(name, gazetteer)
    return any(e.feature != "city" or e.population >= PERSON_TOWN_POPULATION for e in gazetteer.lookup(name))


def _mention(start: int, written: str, label: str, name: str) -> Mention:
    """The mention of `name` inside what was found at `start`: the offsets of the name alone when it is
    written there ("Biden" inside "President Biden's"), else of the whole find."""
    offset = written.find(name)
    if offset < 0:
        return Mention(start, start + len(written), label, written)
    return Mention(start + offset, start + offset + len(name), label, name)


def english_mentions(
    doc: Any,
    gazetteer: Gazetteer,
    places: frozenset[str] = frozenset(),
    classes: list[WordClass | None] | None = None,
) -> list[Mention]:
    """The model's mentions, the people it missed that a known first name reveals (on CoNLL-2003, en,
    dev: people F1 0.783 -> 0.813), and the teams of results lines."""
    text = doc.text  # spaCy joins it from the tokens on every access
    mentions = model_mentions(doc, gazetteer, places, classes, text)
    for p in pattern_mentions(text, gazetteer):
        if p.label != "PER" or is_common_word(p.text.split()[-1].lower()):
            continue
        inside = [m for m in mentions if _overlaps(m, [p])]
        # A known first name and a surname hold the single words the model cut out of them ("Natasha" as
        # an organisation, "Langrova" alone, in "Natasha Zvereva", "Petra Langrova"). A name it read
        # whole stays as read, as an organisation too ("Philip Morris"); a longer run around a name it
        # found is a title or a nationality before it ("German Defence Minister Volker Ruehe").
        if fold(p.text.split()[0]) in gazetteer.nationalities:
            continue
        if all(
            p.start <= m.start and m.end <= p.end and " " not in m.text and m.end - m.start < p.end - p.start
            for m in inside
        ):
            mentions = [m for m in mentions if m not in inside] + [p]
    teams = team_mentions(text, gazetteer)
    # Tables hold lines of one or two teams, line-ups more: what one step changes, the other never reads.
    tables = _tables(text, mentions, teams, gazetteer)
    mentions = _teams_called_people(mentions, teams, tables)
    mentions, teams = _lineups(text, mentions, teams, gazetteer.first_names)
    mentions, teams = _leaderboards(mentions, teams, tables)
    # A name in a scorer's place is a person, whatever the model made of it ("Brightwell" as a firm).
    scorers = _scorers(text)
    mentions = [m for m in mentions if m.label != "ORG" or not any(_within(m, s) for s in scorers)]
    mentions += [p for p in scorers if not _overlaps(p, mentions)]
    mentions += [t for t in teams if not _overlaps(t, mentions)]
    mentions = _sides_called_people(text, sorted(mentions, key=lambda m: m.start))
    mentions = [m for m in mentions if not (m.label == "PER" and _PLACE_NOUN_AFTER.match(text, m.end))]
    return sorted(_people_by_surname(mentions), key=lambda m: m.start)


# A "person" followed by the kind of place it names is that place's name: "the mountainous Jebel
# al-Akhdar region", "London Heathrow airport", "the Nelson Mandela stadium".
_PLACE_NOUN_AFTER = re.compile(
    r"\s+(?:region|province|district|county|valley|river|mountains?|island|islands|peninsula|desert|"
    r"airport|airbase|stadium|arena|prison|camp|bridge|square|street|avenue|port|harbour|harbor|"
    r"canal|dam|pass|border|crossing|village|town|suburb|township|refinery|mine|oilfield)\b"
)
_AFTER_THE = re.compile(r"(?:^|\W)the\s+$", re.I)
_NEXT_WORD = re.compile(r"\s+([a-z]+)\b")
_BEFORE_A_PERSON = re.compile(r"(?P<possessive>['’]s)?\s+(?P<roles>(?:[a-z][\w-]*\s+){0,2})")


def _sides_called_people(text: str, mentions: list[Mention]) -> list[Mention]:
    """People that are a side: "the Cleveland Indians", "the Brewers" (a person's name takes no article;
    on CoNLL-2003 4 of some 1,400 do, "the Clintons"), which are named as teams are; "Everton's Duncan
    Ferguson", "Springbok scrum-half Joost van der Westhuizen", "West Indies batsman Brian Lara" (what
    stands before a person's role, or owns the person directly, is the team or the country), dropped."""
    after_the = {id(m) for m in mentions if _AFTER_THE.search(text, max(0, m.start - 5), m.start)}
    # The words of the people named without an article: "the Marc Dutroux case" is his when the story
    # names him elsewhere, "the Santiago Bernabeu stadium" is a place's.
    named = {w for m in mentions if m.label == "PER" and id(m) not in after_the for w in m.text.split()}
    kept = []
    for i, m in enumerate(mentions):
        if m.label != "PER":
            kept.append(m)
            continue
        if id(m) in after_the and m.text.split()[-1] not in named:
            noun = _NEXT_WORD.match(text, m.end)
            if not (noun and reads_as_a_noun(noun.group(1))):
                kept.append(Mention(m.start, m.end, "ORG", m.text, m.name))
            continue
        after = _BEFORE_A_PERSON.match(text, m.end)
        following = mentions[i + 1] if i + 1 < len(mentions) else None
        if after and following and following.label == "PER" and following.start == after.end():
            roles = after.group("roles")
            if (after.group("possessive") and not roles) or (
                roles and not after.group("possessive") and _TITLE.fullmatch(roles)
            ):
                continue
        kept.append(m)
    return kept


def _teams_called_people(mentions: list[Mention], teams: list[Mention], tables: list[Table]) -> list[Mention]:
    """One sense per table: the "people" the model and the first names find in a table of results or
    standings whose other rows are teams are teams too ("Graafschap Doetinchem 18 9 3 6 29 22 30" among
    the Eredivisie's clubs, "Alba Berlin (Germany) 9 5 4 14", "London Irish 27 Bristol 28"); a golf
    leaderboard, a race's results or a scorecard, where at least half the rows hold a person or begin with
    a known first name, keeps its people. A table is a run of
    consecutive results lines (team_mentions) of one or two teams each; a line of more names is a line-up."""
    replaced: dict[int, Mention] = {}  # id of a person mention -> its team
    for table, _, covered, people_rows in tables:
        if people_rows:
            continue  # rows of people: a leaderboard, a race, a scorecard
        for i in table:
            for p in covered[i]:
                replaced[id(p)] = teams[i]
    return [replaced.get(id(m), m) for m in mentions]


# A table's team runs (indices into teams), the line of every run, the people inside each run, and
# whether it is a table of people.
Table = tuple[list[int], list[int], dict[int, list[Mention]], bool]


def _tables(text: str, mentions: list[Mention], teams: list[Mention], gazetteer: Gazetteer) -> list[Table]:
    """The tables of results lines: for each, its team runs (indices into teams), the line of every run,
    the people inside each run, and whether at least half its rows hold a person or begin with a known
    first name (a table of people)."""
    breaks = [m.start() for m in re.finditer("\n", text)] if teams else []
    line_of = [bisect_left(breaks, t.start) for t in teams]
    per_line = Counter(line_of)
    tables: list[list[int]] = []  # indices into teams
    for i, line in enumerate(line_of):
        if per_line[line] > 2:
            continue  # a line-up or a list of scorers, not a result or a standing: people
        if tables and line - line_of[tables[-1][-1]] <= 1:
            tables[-1].append(i)
        else:
            tables.append([i])
    people = [m for m in mentions if m.label == "PER"]
    found = []
    for table in tables:
        covered = {i: [p for p in people if _within(p, teams[i])] for i in table}
        rows = {line_of[i] for i in table}
        named = {
            line_of[i] for i in table if _a_person_row(teams[i], covered[i], per_line[line_of[i]], gazetteer)
        }
        found.append((table, line_of, covered, len(named) * 2 >= len(rows)))
    return found


def _a_person_row(team: Mention, covered: list[Mention], teams_on_line: int, gazetteer: Gazetteer) -> bool:
    """Whether a results line's run names a person: it begins with a known first name or an initial
    ("Megan Gerety (U.S.) 51", "S. Campbell c Healy b Gillespie 31"), the model found a person there of
    two words or more one of which is neither a common word nor a place ("Jim Courier (U.S.)"), or a
    person in a line of one run (a bowler's figures). A result between two "people" named by places and
    common words only, or by one word each, is a result between teams ("London Irish 27 Bristol 28",
    "Orrell 13 Bath 56")."""
    if _begins_with_a_first_name(team.text, gazetteer):
        return True
    for p in covered:
        words = p.text.split()
        if _begins_with_a_first_name(p.text, gazetteer) or (
            len(words) > 1
            and any(not is_common_word(w.lower()) and fold(w) not in gazetteer.names for w in words)
        ):
            return True
    return bool(covered) and teams_on_line == 1


def _leaderboards(
    mentions: list[Mention], teams: list[Mention], tables: list[Table]
) -> tuple[list[Mention], list[Mention]]:
    """One sense per table, the other way: in a table of people (standings of a race, a leaderboard) a
    row's first name of two words or more that the model did not read as a person whole is the row's
    person too ("10= Megan Gerety (U.S.) 51", which it took for an organisation), not a team."""
    players: dict[int, Mention] = {}  # id of a team run -> the person it is
    for table, line_of, covered, people_rows in tables:
        if not people_rows or len(table) < 3:
            continue
        seen_rows: set[int] = set()
        for i in table:
            row = line_of[i]
            if row in seen_rows:
                continue  # the row's other names: a team, a country, a horse's trainer
            seen_rows.add(row)
            # A surname alone the model read ("Lane" of "Picabo Lane") is no whole name.
            if " " in teams[i].text and all(" " not in p.text for p in covered[i]):
                players[id(teams[i])] = replace(teams[i], label="PER")
    if not players:
        return mentions, teams
    named = list(players.values())
    kept = [m for m in mentions if not any(_within(m, p) for p in named)]
    return kept, [players.get(id(t), t) for t in teams]


# What follows a team's name at the head of its line-up: "South Africa - 15 - Andre Joubert, …", "Leeds:".
_LINEUP_HEAD = re.compile(r"\s*(?:-\s|:)")
_LIST_SEPARATOR = re.compile(r"[,;]")
_SHIRT_NUMBER = re.compile(r"(?<!\d)\d{1,2}\s*-\s*$")


def _lineups(
    text: str, mentions: list[Mention], teams: list[Mention], first_names: frozenset[str]
) -> tuple[list[Mention], list[Mention]]:
    """One sense per line-up: in a list of more than two names among numbers ("13 - Japie Mulder (Joel
    Stransky, 48 mins) 12 - Danie van Schalkwyk, …"), where more than half the names are people (the
    model's, or a known first name and more) or most follow a shirt number, the others are people too,
    not the teams a line of numbers otherwise names, nor the organisations the model took some for
    ("Alama Ieremia"). The team whose line-up it is, at the line's head, stays a team."""
    breaks = [m.start() for m in re.finditer("\n", text)] if teams else []
    by_line: dict[int, list[Mention]] = defaultdict(list)
    for t in teams:
        by_line[bisect_left(breaks, t.start)].append(t)
    people = [m for m in mentions if m.label == "PER"]
    players: dict[int, Mention] = {}  # id of a team run -> the person it is
    substitutes: list[Mention] = []
    for runs in by_line.values():
        line_start = text.rfind("\n", 0, runs[0].start) + 1
        line_end = text.find("\n", line_start)
        line = text[line_start : line_end if line_end >= 0 else None]
        if len(runs) <= 2 or len(_LIST_SEPARATOR.findall(line)) < 2:
            continue  # a result, a standing, or a table of figures ("Ras Tanura / Red Sea W46.50")
        at_head = not text[line_start : runs[0].start].strip() and _LINEUP_HEAD.match(text, runs[0].end)
        head = runs[0] if at_head else None
        names = [r for r in runs if r is not head]
        named = [
            r
            for r in names
            # A first name and more: one word alone may be a club ("Chelsea", "Everton").
            if (" " in r.text and r.text.split()[0] in first_names) or any(_within(p, r) for p in people)
        ]
        # Shirt numbers before the names ("20 - Hendro Kartiko; 2 - Agung Setyabudi"): a team sheet,
        # whoever the model knows on it.
        numbered = [r for r in names if _SHIRT_NUMBER.search(text, max(0, r.start - 8), r.start)]
        if len(named) * 2 > len(names) or len(numbered) * 2 > len(names) >= 3:
            players.update({id(r): replace(r, label="PER") for r in names})
            substitutes += _substitutes(line, line_start)
    if not players:
        return mentions, teams
    # The model's organisations inside a player's name ("van Schalkwyk" of "Danie van Schalkwyk"), and the
    # part of it it read as a person ("Berg"), are that player, once.
    kept: list[Mention] = []
    named = [*players.values(), *substitutes]
    for m in mentions:
        player = next(
            (p for p in named if _within(m, p) and (m.label == "ORG" or m.end - m.start < p.end - p.start)),
            None,
        )
        if player is None:
            kept.append(m)
        elif player not in kept:
            kept.append(player)
    kept += [p for p in substitutes if not _overlaps(p, kept)]
    return kept, [players.get(id(t), t) for t in teams]


# A substitute in brackets in a line-up, with the minute he came on: "(Joel Stransky, 48 mins)", "(15 -
# Francis Wewengken 36)", "(Alama Ieremia, 70)".
_SUBSTITUTE = re.compile(
    r"\(\s*(?:\d{1,2}\s*-\s*)?([A-Z][\w'’-]*[a-z][\w'’-]*(?:[ \t]+(?:van|de|der|den|[A-Z][\w'’-]*)){1,3}),?"
    r"\s+\d{1,3}(?:st|nd|rd|th)?(?:\s*mins?\.?)?\s*\)"
)


def _substitutes(line: str, offset: int) -> list[Mention]:
    return [
        Mention(offset + m.start(1), offset + m.end(1), "PER", m.group(1)) for m in _SUBSTITUTE.finditer(line)
    ]


# A score, then in brackets who scored and when: "Everton 2 (Branch 17, Kanchelskis 28)", "Somerset 83
# and 174 (P. Simmons 4-38)", "Derbyshire 471 (J. Adams 123, T.O'Gorman 109 not out; T. Moody 6-82)".
_SCORERS = re.compile(r"(?<![\w.])\d{1,3}(?:-\d{1,3})?\s*\(([^()]{1,300})\)")
_SCORER = re.compile(
    r"^\s*((?:[A-Z]\.\s?)*[A-Z][\w'’-]*[a-z][\w'’-]*(?:[ \t]+(?:van|de|der|[A-Z][\w'’-]*[a-z][\w'’-]*)){0,2})"
    r"\s+\d{1,3}(?:-\d{1,3})?(?:\s+(?:not out|pen|og))?\s*$"
)


def _scorers(text: str) -> list[Mention]:
    """The people in brackets after a score, each with a minute, runs or figures: scorers, batsmen,
    bowlers. A name alone there ("(Germany) 9 5 4") or a word in lower case ("(halftime 1-0)") is none."""
    found = []
    for group in _SCORERS.finditer(text):
        offset = group.start(1)
        for item in re.finditer(r"[^,;]+", group.group(1)):
            if m := _SCORER.match(item.group()):
                start = offset + item.start() + m.start(1)
                found.append(Mention(start, start + len(m.group(1)), "PER", m.group(1)))
    return found


def _surnames(mentions: list[Mention]) -> set[str]:
    """The last words of the people named in full."""
    return {m.text.split()[-1] for m in mentions if m.label == "PER" and " " in m.text}


def _people_by_surname(mentions: list[Mention]) -> list[Mention]:
    """One sense per story: a lone word the model calls an organisation that is the surname of a
    person the story names in full is that person ("Major" beside "John Major", "Clarke" beside
    "Kenneth Clarke")."""
    surnames = _surnames(mentions)
    return [
        replace(m, label="PER") if m.label == "ORG" and " " not in m.text and m.text in surnames else m
        for m in mentions
    ]


def _within(mention: Mention, other: Mention) -> bool:
    return other.start <= mention.start and mention.end <= other.end


def _overlaps(mention: Mention, others: list[Mention]) -> bool:
    return any(mention.start < o.end and o.start < mention.end for o in others)


_NUMBER = re.compile(r"(?<![\w.])\d+(?:[-.:]\d+)?(?![\w])")
_LOWER_WORD = re.compile(r"\b[a-z]{3,}\b")
_CAPITALISED_RUN = re.compile(
    r"\b[A-Z][\w.'&-]*(?:[ \t]+(?:[A-Z][\w.'&-]*|der|den|del|de|of|the|and|&|van|von|da|di|du))*(?<![ .])"
)
_PARENTHESES = re.compile(r"\([^)]*\)")
# A line of figures, not of results: a signed decimal change ("+0.435", "-0.629"), which no score,
# standing or race time has (a telephone's "+44" is no decimal).
_FIGURES = re.compile(r"(?<![\w.:])[+-]\d+\.\d")
# A contact line ("-- Jakarta newsroom +6221 384-6364"): a telephone number with its country code.
_TELEPHONE = re.compile(r"(?<![\w.])\+\d{2,}[ ()-]*\d{3,}")
_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
# Words of results tables and scorecards that name no team, and a dateline ("LONDON 1996-08-22").
RESULTS_LABELS = frozenset(
    "Halftime Half-time Attendance Scorers Scorer Result Results Standings Note Played Points Division "
    "Group Round Final Semifinal Semi-final Quarterfinal Quarter-final Week Day Leading Top Table Ht Ft Pts "
    "Extras Total Totals Bowling Batting Fall Innings Overs Net Sales Fax Tel Current Previous Scores "
    "Eastern Western Central Northern Southern Conference League Conference Home Away Weather".split()
)
_DATELINE = re.compile(r"^\W*[A-Z][A-Z .'-]+\W+\d{4}-\d{2}-\d{2}\W*$")
# A dateline's place at a line's start: a name in capitals, then where it is, before a date, the
# agency or a dash.
_DATELINE_HEAD = re.compile(
    r"^[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+){0,3}(?:, [A-Z][\w.'-]*(?: [A-Z][\w.'-]*){0,3})?"
    r"(?= +(?:\d{4}-\d{2}-\d{2}|\(|--|\u2014|\u2013|- ))",
    re.M,
)


def team_mentions(text: str, gazetteer: Gazetteer) -> list[Mention]:
    """Teams in results and standings lines ("Pohang 3 Ulsan 2 (halftime 1-0)", "Chonbuk 0 0 3 3 7 0",
    "CHICAGO 5 Detroit 3"): a line of numbers with hardly a lower-case word names teams, which take their
    towns' names and which the model calls places. People in such lines (bowling figures, race results)
    are left to the model and the first names, which run before."""
    mentions = []
    offset = 0
    for line in text.split("\n"):
        if (
            len(_NUMBER.findall(line)) >= 2
            and not _FIGURES.search(line)
            and not _TELEPHONE.search(line)
            and len(_LOWER_WORD.findall(_PARENTHESES.sub("", line))) <= 3
            and not _DATELINE.match(line)
            and not _DATELINE_HEAD.match(line)
        ):
            masked = _PARENTHESES.sub(lambda m: " " * len(m.group()), line)
            for run in _CAPITALISED_RUN.finditer(masked):
                name = run.group()
                words = name.split()
                if (
                    words[0] in RESULTS_LABELS
                    # "Portsmouth: Middlesex 199 and 426": where the match was played, then the scores.
                    or (run.start() == 0 and masked[run.end() : run.end() + 1] == ":")
                    or fold(words[0]) in _MONTHS  # "July 96 June 96", "Feb 97 79.94"
                    or all(len(w) <= 3 and w.isupper() for w in words)  # column heads: "W L PCT GB"
                    # National teams are their countries (as CoNLL marks them).
                    or _is_country(name, gazetteer)
                ):
                    continue
                mentions.append(Mention(offset + run.start(), offset + run.end(), "ORG", name))
        offset += len(line) + 1
    return mentions


def pattern_mentions(text: str, gazetteer: Gazetteer) -> list[Mention]:
    mentions = []
    for found in find_names(text, gazetteer):
        written = found.text(text)
        name = clean_name(written, found.label)
        if name:
            mentions.append(_mention(found.start, written, found.label, name))
    return sorted(mentions + _surname_mentions(text, mentions), key=lambda m: m.start)


def _surname_mentions(text: str, mentions: list[Mention]) -> list[Mention]:
    """Later mentions of a person by surname alone ("Aznar" after "José María Aznar"), which a first name
    cannot reveal: they count for the person's rank and are highlighted as theirs."""
    taken = [(m.start, m.end) for m in mentions]
    surnames = _surnames(mentions)
    found = []
    for surname in surnames:
        for match in re.finditer(r"(?<!\w)" + re.escape(surname) + r"(?!\w)", text):
            if not any(a <= match.start() < b for a, b in taken):
                found.append(Mention(match.start(), match.end(), "PER", surname))
    return found


def canonical(mentions: list[Mention]) -> tuple[list[Mention], list[str], list[str]]:
    """Each mention named by its entity's canonical name, and the people and organisations, most
    mentioned first. A name that is a whole-word part of a longer one of the same kind is that entity
    ("Wagner" of "Wagner Group", "Biden" of "Joe Biden"); when it is part of several, of the most
    mentioned."""
    by_label: dict[str, Counter[str]] = defaultdict(Counter)
    for m in mentions:
        by_label[m.label][m.text] += 1
    longer_of: dict[tuple[str, str], str] = {}  # a name -> a longer name of the same entity
    canonical_of: dict[tuple[str, str], str] = {}
    ranked: dict[str, list[str]] = {}
    for label, counts in by_label.items():
        names = sorted(counts, key=lambda n: (-len(n), n))
        totals = Counter(counts)
        for short in sorted(counts, key=len):
            # The substring test first: the pattern is built only for the few names that hold the short one.
            whole_word = None
            longer = []
            for n in names:
                if len(n) > len(short) and short in n:
                    whole_word = whole_word or re.compile(r"(?<!\w)" + re.escape(short) + r"(?!\w)")
                    if whole_word.search(n):
                        longer.append(n)
            if longer:
                target = max(longer, key=lambda n: (counts[n], len(n)))
                longer_of[(label, short)] = target
        for name in counts:
            root = name
            while (label, root) in longer_of:
                root = longer_of[(label, root)]
            canonical_of[(label, name)] = root
            if root != name:
                totals[root] += totals.pop(name)
        # Ties keep the order of first mention.
        ranked[label] = [n for n, _ in sorted(totals.items(), key=lambda kv: -kv[1])]
    named = [replace(m, name=canonical_of[(m.label, m.text)]) for m in mentions]
    return named, ranked.get("PER", []), ranked.get("ORG", [])
