"""The published contract of newsflow's streams: JSON Schemas of every payload and an AsyncAPI 3.0
document of the streams, both generated from the code (the models in newsflow.schemas, the pipeline's
declaration) and committed under schema/ (`newsflow schema --all schema`); a test keeps them equal.

How an entry maps onto AsyncAPI's message: Redis stream entries are flat string fields. On
news.articles and news.enriched the fields `id` and `schema` are the message's headers and the `json`
field holds the payload, a JSON document. On news.urls and news.dlq the fields themselves are the
payload. doc/consumers.md is the prose beside it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from newsflow.pipeline import load_declaration, stream_name
from newsflow.schemas import SCHEMA_VERSION, Article, EnrichedArticle, FeedUrl, PageUrl, PushSource
from newsflow.settings import Settings

ASYNCAPI_FILE = "asyncapi.json"
SCHEMA_BASE = "https://newsflow.dev/schema/"


class UrlEntry(BaseModel):
    """The fields of a news.urls entry (`XADD news.urls * url https://... [force 1] [source cli]`)."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": False})

    url: PageUrl
    force: str | None = Field(
        default=None,
        pattern=r"^(0|1|true|false)$",
        description="1 or true: fetch again even when the URL was ingested within the dedup window",
    )
    source: PushSource = None
    feed: FeedUrl = None


class EventHeaders(BaseModel):
    """The fields beside `json` in a news.articles or news.enriched entry."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": False})

    id: str = Field(min_length=1, description="the article id, the same as the payload's id")
    schema_: str = Field(
        alias="schema",
        pattern=r"^[a-z-]+/[0-9]+$",
        description="the payload's schema and major version: article/1 or enriched-article/1. A consumer"
        " skips entries whose schema it does not know (another producer, a newer major version)",
    )


class DeadLetterEntry(BaseModel):
    """The fields of a news.dlq entry: what failed, where, why, and the original entry to replay."""

    model_config = ConfigDict(json_schema_extra={"additionalProperties": False})

    stage: str = Field(description="the stage that gave up: ingest, enrich, index, ...")
    stream: str = Field(description="the stream the failed entry was read from")
    entry_id: str = Field(pattern=r"^[0-9]+-[0-9]+$", description="the failed entry's id on that stream")
    error: str = Field(description="Quarantine (bad input, never retried) or Requeue (retries ran out)")
    cause: str = Field(
        description="the underlying exception's class (FetchError, ValidationError...), or empty"
    )
    reason: str = Field(max_length=2000, description="why, in words")
    attempts: str = Field(pattern=r"^[0-9]+$", description="how many times the stage tried")
    enqueued_at: str = Field(description="when the failed entry was added (UTC, ISO 8601)")
    first_attempt_at: str = Field(description="the stage's first attempt (UTC, ISO 8601)")
    last_attempt_at: str = Field(description="the stage's last attempt (UTC, ISO 8601)")
    failed_at: str = Field(description="when the dead letter was written (UTC, ISO 8601)")
    article_id: str = Field(description="the article's id, or empty when it was never known")
    url: str = Field(description="the article's URL, or empty")
    payload: str = Field(
        description="the failed entry's fields as a JSON object of strings: `newsflow dlq replay` adds them"
        " back to `stream`"
    )


def _schema(model: type[BaseModel], name: str, title: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization", by_alias=True)
    schema["$id"] = SCHEMA_BASE + name
    schema["title"] = title
    return schema


def enriched_json_schema() -> dict[str, Any]:
    """The schema of the article on news.enriched: what `newsflow schema` prints."""
    v = SCHEMA_VERSION
    return _schema(
        EnrichedArticle, f"enriched-article.v{v}.json", f"EnrichedArticle (newsflow schema version {v})"
    )


def json_schemas() -> dict[str, dict[str, Any]]:
    """Every published JSON Schema, by file name under schema/."""
    v = SCHEMA_VERSION
    return {
        f"url-entry.v{v}.json": _schema(UrlEntry, f"url-entry.v{v}.json", "news.urls entry fields"),
        f"event-headers.v{v}.json": _schema(
            EventHeaders,
            f"event-headers.v{v}.json",
            "news.articles and news.enriched entry fields beside json",
        ),
        f"article.v{v}.json": _schema(
            Article, f"article.v{v}.json", f"Article (newsflow schema version {v})"
        ),
        f"enriched-article.v{v}.json": enriched_json_schema(),
        f"dead-letter-entry.v{v}.json": _schema(
            DeadLetterEntry, f"dead-letter-entry.v{v}.json", "news.dlq entry fields"
        ),
    }


# The payload of each stream role, and whether it travels in the `json` field (with EventHeaders).
_ROLE_PAYLOADS: dict[str, tuple[type[BaseModel], bool]] = {
    "urls": (UrlEntry, False),
    "articles": (Article, True),
    "enriched": (EnrichedArticle, True),
}


def _components(models: list[type[BaseModel]]) -> dict[str, Any]:
    """The models' schemas with their nested definitions side by side, referenced the AsyncAPI way."""
    from pydantic.json_schema import models_json_schema

    _, top = models_json_schema(
        [(m, "serialization") for m in models], ref_template="#/components/schemas/{model}", by_alias=True
    )
    return dict(top.get("$defs", {}))


