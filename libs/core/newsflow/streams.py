"""The wire format of every stream entry, and the consumer groups of the stages.

Every entry newsflow writes is plain fields, readable from any language with XREAD:
    id      the article id
    schema  e.g. "article/1", "enriched-article/1"
    json    the event as a JSON document
news.urls also accepts the bare form `XADD news.urls * url https://...` (optionally `force 1`).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from newsflow.errors import Quarantine
from newsflow.pipeline import stages
from newsflow.schemas import SCHEMA_VERSION, Article, EnrichedArticle
from newsflow.settings import Settings

M = TypeVar("M", bound=BaseModel)

SCHEMA_NAMES: dict[type[BaseModel], str] = {
    Article: f"article/{SCHEMA_VERSION}",
    EnrichedArticle: f"enriched-article/{SCHEMA_VERSION}",
}


def encode_event(event: Article) -> dict[str, str]:
    return {"id": event.id, "schema": SCHEMA_NAMES[type(event)], "json": event.model_dump_json()}


def decode_fields(raw: dict[Any, Any]) -> dict[str, str]:
    """Stream fields as str -> str; undecodable bytes are replaced, never fatal."""
    out: dict[str, str] = {}
    for key, value in raw.items():
        k = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
        v = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        out[k] = v
    return out


def event_payload(fields: dict[str, str]) -> dict[str, Any]:
    """The JSON document of an entry: the `json` field, or FastStream's `__data__` when it is JSON."""
    for key in ("json", "__data__"):
        if key in fields:
            value = json.loads(fields[key])
            if not isinstance(value, dict):
                raise ValueError(f"field {key!r} holds JSON {type(value).__name__}, not an object")
            return value
    raise ValueError(f"entry has no 'json' field (fields: {sorted(fields)[:10]})")


def parse_event(fields: dict[str, str], model: type[M]) -> M:
    """The event of an entry; a malformed one, or one of a schema version this code does not know, is a
    Quarantine (dead-lettered at once with the reason, never retried).

    Compatibility: a worker reads the version it writes (SCHEMA_VERSION) and entries that declare no
    version (hand-written ones). Within a version fields are only added, so an older worker ignores
    what a newer one adds; a new version is a new name ("article/2"), and during a rolling upgrade the
    new workers are started downstream first (doc/choices.md).
    """
    name = SCHEMA_NAMES.get(model)
    declared = fields.get("schema")
    if declared is not None and name is not None and declared != name:
        raise Quarantine(f"unsupported schema {declared[:40]!r}: this worker reads {name!r}")
    try:
        payload = event_payload(fields)
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        raise Quarantine(f"malformed {model.__name__} entry: {type(exc).__name__}: {str(exc)[:200]}") from exc
    version = payload.get("schema_version")
    if version is not None and version != SCHEMA_VERSION:
        raise Quarantine(
            f"unsupported schema_version {str(version)[:20]!r}: this worker reads {SCHEMA_VERSION}"
        )
    try:
        return model.model_validate(payload)
    except (ValueError, ValidationError, RecursionError) as exc:
        raise Quarantine(f"malformed {model.__name__} entry: {str(exc).splitlines()[0]}") from exc


async def ensure_groups(redis: Redis, settings: Settings) -> None:
    """Create every stage's group at id 0 (MKSTREAM), so entries pushed before a worker starts are read.

    FastStream would create a missing group at "$" and skip the backlog; an existing group is left alone.
    """
    for stage in stages(settings).values():
        try:
            await redis.xgroup_create(stage.input, stage.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


async def join_group(redis: Redis, stream: str, group: str, consumer: str) -> None:
    """Make the consumer a member of its group now (XGROUP CREATECONSUMER; a no-op when it is one).

    Redis adds a consumer at the first read that delivers it an entry, not at an empty blocking read: a
    replica started beside a busy one would be missing from XINFO CONSUMERS (and `newsflow status`)
    until it happened to win an entry. Joining at start shows every live reader, busy or not.
    """
    await redis.xgroup_createconsumer(stream, group, consumer)
