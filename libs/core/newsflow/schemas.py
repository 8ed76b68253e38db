"""The events that flow through newsflow: urls -> articles -> enriched. One place, versioned.

`EnrichedArticle` is the public contract of the `news.enriched` stream and of the search API;
its JSON Schema, with every other payload's, is published under schema/ by newsflow.contract.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

SCHEMA_VERSION: Literal[1] = 1

# The published schemas are closed: they list every property this release emits, so a field added
# without its description fails the schema tests. The models themselves stay tolerant readers (extra
# properties are ignored, never an error): a worker of an older release reads a newer one's events.
# doc/consumers.md says what may change within version 1.
CLOSED: ConfigDict = ConfigDict(extra="ignore", json_schema_extra={"additionalProperties": False})

CountryCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2}$"), Field(description="ISO 3166-1 alpha-2 code, upper case")
]
LanguageCode = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z]{2,3}$"),
    Field(description="ISO 639-1 code (ISO 639-3 where a language has no two-letter code), lower case"),
]
Feature = Literal["country", "city", "admin1", "admin2", "region", "continent", "sea"]
# newsflow's topic slugs (IPTC Media Topics' top level; services/enrich/newsflow/enrich/topics.py holds
# their vocabularies, and a test keeps the two lists equal).
TopicSlug = Literal[
    "culture",
    "conflict",
    "crime",
    "disaster",
    "economy",
    "education",
    "environment",
    "health",
    "lifestyle",
    "politics",
    "religion",
    "science",
    "society",
    "sport",
    "technology",
    "weather",
]


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
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": r"Z$"}),
]


def utcnow() -> datetime:
    return datetime.now(UTC)


# The fields a news.urls entry shares with its published form (newsflow.contract.UrlEntry).
PageUrl = Annotated[
    str, Field(min_length=1, max_length=4096, description="the page to fetch (http or https)")
]
PushSource = Annotated[str | None, Field(description="who pushed it (free text, kept in the trace)")]
FeedUrl = Annotated[
    str | None,
    Field(
        max_length=4096,
        description="the feed or sitemap that listed the URL, when the discover stage pushed it",
    ),
]


class UrlSubmitted(BaseModel):
    """An entry of news.urls. Plain `XADD news.urls * url https://...` is a valid one."""

    model_config = CLOSED

    url: PageUrl
    force: bool = Field(
        default=False, description="fetch again even when the URL was ingested within the dedup window"
    )
    source: PushSource = None
    feed: FeedUrl = None


class Place(BaseModel):
    """A place mention, resolved to a GeoNames entry."""

    model_config = CLOSED

    name: str = Field(description="the mention as written in the text")
    field: Literal["text", "captions"] = Field(
        default="text", description="where the mention is: `text`, or `captions` joined by newlines"
    )
    start: int = Field(ge=0, description="character offset of the mention in that field")
    end: int = Field(ge=0, description="character offset just past the mention")
    lat: float = Field(ge=-90, le=90, description="latitude of the referent, WGS 84 degrees")
    lon: float = Field(ge=-180, le=180, description="longitude of the referent, WGS 84 degrees")
    country_code: CountryCode | None = Field(
        description="ISO 3166-1 alpha-2 code of the referent's country; null for a continent, a sea or a"
        " region of several countries"
    )
    geonameid: int | None = Field(description="the referent's GeoNames id, when GeoNames has one")
    feature: Feature = Field(
        description="country, city, admin1 (a state or province), admin2 (a county), region (of"
        " countries), continent or sea (an ocean, sea, gulf or lake)"
    )
    resolved_name: str | None = Field(default=None, description="the gazetteer's name for the referent")
    confidence: float = Field(
        default=1.0, ge=0.0, le=1.0, description="how sure the resolution is (1: a single candidate)"
    )


class Entity(BaseModel):
    """A mention of a person or an organisation in the article's text."""

    model_config = CLOSED

    text: str = Field(description="the mention as written, without titles or a possessive")
    start: int = Field(ge=0, description="character offset of the mention in the article's text")
    end: int = Field(ge=0, description="character offset just past the mention")
    label: Literal["PER", "ORG"] = Field(description="PER: a person; ORG: an organisation")
    name: str = Field(
        description="the canonical name of the entity mentioned, as listed in people or organizations"
    )


class TopicScore(BaseModel):
    """A topic of the article, in IPTC Media Topics' top level (README, section Topics)."""

    model_config = CLOSED

    topic: TopicSlug = Field(description="newsflow's slug for the topic, as listed in topics")
    medtop: str = Field(
        pattern=r"^medtop:[0-9]{8}$", description="the IPTC Media Topics code of the top-level subject"
    )
    label: str = Field(description="IPTC's name for the subject")
    confidence: float = Field(
        ge=0.0,
        le=1.0,
        description="the topic's share of the article's topic vocabulary, lower when there is little of it",
    )