def asyncapi(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.1 document of the configured pipeline's streams."""
    settings = settings or Settings()
    specs = load_declaration(settings.pipeline)
    roles: list[str] = []
    for spec in specs:
        for role in (spec.input, spec.output):
            if role and role not in roles:
                roles.append(role)
    models: list[type[BaseModel]] = [EventHeaders, DeadLetterEntry]
    models += [_ROLE_PAYLOADS[role][0] for role in roles if role in _ROLE_PAYLOADS]
    schemas = _components(models)

    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for role in [*roles, "dlq"]:
        address = stream_name(settings, role)
        model: type[BaseModel]
        if role == "dlq":
            model, enveloped = DeadLetterEntry, False
        else:
            model, enveloped = _ROLE_PAYLOADS.get(role, (EventHeaders, False))
        message: dict[str, Any] = {
            "name": model.__name__,
            "title": f"an entry of {address}",
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{model.__name__}"},
        }
        if enveloped:
            message["headers"] = {"$ref": "#/components/schemas/EventHeaders"}
            message["description"] = (
                f"Entry fields: `id` and `schema` (the headers) and `json`, which holds the payload as a"
                f" JSON document (schema version {SCHEMA_VERSION})."
            )
        else:
            message["description"] = "Entry fields: the payload's properties, each a string."
        messages[role] = message
        channels[role] = {
            "address": address,
            "title": address,
            "description": _CHANNEL_DESCRIPTIONS.get(
                role, f"the {role} stream of a stage of this deployment"
            ),
            "messages": {model.__name__: {"$ref": f"#/components/messages/{role}"}},
        }

    operations: dict[str, Any] = {}
    for spec in specs:
        operations[f"{spec.name}Reads"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{spec.input}"},
            "title": f"{spec.name} reads {stream_name(settings, spec.input)}",
            "description": (
                f"XREADGROUP in the consumer group `{spec.name}`; an entry is acknowledged (XACK) in the same"
                " MULTI that adds its result, so a crash before it leaves the entry pending for another"
                " consumer to claim (XAUTOCLAIM)."
            ),
            "x-consumer-group": spec.name,
        }
        if spec.output:
            operations[f"{spec.name}Writes"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{spec.output}"},
                "title": f"{spec.name} writes {stream_name(settings, spec.output)}",
            }
        operations[f"{spec.name}DeadLetters"] = {
            "action": "send",
            "channel": {"$ref": "#/channels/dlq"},
            "title": f"{spec.name} dead-letters what it cannot handle",
        }
    return {
        "asyncapi": "3.1.0",
        "id": "urn:newsflow:streams",
        "info": {
            "title": "newsflow streams",
            "version": f"{SCHEMA_VERSION}.0.0",
            "description": (
                "The Redis streams of a newsflow pipeline: urls -> articles -> enriched, and the dead"
                " letters. Every hop is a stream read through a consumer group named after its stage;"
                " downstream teams read news.enriched through groups of their own (doc/consumers.md)."
            ),
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:{port}",
                "protocol": "redis",
                "description": (
                    "the Redis that `newsflow up` starts: its URL, password included, is in"
                    " <data dir>/stack.json (readable by its owner only)"
                ),
                "variables": {"port": {"description": "the embedded Redis's port"}},
            },
            "compose": {
                "host": "redis:6379",
                "protocol": "redis",
                "description": "the redis service of deploy/compose.yaml, on the compose network",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


_CHANNEL_DESCRIPTIONS = {
    "urls": "URLs to fetch, pushed by `newsflow push`, POST /v1/urls or a plain XADD.",
    "articles": "Articles as ingest extracted them from their pages.",
    "enriched": (
        "Articles with places, focus, people, organisations, keyphrases and topics: the stream downstream"
        " consumers read. Workers trim it below the oldest entry any group has not read or acknowledged,"
        " and never younger than NEWSFLOW_STREAM_RETENTION_S (24 h)."
    ),
    "dlq": "Dead letters of every stage: `newsflow dlq` lists, replays and purges them.",
}
