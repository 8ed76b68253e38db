"""Every CLI error is one line on stderr with a non-zero exit, no traceback; --debug shows it. Run as
real processes, against a port where no Redis listens."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from newsflow.redis_server import free_port


def newsflow(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsflow.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def assert_one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsflow: "), result.stderr
    assert "Traceback" not in result.stderr and "pydantic.dev" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["push", "https://example.com/a"],
        ["dlq", "list"],
        ["tail", "--count", "1"],
        ["trace", "0123456789abcdef0123"],
        ["health", "enrich"],
    ],
)
def test_an_unreachable_redis_is_one_line(command):
    result = newsflow(*command, env={"NEWSFLOW_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    assert_one_line(result, "cannot reach Redis")


@pytest.mark.parametrize("name,value", [("NEWSFLOW_API_PORT", "abc"), ("NEWSFLOW_LOG_LEVEL", "verbose")])
def test_a_bad_setting_is_one_line_naming_it(name, value):
    assert_one_line(newsflow("status", env={name: value}), "invalid setting", name)


def test_bad_files_and_lines_are_one_line(tmp_path):
    assert_one_line(newsflow("extract", str(tmp_path / "nonexistent.html")), "nonexistent.html")
    assert_one_line(newsflow("geoparse", "--jsonl", stdin="not json\n"), "JSON")


def test_a_bad_search_is_one_line(tmp_path):
    env = {"NEWSFLOW_STORE_URL": f"sqlite:///{tmp_path}/s.db"}
    assert_one_line(newsflow("search", "--country", "USA", env=env), "country", "ISO 3166")
    assert_one_line(newsflow("search", "--cursor", "!!bad", env=env), "cursor")


def test_debug_shows_the_traceback_and_version_prints():
    result = newsflow("status", "--debug", env={"NEWSFLOW_API_PORT": "abc"})
    assert result.returncode != 0 and "Traceback" in result.stderr
    version = newsflow("--version")
    assert version.returncode == 0 and version.stdout.startswith("newsflow ")