class Focus(BaseModel):
    """Where the story happens: its main country, and its main place when one stands out."""

    model_config = CLOSED

    country_code: CountryCode | None = Field(description="ISO 3166-1 alpha-2 code of the story's country")
    name: str | None = Field(default=None, description="the name of the main place (or of the country)")
    lat: float | None = Field(default=None, ge=-90, le=90, description="latitude of the main place")
    lon: float | None = Field(default=None, ge=-180, le=180, description="longitude of the main place")
    geonameid: int | None = Field(default=None, description="GeoNames id of the main place")
    feature: Feature | None = Field(default=None, description="what the main place is, as in places")
    confidence: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="the focus country's share of the story's place mentions, the title's weighing double",
    )


class Article(BaseModel):
    """An entry of news.articles: what ingest extracted from one page."""

    model_config = CLOSED

    schema_version: Literal[1] = Field(
        default=SCHEMA_VERSION, description="the major version of this schema; a reader refuses another"
    )
    id: str = Field(min_length=1, description="stable: derived from the canonicalised URL")
    url: str = Field(description="the URL as pushed")
    canonical_url: str = Field(
        description="the page's canonical URL (its rel=canonical, else the URL normalised), what the id"
        " is derived from"
    )
    final_url: str | None = Field(default=None, description="where redirects ended")
    title: str | None = Field(default=None, description="the headline, without the site's name")
    text: str = Field(default="", description="the body text; paragraphs separated by newlines")
    captions: list[str] = Field(
        default_factory=list, description="captions and alt texts of the article's images"
    )
    description: str | None = Field(default=None, description="the page's summary (meta description)")
    authors: list[str] = Field(default_factory=list, description="the people who wrote it, as named")
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
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2}))?$",
        description="the publication time as the page states it: ISO 8601 with the page's own UTC offset"
        " (2023-11-08T21:11:03-05:00), or a bare date (2023-11-08) when the page gives no time; its date"
        " is the publisher's local day",
    )
    published_time_known: bool | None = Field(
        default=None, description="false when the page gives only a publication day, not a time"
    )
    modified_at: UtcDatetime | None = Field(
        default=None, description="the last modification the page declares"
    )
    language: LanguageCode | None = Field(
        default=None,
        description="ISO 639-1 code (639-3 where there is none) of the text: in news.articles what the page"
        " declares, in news.enriched what enrich detected",
    )
    site_name: str | None = Field(default=None, description="the publication's name, as the page gives it")
    image_url: str | None = Field(default=None, description="the page's lead image")
    section: str | None = Field(default=None, description="the page's section (article:section)")
    page_keywords: list[str] = Field(default_factory=list, description="keywords the page declares")
    fingerprint: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{16}$",
        description="64-bit SimHash of the body (16 hex digits); copies of one story differ in a few bits",
    )
    duplicate_of: str | None = Field(
        default=None,
        description="id of an earlier article this one copies (same canonical URL, or a body "
        "within 7 bits of its fingerprint), within the dedup window",
    )
    fetched_at: UtcDatetime = Field(description="when ingest fetched the page")
    feed: str | None = Field(
        default=None,
        description="the feed or sitemap newsflow found the URL in (the discover stage); absent for a URL"
        " pushed by hand",
    )


class EnrichedArticle(Article):
    """An entry of news.enriched (schema version 1): the article plus places and tags."""

    places: list[Place] = Field(default_factory=list, description="every place mention, in text order")
    focus: Focus | None = Field(default=None, description="where the story happens; null when no place")
    countries: list[CountryCode] = Field(
        default_factory=list, description="ISO 3166-1 alpha-2 codes, most mentioned first"
    )
    people: list[str] = Field(default_factory=list, description="canonical names, most mentioned first")
    organizations: list[str] = Field(
        default_factory=list, description="canonical names, most mentioned first"
    )
    entities: list[Entity] = Field(
        default_factory=list,
        description="each mention of a person or an organisation in the text, in text order",
    )
    keywords: list[str] = Field(
        default_factory=list, description="keyphrases in the article's language, lower case, best first"
    )
    topics: list[TopicSlug] = Field(default_factory=list, description="topic slugs, first topic first")
    topic_scores: list[TopicScore] = Field(
        default_factory=list, description="the topics with their IPTC Media Topics codes and confidence"
    )
    enriched_at: UtcDatetime = Field(description="when enrich wrote it")
