"""bench/bench_store.py at a tiny size: it prints its tables with every system, the systems agree
on every answer, and no server it started outlives it (after a normal end and after Ctrl-C)."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from publish.config import ROOT

pytestmark = pytest.mark.server

SIZE = "200"


def command(workdir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "bench/bench_store.py",
        "--sizes",
        SIZE,
        "--runs",
        "2",
        "--requests",
        "50",
        "--budget",
        "5",
        "--workdir",
        str(workdir),
        *extra,
    ]


class Watched:
    """The bench as a subprocess, with every process it starts seen while it runs."""

    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.seen: dict[int, psutil.Process] = {}
        self.lines: list[str] = []

    def look(self) -> None:
        with contextlib.suppress(psutil.NoSuchProcess):
            for child in psutil.Process(self.process.pid).children(recursive=True):
                self.seen.setdefault(child.pid, child)

    def read_until(self, prefix: str, timeout: float) -> None:
        """Read its output line by line, looking at its children, until a line starts with
        ``prefix`` or it ends."""
        deadline = time.monotonic() + timeout
        for line in self.process.stdout:
            self.lines.append(line)
            self.look()
            if line.startswith(prefix) or time.monotonic() > deadline:
                return

    def finish(self, timeout: float) -> str:
        """The rest of its output, then its end. Read through the stream ``read_until`` used:
        ``communicate(timeout=...)`` reads the pipe beneath it and loses what the stream had
        already buffered (the tables, when they came in one write)."""
        with self.process.stdout:
            rest = self.process.stdout.read()
        self.process.wait(timeout=timeout)
        return rest

    def survivors(self) -> list[str]:
        """Processes it started that still run (psutil compares start times: no reused pid).

        A zombie has stopped: it only waits for its parent to collect its exit status."""
        running = []
        for p in self.seen.values():
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    running.append(" ".join(p.cmdline()))
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                pass
        return running


def test_tables_for_every_system_and_nothing_left_running(tmp_path: Path) -> None:
    bench = Watched(command(tmp_path))
    bench.read_until("### 200 recommendations: load and start-up", 900)
    rest = bench.finish(300)
    out = "".join(bench.lines) + rest
    assert bench.process.returncode == 0, out
    for heading in ("load and start-up", "SPARQL over HTTP", "dereferencing one recommendation"):
        assert f"200 recommendations: {heading}" in out, out
    for system in (
        "Oxigraph server (memory)",
        "Oxigraph server (disk)",
        "thbkg --store (disk)",
        "thbkg --sparql-endpoint (disk)",
        "rdflib-endpoint (memory)",
    ):
        assert f"| {system} |" in out, out
    assert "answer differs" not in out, out
    assert "issue 8's targets" in out
    assert len(bench.seen) >= 5  # the five servers at least, seen while they ran
    assert bench.survivors() == []


def test_ctrl_c_stops_every_server(tmp_path: Path) -> None:
    bench = Watched(command(tmp_path, "--skip", "rdflib-endpoint"))
    bench.read_until("measuring queries", 900)
    bench.look()
    servers = bench.survivors()
    assert len(servers) >= 4, "".join(bench.lines)  # both Oxigraph servers, both thbkg
    bench.process.send_signal(signal.SIGINT)
    rest = bench.finish(120)
    assert bench.process.returncode == 130, "".join(bench.lines) + rest
    assert "interrupted: servers stopped" in rest
    assert bench.survivors() == []


def test_the_start_up_floor_prints_each_step() -> None:
    """bench/bench_startup_floor.py: a row per step, seconds and megabytes, each above nothing."""
    result = subprocess.run(
        [sys.executable, "bench/bench_startup_floor.py", "--runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split("|")[1:4] for line in result.stdout.splitlines()[2:]]
    assert [name.strip() for name, _, _ in rows] == [
        "the bare interpreter",
        "Flask, rdflib, pyoxigraph and waitress imported",
        "thbkg's web app imported (publish.web)",
    ]
    assert all(float(seconds) > 0 and int(megabytes) > 0 for _, seconds, megabytes in rows)
