"""A search request and its answer: one contract for the CLI, the HTTP API and every store.

Query text uses web-search syntax, as PostgreSQL's websearch_to_tsquery reads it: words and
"quoted phrases" are all required, OR between two terms makes either enough, a leading minus
excludes. Each store turns a SearchQuery into its own SQL; the semantics are the same (the
contract tests run one suite against both).
"""

from __future__ import annotations

import base64
import json
import math
import re
import shlex
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from newsflow.schemas import EnrichedArticle
from newsflow.text import fold

# Counted from each article's tags; site and day come from its columns.
TAG_FACETS = ("country", "topic", "organization", "person")
FACETS = (*TAG_FACETS, "site", "day")
FACET_SIZE = 10
FACET_DAYS = 31


EARTH_RADIUS_KM = 6371.0088
# Words in one query: each OR'd word adds a posting list to merge and rank, and a search's cost grows
# faster than their number. 32 is several times what a person types.
MAX_TERMS = 32
_OPERATORS = {"or", "and", "not", "near"}


class SearchTimeout(Exception):
    """A search ran past the store's time limit (NEWSFLOW_SEARCH_TIMEOUT_S) and was stopped."""

    def __init__(self, seconds: float):
        super().__init__(
            f"the search took longer than {seconds:g} s and was stopped; a filter, a date range"
            " or rarer words make it cheaper"
        )
        self.seconds = seconds


