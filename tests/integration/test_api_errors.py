"""The API's errors: one JSON shape, never a 500 for bad input, 503 with Retry-After while Redis is down.
Against a real redis-server (and a port where none listens)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from newsflow.api.app import create_app
from newsflow.redis_server import free_port

pytestmark = [pytest.mark.redis]
AUTH = {"Authorization": "Bearer t0ken"}


@pytest.fixture
def api(settings):
    s = settings.model_copy(update={"api_token": SecretStr("t0ken"), "api_max_body_bytes": 2_000_000})
    with TestClient(create_app(s), raise_server_exceptions=False) as client:
        yield client


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == code, body
    return body


def test_a_nul_in_a_search_is_a_422_not_a_500(api):
    body = assert_error(api.get("/v1/search", params={"q": "a\x00"}), 422, "invalid")
    assert "control characters" in body["detail"]


def test_a_bad_search_parameter_is_one_line_without_pydantics_link(api):
    body = assert_error(api.get("/v1/search", params={"country": "USA"}), 422, "invalid")
    assert "\n" not in body["detail"] and "pydantic.dev" not in body["detail"] and "country" in body["detail"]
    assert_error(api.get("/v1/search", params={"cursor": "!!not-a-cursor"}), 422, "invalid")


def test_unknown_things_share_the_shape(api):
    assert_error(api.get("/v1/articles/nope"), 404, "not_found")
    assert_error(api.get("/v1/nothing-here"), 404, "not_found")
    assert_error(api.get("/v1/search", params={"limit": "many"}), 422, "invalid")


def test_the_token_is_checked_before_the_body_is_read(api):
    response = api.post("/v1/urls", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_error(
        api.post("/v1/urls", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"}),
        422,
        "invalid",
    )


def test_urls_no_http_client_could_fetch_are_rejected_with_a_reason(api):
    # A lone surrogate (as JSON escapes it), a NUL, and a host no IDNA encoding accepts.
    raw = '["https://example.com/\\ud800", "https://example.com/a\\u0000b", "https://\\u2603.com/"]'
    response = api.post(
        "/v1/urls", content=raw.encode(), headers={**AUTH, "Content-Type": "application/json"}
    )
    body = assert_error(response, 422, "invalid")
    reasons = [r["error"] for r in body["detail"]["rejected"]]
    assert len(reasons) == 3 and "control characters" in reasons[1] and "host name" in reasons[2]


def test_a_too_long_list_is_refused_without_echoing_it(api):
    urls = [f"https://example.com/{i}" for i in range(10_000)]
    response = api.post(
        "/v1/urls", content=json.dumps(urls).encode(), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422 and len(response.content) < 5_000, len(response.content)
    assert "example.com/9999" not in response.text


def test_redis_down_is_a_503_with_retry_after(settings):
    nowhere = settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0", "api_token": None}
    )
    with TestClient(create_app(nowhere), raise_server_exceptions=False) as client:
        response = client.post("/v1/urls", json=["https://example.com/a"])
        assert_error(response, 503, "unavailable")
        assert int(response.headers["Retry-After"]) > 0
        # Search needs no Redis: it still answers from the store.
        assert client.get("/v1/search").status_code == 200


def test_the_openapi_document_lists_the_errors_each_route_gives(api):
    paths = api.get("/openapi.json").json()["paths"]
    assert {"401", "413", "422", "429", "503"} <= set(paths["/v1/urls"]["post"]["responses"])
    assert {"422", "504"} <= set(paths["/v1/search"]["get"]["responses"])
    assert "404" in paths["/v1/articles/{article_id}"]["get"]["responses"]


def test_a_search_with_too_many_words_is_refused_with_the_limit(api):
    q = " OR ".join(f"word{i}" for i in range(40))
    body = assert_error(api.get("/v1/search", params={"q": q}), 422, "invalid")
    assert "40 words" in body["detail"] and "at most 32" in body["detail"]
    assert api.get("/v1/search", params={"q": " OR ".join(f"word{i}" for i in range(32))}).status_code == 200
