"""The layout's rules, checked on the source: every part's code sits at its import path, dependencies
between parts run one way, and each part declares the parts it imports (doc/choices.md, "Layout")."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO

# Each part's folder, and the parts its code may import. The CLI reaches the stages only inside the
# commands that need one (worker, prepare, extract, geoparse), so an image without a stage still runs it.
PARTS = {
    "core": ("libs/core", set()),
    "search": ("libs/search", {"core"}),
    "cli": ("libs/cli", {"core", "search", "api"}),
    "ingest": ("services/ingest", {"core"}),
    "enrich": ("services/enrich", {"core"}),
    "index": ("services/index", {"core", "search"}),
    "api": ("services/api", {"core", "search"}),
    "webhook": ("services/webhook", {"core"}),
    # The discover stage fetches feeds with ingest's fetcher: one set of fetching rules (robots.txt,
    # pacing, the address guard) for everything newsflow requests.
    "discover": ("services/discover", {"core", "ingest"}),
}
LAZY = {"cli": {"ingest", "enrich", "discover"}, "api": {"discover", "ingest"}}


def owner(module: str) -> str:
    """The part that holds a newsflow module: newsflow.search.query -> search; newsflow.settings -> core."""
    second = module.split(".")[1] if module.count(".") else ""
    return second if second in PARTS and second != "core" else "core"


def imports(path: Path) -> list[tuple[str, bool]]:
    """The newsflow modules a file imports, each with whether the import is inside a function."""
    found = []
    tree = ast.parse(path.read_text())
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    nested = {id(child) for f in functions for child in ast.walk(f) if child is not f}
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [
                f"{node.module}.{a.name}" for a in node.names if node.module == "newsflow"
            ]
        for name in names:
            if name.startswith("newsflow."):
                found.append((name, id(node) in nested))
    return found


@pytest.mark.parametrize("part", PARTS)
def test_a_parts_code_sits_at_its_import_path_with_no_package_of_its_own_above(part):
    folder, _ = PARTS[part]
    root = REPO / folder
    assert not (root / "newsflow" / "__init__.py").exists(), "newsflow is a namespace package"
    if part != "core":
        assert (root / "newsflow" / part / "__init__.py").exists()
        assert {p.name for p in (root / "newsflow").iterdir() if p.name != "__pycache__"} == {part}
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == f"newsflow-{part}"
    assert "package-dir" not in pyproject.get("tool", {}).get("setuptools", {})


@pytest.mark.parametrize("part", PARTS)
def test_a_part_imports_only_the_parts_it_may_and_declares_them(part):
    folder, allowed = PARTS[part]
    root = REPO / folder
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    declared = {
        d.split()[0].removeprefix("newsflow-")
        for d in pyproject["project"]["dependencies"]
        if d.startswith("newsflow-")
    }
    used_top_level = set()
    for path in (root / "newsflow").rglob("*.py"):
        for module, lazy in imports(path):
            target = owner(module)
            if target == part:
                continue
            ok = target in allowed or (lazy and target in LAZY.get(part, set()))
            assert ok, f"{path.relative_to(REPO)} imports {module} ({target})"
            if not lazy:
                used_top_level.add(target)
    assert used_top_level <= declared, f"{part} imports {used_top_level - declared} without declaring them"
    assert declared <= allowed, f"{part} declares {declared - allowed}"


def test_the_root_is_a_meta_package_of_every_part():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    parts = {
        d.split(" @ ")[0].removeprefix("newsflow-"): d.split("{root:uri}/")[1]
        for d in pyproject["project"]["dependencies"]
    }
    assert parts == {name: folder for name, (folder, _) in PARTS.items()}
    assert not (REPO / "newsflow").exists(), "no code at the root: it would be a portion of the namespace"
