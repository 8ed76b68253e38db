"""A search request and its answer, the same for the CLI, the HTTP API and every store."""

from __future__ import annotations

import re
import shlex
from datetime import date, datetime

from pydantic import BaseModel, Field, field_validator

from newsflow.schemas import EnrichedArticle


class Near(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    km: float = Field(gt=0, le=20_000)

    @classmethod
    def parse(cls, value: str) -> Near:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 3:
            raise ValueError("near takes LAT,LON,KM")
        lat, lon, km = (float(p) for p in parts)
        return cls(lat=lat, lon=lon, km=km)


class SearchQuery(BaseModel):
    q: str = ""
    country: str | None = Field(default=None, description="ISO-2: any place in the story is in this country")
    near: Near | None = None
    tag: str | None = Field(default=None, description="a person, organisation, keyword, topic or country")
    since: datetime | None = Field(default=None, description="published (or first seen) at or after")
    limit: int = Field(default=20, ge=1, le=500)
    offset: int = Field(default=0, ge=0)

    @field_validator("country")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.fullmatch(r"[A-Za-z]{2}", v):
            raise ValueError("country takes an ISO 3166-1 alpha-2 code, e.g. ML")
        return v.upper()

    @field_validator("since", mode="before")
    @classmethod
    def _date(cls, v: object) -> object:
        if isinstance(v, date) and not isinstance(v, datetime):
            return datetime(v.year, v.month, v.day)
        if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            return v + "T00:00:00Z"
        return v


class SearchHit(BaseModel):
    article: EnrichedArticle
    score: float | None = None
    snippet: str | None = None


class SearchPage(BaseModel):
    total: int
    results: list[EnrichedArticle]
    snippets: dict[str, str] = Field(default_factory=dict)


def parse_terms(q: str) -> tuple[list[list[str]], list[str]]:
    """Web-search style input: words and "quoted phrases" are all required, OR joins alternatives,
    a leading minus excludes. Returns (groups of alternatives, excluded terms)."""
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
