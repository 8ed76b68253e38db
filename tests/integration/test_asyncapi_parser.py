"""schema/asyncapi.json passes the AsyncAPI project's own parser (@asyncapi/parser, from npm, run by
Node.js), and the parser is shown to catch a broken document."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import _missing

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "tests" / "contract"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def parser_dir() -> Path:
    """The parser installed once per version into the user's cache (npm install needs the registry)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _missing("Node.js and npm are needed to run the AsyncAPI parser")
    version = json.loads((CHECK / "package.json").read_text())["dependencies"]["@asyncapi/parser"]
    cache = (
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        / "newsflow"
        / f"asyncapi-parser-{version}"
    )
    cache.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "validate-asyncapi.mjs"):
        shutil.copy(CHECK / name, cache / name)
    if not (cache / "node_modules" / "@asyncapi" / "parser").is_dir():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=cache, check=True, timeout=600
        )
    return cache


def _diagnostics(parser_dir: Path, document: Path) -> dict:
    done = subprocess.run(
        ["node", "validate-asyncapi.mjs", str(document)],
        cwd=parser_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


def test_the_committed_asyncapi_document_parses_without_errors_or_warnings(parser_dir):
    result = _diagnostics(parser_dir, ROOT / "schema" / "asyncapi.json")
    assert result["parsed"]
    assert [d for d in result["diagnostics"] if d["severity"] <= 1] == []


def test_the_parser_catches_an_operation_on_a_stream_that_is_not_described(parser_dir, tmp_path):
    document = json.loads((ROOT / "schema" / "asyncapi.json").read_text())
    document["operations"]["enrichReads"]["channel"] = {"$ref": "#/channels/news.nowhere"}
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))
    result = _diagnostics(parser_dir, broken)
    assert not result["parsed"]
    assert any(d["code"] == "invalid-ref" for d in result["diagnostics"])
