"""The events that flow through newsflow: urls -> articles -> enriched. One place, versioned.

`EnrichedArticle` is the public contract of the `news.enriched` stream and of the search API;
its JSON Schema is exported to schema/enriched-article.v1.json (`newsflow schema`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

SCHEMA_VERSION = 1


def _to_utc(value: datetime) -> datetime:
    # Naive datetimes from pages are taken as UTC: better a known convention than a guess per site.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    return _to_utc(value).isoformat().replace("+00:00", "Z")


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_to_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UrlSubmitted(BaseModel):
    """An entry of news.urls. Plain `XADD news.urls * url https://...` is a valid one."""

    model_config = ConfigDict(extra="ignore")

    url: str = Field(min_length=1, max_length=4096)
    force: bool = False
    source: str | None = None


class Place(BaseModel):
    name: str = Field(description="the mention as written in the text")
    field: Literal["text", "captions"] = Field(
        default="text", description="where the mention is: `text`, or `captions` joined by newlines"
    )
    start: int = Field(description="character offset of the mention in that field")
    end: int
    lat: float
    lon: float
    country_code: str | None = Field(description="ISO 3166-1 alpha-2")
    geonameid: int | None
    feature: str = Field(
        description="country, city, admin1 (a state or province), admin2 (a county), region (of"
        " countries), continent or sea (an ocean, sea, gulf or lake)"
    )
    resolved_name: str | None = Field(default=None, description="the gazetteer's name for the referent")
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


class Entity(BaseModel):
    """A mention of a person or an organisation in the article's text."""

    text: str = Field(description="the mention as written, without titles or a possessive")
    start: int = Field(description="character offset of the mention in the article's text")
    end: int = Field(description="character offset just past the mention")
    label: Literal["PER", "ORG"] = Field(description="PER: a person; ORG: an organisation")
    name: str = Field(
        description="the canonical name of the entity mentioned, as listed in people or organizations"
    )


class TopicScore(BaseModel):
    """A topic of the article, in IPTC Media Topics' top level (README, section Topics)."""

    topic: str = Field(description="newsflow's slug for the topic, as listed in topics")
    medtop: str = Field(description="the IPTC Media Topics code of the top-level subject")
    label: str = Field(description="IPTC's name for the subject")
    confidence: float = Field(
        ge=0.0, le=1.0, description="the topic's share of the article's topic vocabulary"
    )


class Focus(BaseModel):
    """Where the story happens: its main country, and its main place when one stands out."""

    country_code: str | None
    name: str | None = None
    lat: float | None = None
    lon: float | None = None
    geonameid: int | None = None
    feature: str | None = None
    confidence: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="the focus country's share of the story's place mentions, the title's weighing double",
    )


class Article(BaseModel):
    """An entry of news.articles: what ingest extracted from one page."""

    model_config = ConfigDict(extra="ignore")

    schema_version: int = SCHEMA_VERSION
    id: str = Field(description="stable: derived from the canonicalised URL")
    url: str = Field(description="the URL as pushed")
    canonical_url: str
    final_url: str | None = Field(default=None, description="where redirects ended")
    title: str | None = None
    text: str = ""
    captions: list[str] = Field(
        default_factory=list, description="captions and alt texts of the article's images"
    )
    description: str | None = None
    authors: list[str] = Field(default_factory=list)
    credits: list[str] = Field(
        default_factory=list, description="news agencies the page credits as sources (its credit line)"
    )
    published_at: UtcDatetime | None = Field(
        default=None,
        description="the publication instant in UTC; when published_time_known is false only its day is"
        " known, and this is that day's 00:00Z",
    )
    published_local: str | None = Field(
        default=None,
        description="the publication time as the page states it: ISO 8601 with the page's own UTC offset"
        " (2023-11-08T21:11:03-05:00), or a bare date (2023-11-08) when the page gives no time; its date"
        " is the publisher's local day",
    )
    published_time_known: bool | None = Field(
        default=None, description="false when the page gives only a publication day, not a time"
    )
    modified_at: UtcDatetime | None = None
    language: str | None = None
    site_name: str | None = None
    image_url: str | None = None
    section: str | None = None
    page_keywords: list[str] = Field(default_factory=list)
    fingerprint: str | None = Field(
        default=None,
        description="64-bit SimHash of the body (16 hex digits); copies of one story differ in a few bits",
    )
    duplicate_of: str | None = Field(
        default=None,
        description="id of an earlier article this one copies (same canonical URL, or a body "
        "within 7 bits of its fingerprint), within the dedup window",
    )
    fetched_at: UtcDatetime


class EnrichedArticle(Article):
    """An entry of news.enriched (schema version 1): the article plus places and tags."""

    places: list[Place] = Field(default_factory=list)
    focus: Focus | None = None
    countries: list[str] = Field(default_factory=list, description="ISO-2 codes, most mentioned first")
    people: list[str] = Field(default_factory=list, description="canonical names, most mentioned first")
    organizations: list[str] = Field(
        default_factory=list, description="canonical names, most mentioned first"
    )
    entities: list[Entity] = Field(
        default_factory=list,
        description="each mention of a person or an organisation in the text, in text order",
    )
    keywords: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list, description="topic slugs, first topic first")
    topic_scores: list[TopicScore] = Field(
        default_factory=list, description="the topics with their IPTC Media Topics codes and confidence"
    )
    enriched_at: UtcDatetime


def enriched_json_schema() -> dict:
    schema = EnrichedArticle.model_json_schema(mode="serialization")
    schema["$id"] = "https://newsflow.dev/schema/enriched-article.v1.json"
    schema["title"] = "EnrichedArticle (newsflow schema version 1)"
    return schema
