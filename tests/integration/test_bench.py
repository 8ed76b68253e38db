"""The store benchmark runs end to end on a few hundred articles and prints every figure it promises.

Its numbers are not checked (speed is measured by running it, never asserted in tests); this keeps the
script from rotting between the runs that the notes and doc/choices.md report."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# A benchmark run end to end takes seconds to tens of seconds: left out of `./dev fast`.
pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "bench" / "store.py"


def run_bench(store_url: str, gazetteer_dir: Path) -> str:
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--store",
            store_url,
            "--n",
            "300",
            "--batch",
            "100",
            "--rounds",
            "1",
            "--slowest",
            "2",
            "--data-dir",
            str(gazetteer_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def assert_figures(stdout: str) -> None:
    assert re.search(r"^articles +300 ", stdout, re.M)
    assert re.search(r"^indexing +[\d,]+ docs/s", stdout, re.M)
    assert re.search(
        r"^upsert cpu +machine \d+% busy of \d+ cores, this process [\d.]+ ms/article", stdout, re.M
    )
    assert re.search(r"^latency ms +p50 [\d.]+ +p95 [\d.]+ +p99 [\d.]+", stdout, re.M)
    assert len(re.findall(r"^  \w+ +p50 ", stdout, re.M)) == 12  # every kind of the mix
    assert re.search(r"^database size +[\d,]+ MB", stdout, re.M)
    assert len(re.findall(r"^  slow #", stdout, re.M)) == 2


def test_the_store_benchmark_prints_its_figures_on_sqlite(tmp_path, gazetteer_dir):
    assert_figures(run_bench(f"sqlite:///{tmp_path / 'bench.db'}", gazetteer_dir))


@pytest.mark.postgres
def test_the_store_benchmark_prints_its_figures_and_the_server_settings_on_postgres(
    postgres_url, gazetteer_dir
):
    stdout = run_bench(postgres_url, gazetteer_dir)
    assert_figures(stdout)
    assert re.search(r"^server +PostgreSQL \d+.*shared_buffers \S+", stdout, re.M)
