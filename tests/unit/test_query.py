import pytest
from pydantic import ValidationError

from newsflow.search.query import SearchParams, decode_cursor, encode_cursor, parse_terms


def test_params_become_a_query():
    q = SearchParams(
        q="mali",
        near="16.77,-3.0,50",
        bbox="-10,35,5,44",
        country="ml",
        since="2024-01-02",
        sort="date",
        facets=True,
    ).to_query()
    assert (q.near.lat, q.near.lon, q.near.km) == (16.77, -3.0, 50)
    assert (q.bbox.min_lon, q.bbox.max_lat) == (-10, 44)
    assert q.country == "ML" and q.since.isoformat().startswith("2024-01-02") and q.by_date and q.facets


@pytest.mark.parametrize(
    "bad",
    [
        {"near": "1,2"},
        {"near": "91,0,5"},
        {"bbox": "0,10,5,5"},
        {"country": "Mali"},
        {"sort": "best"},
        {"limit": 0},
        {"cursor": "%%%"},
        {"since": "yesterday"},
    ],
)
def test_bad_params_are_refused_with_a_reason(bad):
    with pytest.raises((ValueError, ValidationError)):
        SearchParams(**bad).to_query()


def test_unknown_parameters_are_refused():
    with pytest.raises(ValidationError):
        SearchParams(countri="ML")


def test_relevance_without_text_sorts_by_date():
    assert SearchParams(sort="relevance").to_query().by_date
    assert not SearchParams(q="mali").to_query().by_date
    assert SearchParams(q="-mali").to_query().by_date


def test_cursor_round_trip():
    assert decode_cursor(encode_cursor({"t": "2024-01-01T00:00:00Z", "s": 5})) == {
        "t": "2024-01-01T00:00:00Z",
        "s": 5,
    }


def test_parse_terms():
    assert parse_terms('mali "wagner group" OR kremlin -france') == (
        [["mali"], ["wagner group", "kremlin"]],
        ["france"],
    )
    assert parse_terms('"unbalanced') == ([["unbalanced"]], [])


def test_a_near_box_holds_its_whole_circle():
    """Points sampled on and just inside each circle's edge all fall in its box, poles and the
    antimeridian included; the box is not much larger than the circle."""
    import math
    import random

    from newsflow.search.query import EARTH_RADIUS_KM, Near

    rng = random.Random(7)
    centres = [(0, 0), (60, 10), (-18.14, 179.9), (-18.14, -179.9), (89.5, 30), (-85, -120), (45, 170)]
    for lat, lon in centres:
        for km in (5, 200, 1500, 6000):
            near = Near(lat=lat, lon=lon, km=km)
            min_lat, max_lat, lons = near.box()
            for _ in range(400):
                bearing, d = rng.uniform(0, 2 * math.pi), km * rng.uniform(0.95, 0.9999) / EARTH_RADIUS_KM
                la1, lo1 = math.radians(lat), math.radians(lon)
                la2 = math.asin(math.sin(la1) * math.cos(d) + math.cos(la1) * math.sin(d) * math.cos(bearing))
                lo2 = lo1 + math.atan2(
                    math.sin(bearing) * math.sin(d) * math.cos(la1),
                    math.cos(d) - math.sin(la1) * math.sin(la2),
                )
                plat, plon = math.degrees(la2), (math.degrees(lo2) + 180) % 360 - 180
                assert min_lat <= plat <= max_lat, (lat, lon, km, plat)
                if lons:
                    west, east = lons
                    inside = west <= plon <= east if west <= east else (plon >= west or plon <= east)
                    assert inside, (lat, lon, km, plon, lons)
            assert max_lat - min_lat <= 2 * km / 111.0
