"""Which form should a built store take? Oxigraph's on-disk store opened read-only, or an
in-memory store bulk-loaded from an N-Quads dump at start-up. Prints start-up time (open or
load, then a first query), the first query's time, and the RSS each leaves, median of runs;
then how a streamed download behaves: time to its first chunk, to its end, and how much the
process grew meanwhile (the store's own dump, as `/download/thbkg.ttl` sends it).

    python bench/bench_store_modes.py DATA.ttl [--runs 3]

Each mode runs in a fresh process, so the RSS is what that mode alone costs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

GRAPH = ox.NamedNode("https://w3id.org/thbkg/graph/data")
QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?r a <https://w3id.org/thbkg/ontology#Recommendation> }"

_DOWNLOAD = """
import json, resource, sys, time
from pathlib import Path
from publish import formats
from publish.store import EmbeddedStore
store = EmbeddedStore.open(Path(sys.argv[1]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
started = time.perf_counter()
first, size = None, 0
for chunk in store.dump(formats.TURTLE):
    first = first or time.perf_counter() - started
    size += len(chunk)
total = time.perf_counter() - started
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
print(json.dumps({"first": first, "total": total, "grown": grown, "size": size}))
"""

_CHILD = """
import json, resource, sys, time
import pyoxigraph as ox
mode, location = sys.argv[1], sys.argv[2]
started = time.perf_counter()
if mode == "disk":
    store = ox.Store.read_only(location)
else:
    store = ox.Store()
    store.bulk_load(path=location, format=ox.RdfFormat.N_QUADS)
opened = time.perf_counter()
list(store.query(sys.argv[3], use_default_graph_as_union=True))
queried = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"open": opened - started, "query": queried - opened, "rss": rss}))
"""


def prepare(data: Path, where: Path) -> tuple[Path, Path]:
    """The data as an on-disk store and as an N-Quads dump, as a build would write them."""
    disk, dump = where / "oxigraph", where / "dump.nq"
    store = ox.Store(str(disk))
    store.bulk_load(path=str(data), format=ox.RdfFormat.TURTLE, to_graph=GRAPH)
    store.optimize()
    store.dump(str(dump), ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    return disk, dump


def run(mode: str, location: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(location), QUERY],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        disk, dump = prepare(args.data, Path(scratch))
        print(f"prepared in {time.perf_counter() - started:.1f} s; dump {dump.stat().st_size} B")
        print(f"{'mode':<28}{'start (s)':>10}{'1st query (s)':>15}{'RSS (MB)':>10}")
        for mode, location in (("disk", disk), ("memory", dump)):
            runs = [run(mode, location) for _ in range(args.runs)]
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            name = "on-disk, read-only" if mode == "disk" else "in memory, bulk load of dump"
            print(f"{name:<28}{med['open']:>10.3f}{med['query']:>15.3f}{med['rss']:>10.0f}")
        out = subprocess.run(
            [sys.executable, "-c", _DOWNLOAD, str(Path(scratch))],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        dl = json.loads(out.stdout)
        print(
            f"download (Turtle, streamed): first chunk {dl['first']:.3f} s, all "
            f"{dl['size'] / 1e6:.0f} MB in {dl['total']:.1f} s, peak RSS grew {dl['grown']:.0f} MB"
        )


if __name__ == "__main__":
    main()
