"""The published stream contract: the committed JSON Schemas and AsyncAPI document are what the code
generates, they are strict, and what the stages emit passes them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from newsflow.contract import ASYNCAPI_FILE, asyncapi, json_schemas
from newsflow.enrich.enricher import offline_article
from newsflow.schemas import TopicSlug
from newsflow.settings import Settings
from newsflow.streams import encode_event

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "dw-mali-russia.txt"


def test_the_committed_contract_is_what_the_code_generates():
    # `newsflow schema --all schema` regenerates them after a change to the models or the pipeline.
    generated = {**json_schemas(), ASYNCAPI_FILE: asyncapi(Settings(_env_file=None))}
    committed = {p.name: json.loads(p.read_text()) for p in SCHEMA_DIR.glob("*.json")}
    assert committed == json.loads(json.dumps(generated))


def _described(schema: dict, defs: dict, path: str = "") -> list[str]:
    """Properties without a description, at any depth."""
    missing = []
    for name, prop in schema.get("properties", {}).items():
        if not prop.get("description"):
            missing.append(path + name)
    for def_name, definition in defs.items():
        if path == "":
            missing += _described(definition, {}, f"{def_name}.")
    return missing


@pytest.mark.parametrize("name", sorted(json_schemas()))
def test_every_property_of_every_schema_is_described_and_objects_are_closed(name):
    schema = json_schemas()[name]
    Draft202012Validator.check_schema(schema)
    assert _described(schema, schema.get("$defs", {})) == []
    assert schema["additionalProperties"] is False
    assert all(d["additionalProperties"] is False for d in schema.get("$defs", {}).values())


@pytest.fixture(scope="module")
def enriched_event(enricher):
    article = offline_article(
        {
            "id": "seed",
            "url": "https://www.dw.com/en/mali",
            "title": "Mali and Russia",
            "text": FIXTURE.read_text(),
        }
    )
    return enricher.enrich(article)


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(json_schemas()[name], format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_what_enrich_emits_passes_the_published_schemas(enriched_event):
    fields = encode_event(enriched_event)
    payload = json.loads(fields["json"])
    assert payload["places"] and payload["topics"]  # a real event, not an empty one
    assert not list(_validator("enriched-article.v1.json").iter_errors(payload))
    assert not list(_validator("event-headers.v1.json").iter_errors({k: fields[k] for k in ("id", "schema")}))


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e["focus"].update(country_code="United States"),
        lambda e: e.update(countries=["usa"]),
        lambda e: e.update(language="english"),
        lambda e: e["places"][0].update(feature="village"),
        lambda e: e.update(topics=["breakup advice"]),
        lambda e: e.update(published_at="2024-01-01 10:00"),
        lambda e: e.update(unknown_field=1),
        lambda e: e["places"][0].update(lat=123.0),
        lambda e: e.update(schema_version=2),
    ],
    ids=[
        "country name",
        "country code case",
        "language name",
        "feature",
        "topic",
        "date",
        "unknown",
        "lat",
        "version",
    ],
)
def test_the_schema_rejects_what_consumers_found_validating(enriched_event, change):
    payload = json.loads(enriched_event.model_dump_json())
    if payload.get("published_at") is None:
        payload["published_at"] = "2024-01-01T10:00:00Z"
    assert not list(_validator("enriched-article.v1.json").iter_errors(payload))
    broken = copy.deepcopy(payload)
    change(broken)
    assert list(_validator("enriched-article.v1.json").iter_errors(broken))


def test_url_and_dead_letter_entries_have_schemas_of_their_fields():
    urls = _validator("url-entry.v1.json")
    assert not list(urls.iter_errors({"url": "https://example.org/a", "force": "1"}))
    assert list(urls.iter_errors({"force": "1"}))  # no url
    assert list(urls.iter_errors({"url": "https://example.org/a", "force": "yes"}))


def test_the_topic_slugs_of_the_schema_are_the_taxonomys():
    from typing import get_args

    from newsflow.enrich.topics import TAXONOMY

    assert set(get_args(TopicSlug)) == {t.slug for t in TAXONOMY}


def test_the_asyncapi_document_names_every_stream_and_group_of_the_pipeline():
    doc = asyncapi(Settings(_env_file=None))
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {"news.urls", "news.articles", "news.enriched", "news.dlq"}
    groups = {op.get("x-consumer-group") for op in doc["operations"].values()} - {None}
    assert groups == {"ingest", "enrich", "index"}
