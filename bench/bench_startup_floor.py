"""The floor under a Python server's start-up, against which issue 8's start-up and memory
targets (at most 1.5x the Oxigraph binary's) are read (not a test).

    python bench/bench_startup_floor.py [--runs 5]

Each step runs ``--runs`` times as a fresh interpreter: one that imports nothing, one that
imports the libraries thbkg's server is built on (Flask, rdflib, pyoxigraph, waitress), and
one that imports thbkg's web app. It prints the median wall time (launch to exit) and the
median peak resident memory of each, before any store is opened.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from store_report import MB

ROOT = Path(__file__).resolve().parent.parent
STEPS = {
    "the bare interpreter": "",
    "Flask, rdflib, pyoxigraph and waitress imported": "import flask, rdflib, pyoxigraph, waitress",
    "thbkg's web app imported (publish.web)": "import publish.web",
}
#: Appended to each step: the process's own peak resident memory, in KiB (Linux).
_PEAK = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def run(code: str) -> tuple[float, int]:
    """Wall time in seconds and peak RSS in bytes of a fresh interpreter running ``code``."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\n{_PEAK}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - start, int(done.stdout.split()[-1]) * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per step (default 5)")
    args = parser.parse_args()
    print("| step | median s | median peak RSS MB |")
    print("|---|---|---|")
    for name, code in STEPS.items():
        seconds, peaks = zip(*(run(code) for _ in range(args.runs)), strict=True)
        peak = statistics.median(peaks) / MB
        print(f"| {name} | {statistics.median(seconds):.2f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
