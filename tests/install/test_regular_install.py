"""What a user does first: a regular `pip install .` of a fresh clone, then `newsflow up` run from the
repository root, whose folders must not hide the installed code (doc/choices.md, "Layout")."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsflow.cli.pageserver import PageServer
from tests.conftest import PAGES, REPO
from tests.e2e.running import newsflow_cmd, run, stack_env, start_up, stop, wait_search

pytestmark = [pytest.mark.install, pytest.mark.e2e, pytest.mark.redis]


def fresh_clone(dest: Path) -> Path:
    """The checkout's files as a clone would have them: tracked and new ones, nothing ignored (no .venv)."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.mark.timeout(1500)  # the install builds every part and installs spaCy
def test_pip_install_dot_then_up_from_the_repository_root(tmp_path):
    clone = fresh_clone(tmp_path / "clone")
    venv = tmp_path / "v"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "."],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    # Regular, not editable: the code comes from site-packages, not from the clone.
    found = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import newsflow.enrich, newsflow.cli; print(newsflow.enrich.__file__)",
        ],
        cwd=clone,
        capture_output=True,
        text=True,
    )
    assert "site-packages" in found.stdout, found.stdout + found.stderr

    cmd = newsflow_cmd(venv / "bin")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = stack_env(data_dir)
    pages = PageServer(PAGES)
    pages.start()
    proc, _ = start_up(env, data_dir, cmd=cmd, cwd=clone)
    try:
        pushed = run(env, "push", pages.url("courier-spain-heatwave.html"), cmd=cmd, cwd=clone)
        assert pushed.returncode == 0, pushed.stderr
        hits = wait_search(env, "heatwave", cmd=cmd)
        assert hits[0]["focus"]["country_code"] == "ES"
    finally:
        stop(proc)
        pages.stop()
