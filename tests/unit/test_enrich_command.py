"""`newsflow enrich`: offline enrichment with the worker's own code, on article JSON lines or text files."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from newsflow.cli.app import app
from newsflow.schemas import Article, utcnow
from tests.conftest import FIXTURES

SEED = (FIXTURES / "dw-mali-russia.txt").read_text()


def test_jsonl_lines_come_out_enriched_as_the_worker_enriches_them_and_a_bad_line_is_reported(enricher):
    lines = [
        json.dumps({"id": "seed", "title": "Russian military advisers arrive in Mali", "text": SEED}),
        "not json",
        json.dumps({"id": "short", "text": "Floods hit Porto Alegre in Brazil."}),
    ]
    result = CliRunner().invoke(app, ["enrich", "--jsonl"], input="\n".join(lines) + "\n")
    assert result.exit_code == 2  # the bad line, after the others were enriched
    assert "line 2" in result.stderr
    out = {d["id"]: d for d in (json.loads(x) for x in result.stdout.splitlines() if x.startswith("{"))}
    assert set(out) == {"seed", "short"}

    # What the enrich worker computes for the same article (EnrichHandler calls Enricher.enrich).
    article = Article(
        id="seed",
        url="",
        canonical_url="",
        title="Russian military advisers arrive in Mali",
        text=SEED,
        fetched_at=utcnow(),
    )
    expected = enricher.enrich(article)
    seed = out["seed"]
    assert [p["resolved_name"] for p in seed["places"]] == [p.resolved_name for p in expected.places]
    assert seed["focus"]["country_code"] == "ML" == expected.focus.country_code
    assert seed["organizations"] == expected.organizations
    assert {"Wagner Group", "AFP", "Kremlin"} <= set(seed["organizations"])
    assert seed["topics"] == expected.topics and seed["keywords"] == expected.keywords
    assert out["short"]["focus"]["country_code"] == "BR"


def test_text_files_are_enriched_under_their_path(tmp_path):
    story = tmp_path / "story.txt"
    story.write_text("Troops left Bamako for Timbuktu, the army of Mali said.")
    result = CliRunner().invoke(app, ["enrich", str(story)])
    assert result.exit_code == 0, result.stderr
    (doc,) = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert doc["id"] == str(story) and doc["focus"]["country_code"] == "ML"
