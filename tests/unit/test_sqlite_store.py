from datetime import UTC, datetime, timedelta

import pytest
from newsflow.index.query import Near, SearchQuery, parse_terms
from newsflow.index.sqlite_store import SqliteStore, fts_expression

from newsflow.schemas import EnrichedArticle, Focus, Place, utcnow


def make(aid: str, title: str, text: str, *, countries=("ML",), places=(), orgs=(), published=None):
    return EnrichedArticle(
        id=aid, url=f"https://example.com/{aid}", canonical_url=f"https://example.com/{aid}", title=title,
        text=text, countries=list(countries), organizations=list(orgs), places=list(places),
        focus=Focus(country_code=countries[0]) if countries else None, published_at=published,
        fetched_at=utcnow(), enriched_at=utcnow(),
    )


BAMAKO = Place(name="Bamako", start=0, end=6, lat=12.61, lon=-7.98, country_code="ML", geonameid=2460596, feature="city")
MADRID = Place(name="Madrid", start=0, end=6, lat=40.42, lon=-3.70, country_code="ES", geonameid=3117735, feature="city")


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(str(tmp_path / "store.db"))
    s.upsert([
        make("a1", "Russian advisers arrive in Mali", "Bamako says Wagner mercenaries are not present.",
             places=[BAMAKO], orgs=["Wagner Group"], published=datetime(2022, 1, 7, tzinfo=UTC)),
        make("a2", "Heatwave in Spain", "Madrid and Seville swelter in record heat.", countries=("ES",),
             places=[MADRID], published=datetime(2025, 7, 14, tzinfo=UTC)),
        make("a3", "Mali elections delayed", "The junta in Bamako postponed the vote.", places=[BAMAKO],
             published=datetime(2024, 3, 1, tzinfo=UTC)),
    ])
    yield s
    s.close()


def ids(page):
    return [a.id for a in page.results]


def test_full_text_with_bm25_and_snippet(store):
    page = store.search(SearchQuery(q="Wagner"))
    assert ids(page) == ["a1"] and page.total == 1
    assert "[Wagner]" in page.snippets["a1"]


def test_phrase_or_and_exclusion(store):
    assert ids(store.search(SearchQuery(q='"record heat"'))) == ["a2"]
    assert ids(store.search(SearchQuery(q='"heat record"'))) == []
    assert set(ids(store.search(SearchQuery(q="Wagner OR junta")))) == {"a1", "a3"}
    assert ids(store.search(SearchQuery(q="Bamako -Wagner"))) == ["a3"]


def test_filters(store):
    assert set(ids(store.search(SearchQuery(country="ml")))) == {"a1", "a3"}
    assert ids(store.search(SearchQuery(tag="wagner group"))) == ["a1"]
    assert ids(store.search(SearchQuery(near=Near.parse("40.4,-3.7,50")))) == ["a2"]
    assert ids(store.search(SearchQuery(near=Near.parse("41.39,2.17,100")))) == []  # Barcelona: 500 km off
    assert ids(store.search(SearchQuery(since=datetime(2024, 1, 1, tzinfo=UTC)))) == ["a2", "a3"]


def test_no_query_lists_newest_first(store):
    assert ids(store.search(SearchQuery())) == ["a2", "a3", "a1"]


def test_upsert_is_idempotent_and_keeps_first_seen(store):
    first_seen = store._conn().execute("SELECT first_seen_at FROM articles WHERE id='a1'").fetchone()[0]
    updated = make("a1", "Russian advisers arrive in Mali (updated)", "Timbuktu now hosts the advisers.",
                   places=[BAMAKO], published=datetime(2022, 1, 7, tzinfo=UTC))
    store.upsert([updated])
    store.upsert([updated])
    assert store.count() == 3
    assert store.get("a1").title.endswith("(updated)")
    assert ids(store.search(SearchQuery(q="Wagner"))) == []  # the old text left the index
    assert ids(store.search(SearchQuery(q="Timbuktu"))) == ["a1"]
    assert store._conn().execute("SELECT first_seen_at FROM articles WHERE id='a1'").fetchone()[0] == first_seen
    assert store._conn().execute("SELECT count(*) FROM article_places").fetchone()[0] == 3


def test_hostile_query_text_is_not_fts_syntax(store):
    for q in ['"unbalanced', "NEAR(", "a AND", "*", "col:thing", "OR", "-"]:
        store.search(SearchQuery(q=q))  # must not raise sqlite3.OperationalError


def test_parse_terms():
    assert parse_terms('mali "wagner group" OR kremlin -france') == ([["mali"], ["wagner group", "kremlin"]], ["france"])
    assert fts_expression("") is None


def test_since_accepts_a_plain_date():
    q = SearchQuery(since="2024-01-02")
    assert q.since.date().isoformat() == "2024-01-02"
    assert q.since < datetime.now(UTC) - timedelta(days=1)
