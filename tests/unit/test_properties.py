"""Properties that hold for any input (hypothesis): URL canonicalisation and stream-entry parsing never
fail in a way a worker would retry; they accept, or refuse with InvalidUrl / Quarantine."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from newsflow.errors import Quarantine
from newsflow.schemas import Article, EnrichedArticle
from newsflow.streams import parse_event
from newsflow.urls import InvalidUrl, canonicalize, id_for_url

# Text with what breaks naive code: controls, lone surrogates, odd Unicode.
NASTY = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=60)
URLISH = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}",
    st.sampled_from(["http", "https", "ftp", "HTTP", ""]),
    st.one_of(NASTY, st.from_regex(r"[a-z0-9.-]{1,30}(:[0-9]{1,6})?", fullmatch=True)),
    NASTY,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(NASTY, URLISH))
def test_canonicalize_accepts_or_refuses_with_a_reason(url):
    try:
        canonical = canonicalize(url)
    except InvalidUrl as exc:
        assert str(exc)
        return
    # What it accepts is an http(s) URL an HTTP client can take: encodable, no controls, stable.
    assert canonical.startswith(("http://", "https://"))
    canonical.encode("utf-8")
    assert not any(ord(c) < 32 for c in canonical)
    assert canonicalize(canonical) == canonical
    assert id_for_url(url)[0] == id_for_url(canonical)[0]


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | NASTY,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(NASTY, children, max_size=4),
    max_leaves=20,
)
FIELDS = st.dictionaries(
    st.sampled_from(["id", "schema", "json", "__data__", "url", "x"]),
    st.one_of(NASTY, JSONISH.map(json.dumps), st.just("[" * 5000 + "]" * 5000)),
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(FIELDS, st.sampled_from([Article, EnrichedArticle]))
def test_parse_event_returns_an_event_or_quarantines(fields, model):
    try:
        event = parse_event(fields, model)
    except Quarantine as exc:
        assert str(exc)
        return
    assert isinstance(event, model)
