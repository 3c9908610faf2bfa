"""Short versions of the load and attack scripts (seconds each): they run, print their figures,
and find nothing the targets of issue 12 forbid."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from publish.config import ROOT

pytestmark = pytest.mark.server


def bench(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, f"bench/{script}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _figures(output: str) -> None:
    """What every run prints: a table with percentiles, totals, memory and the listener."""
    assert re.search(r"p50 ms +p90 ms +p99 ms", output)
    assert re.search(r"peak memory: server \d+ MiB, workers \d+ MiB", output)
    assert "outbound connections seen by the listener on http://127.0.0.1:" in output


def test_load_short() -> None:
    result = bench("load.py", "--clients", "5", "--seconds", "3", "--workers", "4")
    _figures(result.stdout)
    for kind in ("page", "description", "download", "sparql"):
        assert re.search(rf"^{kind} +\d+ +0 ", result.stdout, re.MULTILINE), result.stdout
    assert "listener on" in result.stdout and result.stdout.rstrip().endswith(": 0")
    assert result.returncode == 0, result.stdout + result.stderr


def test_attacks_on_the_server_short() -> None:
    """Updates, NUL bytes, oversized bodies, slowloris and every SERVICE / FROM variant on the
    default engine: all refused or harmless, no outbound connection, pages within 1 s."""
    result = bench(
        "attack.py",
        "--quick",
        "--only",
        "service,updates,nul,body,slowloris",
        "--query-timeout",
        "2",
    )
    _figures(result.stdout)
    assert "failures: 0" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0


def test_parser_under_concurrency_short() -> None:
    """Concurrent copies of shipped queries on a fresh server: every one a 200."""
    result = bench("attack.py", "--quick", "--only", "parser")
    _figures(result.stdout)
    assert "failures: 0" in result.stdout and result.returncode == 0, result.stdout


def test_service_bypasses_on_oxigraph_short() -> None:
    """Oxigraph is the engine that would call a SERVICE: no variant reaches the listener."""
    result = bench("attack.py", "--quick", "--only", "service", "--engine", "oxigraph")
    _figures(result.stdout)
    assert "failures: 0" in result.stdout, result.stdout + result.stderr
    assert result.returncode == 0


def test_slow_and_greedy_queries_short() -> None:
    """Pathological and string-doubling queries: each a 200 or 503 within the limit + 1 s, and a
    page meanwhile within 2 s (the full script's budget is 200 ms)."""
    result = bench(
        "attack.py",
        "--quick",
        "--query-timeout",
        "2",
        "--only",
        "pathological,memory",
        "--page-budget",
        "2",
    )
    _figures(result.stdout)
    assert "failures: 0" in result.stdout and result.returncode == 0, result.stdout
