"""How long SHACL validation takes at 1k, 10k and 100k synthetic recommendations (issue 8).

    python bench/bench_validate.py [--sizes 1000 10000 100000] [--workers N] [--whole-up-to N]

Each size is generated once by bench/generate.py into --dir (kept between runs), parsed, then
validated by `validate_graph` (SPARQL constraints once each, core constraints in chunks, in
parallel processes). With --whole-up-to N, sizes up to N are also validated by one pySHACL run
over the whole graph (`validate_whole`, what thbkg did before), and the two reports are compared.
Printed, not asserted: one run per figure; wall-clock seconds, the CPU seconds spent (this
process and its workers: on an idle machine with W cores the wall time approaches cpu / W), peak
memory of one process, and the machine's load average (other work on it slows every figure)."""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publish.config import Settings  # noqa: E402
from publish.graph import load_graph  # noqa: E402
from publish.validate import CHUNK_SIZE, validate_graph, validate_whole  # noqa: E402

GENERATE = Path(__file__).resolve().parent / "generate.py"


def _generated(directory: Path, size: int) -> Path:
    path = directory / f"g{size}.ttl"
    if not path.is_file():
        command = [sys.executable, str(GENERATE), "-n", str(size), "-o", str(path)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return path


def _peak_mb() -> float:
    """Peak resident memory of this process and of its (finished) workers, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _cpu_seconds() -> float:
    """User + system time of this process and of its finished workers."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
    parser.add_argument("--whole-up-to", type=int, default=0, help="also run validate_whole")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/thbkg-validate-bench"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    shapes, ontology = load_graph([settings.shapes]), load_graph([settings.ontology])
    workers = args.workers or os.cpu_count()
    print(f"{os.cpu_count()} cores, {workers} workers, chunks of {args.chunk_size}")
    header = (
        f"{'recommendations':>15} {'triples':>9} {'parse s':>8} {'validate s':>10} {'cpu s':>7}"
    )
    print(header + f" {'whole s':>8} {'same':>5} {'peak MB':>8} {'load':>5}")
    for size in args.sizes:
        path = _generated(args.dir, size)
        start = time.perf_counter()
        data = load_graph([path])
        parsed = time.perf_counter() - start
        start, cpu = time.perf_counter(), _cpu_seconds()
        report = validate_graph(
            data,
            settings,
            shapes=shapes,
            ontology=ontology,
            chunk_size=args.chunk_size,
            workers=args.workers,
        )
        validated, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
        whole, same = "-", "-"
        if size <= args.whole_up_to:
            start = time.perf_counter()
            reference = validate_whole(data, shapes, ontology)
            whole, same = f"{time.perf_counter() - start:.1f}", str(reference == report)
        verdict = "" if report.conforms else f"  ({len(report.results)} results!)"
        print(
            f"{size:>15} {len(data):>9} {parsed:>8.1f} {validated:>10.1f} {cpu:>7.1f}"
            f" {whole:>8} {same:>5}"
            f" {_peak_mb():>8.0f} {os.getloadavg()[0]:>5.1f}{verdict}",
            flush=True,
        )


if __name__ == "__main__":
    main()