class Near(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    km: float = Field(gt=0, le=20_000)

    def box(self) -> tuple[float, float, tuple[float, float] | None]:
        """(min lat, max lat, (west lon, east lon) or None for every longitude): the smallest lat/lon
        box holding the circle (bounding coordinates, J. P. Matuschek). West is east of east when the
        box crosses the antimeridian."""
        r = self.km / EARTH_RADIUS_KM
        lat = math.radians(self.lat)
        low, high = math.degrees(lat - r), math.degrees(lat + r)
        if low <= -90 or high >= 90:  # a pole is inside
            return max(low, -90.0), min(high, 90.0), None
        dlon = math.degrees(math.asin(min(1.0, math.sin(r) / math.cos(lat))))
        if dlon >= 180:
            return low, high, None
        wrap = lambda lon: (lon + 180) % 360 - 180  # noqa: E731
        return low, high, (wrap(self.lon - dlon), wrap(self.lon + dlon))

    def haversine_limit(self) -> float:
        """The haversine term (sin²(Δlat/2) + cos lat1 cos lat2 sin²(Δlon/2)) at `km`: it grows with the
        distance, so comparing it with this is the great-circle check without an asin per row."""
        return math.sin(self.km / (2 * EARTH_RADIUS_KM)) ** 2

    @classmethod
    def parse(cls, value: str) -> Near:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 3:
            raise ValueError("near takes LAT,LON,KM")
        lat, lon, km = (float(p) for p in parts)
        return cls(lat=lat, lon=lon, km=km)


class BBox(BaseModel):
    min_lon: float = Field(ge=-180, le=180)
    min_lat: float = Field(ge=-90, le=90)
    max_lon: float = Field(ge=-180, le=180)
    max_lat: float = Field(ge=-90, le=90)

    @classmethod
    def parse(cls, value: str) -> BBox:
        parts = [float(p) for p in value.split(",")]
        if len(parts) != 4:
            raise ValueError("bbox takes MIN_LON,MIN_LAT,MAX_LON,MAX_LAT")
        box = cls(min_lon=parts[0], min_lat=parts[1], max_lon=parts[2], max_lat=parts[3])
        if box.min_lat > box.max_lat:
            raise ValueError("bbox: MIN_LAT is above MAX_LAT")
        return box


def _iso2(v: str | None) -> str | None:
    if v is None:
        return v
    if not re.fullmatch(r"[A-Za-z]{2}", v):
        raise ValueError("takes an ISO 3166-1 alpha-2 code, e.g. ML")
    return v.upper()


def _day(v: object) -> object:
    if isinstance(v, date) and not isinstance(v, datetime):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return v + "T00:00:00Z"
    return v


class SearchQuery(BaseModel):
    q: str = Field(default="", max_length=1000, description=f"at most {MAX_TERMS} words")
    country: str | None = Field(default=None, description="ISO-2: any place in the story is in this country")
    focus_country: str | None = Field(default=None, description="ISO-2: the story's main country")
    place: str | None = Field(default=None, description="a GeoNames id, or a place name")
    near: Near | None = None
    bbox: BBox | None = None
    person: str | None = None
    organization: str | None = None
    keyword: str | None = None
    topic: str | None = None
    tag: str | None = Field(
        default=None, description="any of: person, organisation, keyword, topic, place, country"
    )
    language: str | None = None
    site: str | None = None
    since: datetime | None = Field(default=None, description="published (or first seen) at or after")
    until: datetime | None = Field(default=None, description="published (or first seen) before")
    sort: Literal["relevance", "date"] = "relevance"
    limit: int = Field(default=20, ge=1, le=500)
    cursor: str | None = None
    facets: bool = False

    _check_cc = field_validator("country", "focus_country")(classmethod(lambda cls, v: _iso2(v)))
    _check_day = field_validator("since", "until", mode="before")(classmethod(lambda cls, v: _day(v)))

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        # NUL ends a C string: SQLite refuses it with an OperationalError, PostgreSQL with a DataError.
        if isinstance(data, dict):
            for name, value in data.items():
                if isinstance(value, str) and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
                    raise ValueError(f"{name}: control characters are not allowed")
        return data

    @field_validator("q")
    @classmethod
    def _few_enough_terms(cls, value: str) -> str:
        terms = [w for w in re.findall(r"\w+", value) if w.casefold() not in _OPERATORS]
        if len(terms) > MAX_TERMS:
            raise ValueError(f"{len(terms)} words; a search takes at most {MAX_TERMS}")
        return value

    @model_validator(mode="after")
    def _check(self) -> SearchQuery:
        if self.cursor is not None:
            decode_cursor(self.cursor)  # a bad cursor is a bad request, not a server error
        return self

    @property
    def by_date(self) -> bool:
        """Relevance needs query text; without it, newest first."""
        return self.sort == "date" or not parse_terms(self.q)[0]

    def required_tags(self) -> list[tuple[str, str]]:
        """(kind, folded value) pairs that a hit must carry, one each."""
        wanted = []
        for kind, value in (
            ("country", self.country),
            ("focus_country", self.focus_country),
            ("person", self.person),
            ("organization", self.organization),
            ("keyword", self.keyword),
            ("topic", self.topic),
            ("site", self.site),
        ):
            if value:
                wanted.append((kind, fold(value)))
        if self.place:
            wanted.append(("place_id", self.place) if self.place.isdigit() else ("place", fold(self.place)))
        return wanted

    def any_tag(self) -> list[tuple[str, str]]:
        """(kind, value) pairs of which a hit must carry at least one (the --tag filter)."""
        if not self.tag:
            return []
        key = fold(self.tag)
        return [(kind, key) for kind in ("person", "organization", "keyword", "topic", "place", "country")]


class SearchParams(BaseModel):
    """A search as flat text parameters (URL query, CLI options): near and bbox as "a,b,c" strings."""

    model_config = {"extra": "forbid"}

    q: str = ""
    country: str | None = None
    focus_country: str | None = None
    place: str | None = None
    near: str | None = Field(default=None, description="LAT,LON,KM")
    bbox: str | None = Field(default=None, description="MIN_LON,MIN_LAT,MAX_LON,MAX_LAT")
    person: str | None = None
    organization: str | None = None
    keyword: str | None = None
    topic: str | None = None
    tag: str | None = None
    language: str | None = None
    site: str | None = None
    since: str | None = Field(default=None, description="YYYY-MM-DD or ISO datetime")
    until: str | None = Field(default=None, description="YYYY-MM-DD or ISO datetime")
    sort: Literal["relevance", "date"] = "relevance"
    limit: int = Field(default=20, ge=1, le=500)
    cursor: str | None = None
    facets: bool = False

    def to_query(self) -> SearchQuery:
        """Raises ValueError (pydantic's ValidationError is one) with what is wrong."""
        data = self.model_dump(exclude_none=True)
        if self.near:
            data["near"] = Near.parse(self.near)
        if self.bbox:
            data["bbox"] = BBox.parse(self.bbox)
        return SearchQuery(**data)


class SearchPage(BaseModel):
    total: int
    results: list[EnrichedArticle]
    snippets: dict[str, str] = Field(default_factory=dict, description="id -> text with [matches] marked")
    facets: dict[str, dict[str, int]] | None = None
    next_cursor: str | None = None


def rank_facets(rows: Iterable[tuple[str, str, int]]) -> dict[str, dict[str, int]]:
    """A store's (facet, value, hits) counts -> the facets every store answers with: per facet the
    FACET_SIZE values with most hits (ties by value, code-point order), and the newest FACET_DAYS days."""
    counted: dict[str, list[tuple[str, int]]] = {facet: [] for facet in FACETS}
    for facet, value, n in rows:
        counted[facet].append((value, n))
    facets = {
        facet: dict(sorted(pairs, key=lambda vn: (-vn[1], vn[0]))[:FACET_SIZE])
        for facet, pairs in counted.items()
        if facet != "day"
    }
    facets["day"] = dict(sorted(counted["day"], reverse=True)[:FACET_DAYS])
    return facets


def next_cursor(q: SearchQuery, last: tuple[str, int] | None, offset: int) -> str | None:
    """The cursor of the next page, given the (sort_at, seq) of this page's last row when more follow:
    a keyset in date order, an offset in relevance order (scores are not stored; deep paging is rare)."""
    if last is None:
        return None
    return encode_cursor({"t": last[0], "s": last[1]} if q.by_date else {"o": offset + q.limit})


def encode_cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, json.JSONDecodeError) as exc:
        raise ValueError("invalid cursor") from exc
    if not isinstance(data, dict) or not ({"o"} <= data.keys() or {"t", "s"} <= data.keys()):
        raise ValueError("invalid cursor")
    return data


def parse_terms(q: str) -> tuple[list[list[str]], list[str]]:
    """Web-search style input -> (groups of alternatives, all required; excluded terms)."""
    try:
        raw = shlex.split(q)
    except ValueError:  # an unbalanced quote: read it as plain words
        raw = q.replace('"', " ").split()
    groups: list[list[str]] = []
    excluded: list[str] = []
    join_next = False
    for token in raw:
        if token == "OR":
            join_next = bool(groups)
            continue
        if token.startswith("-") and len(token) > 1:
            excluded.append(token[1:])
            continue
        if join_next:
            groups[-1].append(token)
        else:
            groups.append([token])
        join_next = False
    return groups, excluded
