import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from newsflow.contract import enriched_json_schema
from newsflow.schemas import Article
from newsflow.streams import decode_fields, encode_event, event_payload

SCHEMA_FILE = Path(__file__).resolve().parent.parent.parent / "schema" / "enriched-article.v1.json"


def test_committed_json_schema_matches_the_model():
    # `newsflow schema --all schema` regenerates it after a model change.
    assert json.loads(SCHEMA_FILE.read_text()) == json.loads(json.dumps(enriched_json_schema()))


def test_required_fields_of_the_contract():
    props = enriched_json_schema()["properties"]
    for field in (
        "id",
        "url",
        "canonical_url",
        "title",
        "text",
        "description",
        "authors",
        "published_at",
        "language",
        "site_name",
        "image_url",
        "places",
        "focus",
        "countries",
        "people",
        "organizations",
        "keywords",
        "topics",
        "fetched_at",
        "enriched_at",
    ):
        assert field in props, field


def test_datetimes_serialise_as_utc_z():
    a = Article(
        id="x",
        url="u",
        canonical_url="u",
        fetched_at=datetime(2022, 1, 7, 18, 41, tzinfo=timezone(timedelta(hours=1))),
    )
    assert json.loads(a.model_dump_json())["fetched_at"] == "2022-01-07T17:41:00Z"


def test_stream_entry_round_trip_is_plain_fields():
    a = Article(id="x", url="u", canonical_url="u", fetched_at=datetime(2022, 1, 7))
    fields = encode_event(a)
    assert set(fields) == {"id", "schema", "json"} and fields["schema"] == "article/1"
    raw = {k.encode(): v.encode() for k, v in fields.items()}
    assert Article.model_validate(event_payload(decode_fields(raw))) == a
