"""Search and facet latency on a large graph: build the index, then time typical requests.

    python bench/generate.py -n 100000 -o /tmp/g100k.ttl      # synthetic data
    python bench/bench_search.py --data /tmp/g100k.ttl [--runs 21] [--index DIR]

Loads the data into an in-memory Oxigraph store, builds the search index from it through the
same SPARQL the store build runs (``thbkg build`` writes it to ``STORE/search/``), and prints
the build time and the median latency of ten text searches (common and rare words, several
words), a filtered search, facet counts, a listing page, and, for comparison, one facet's
counts asked of Oxigraph in SPARQL. ``--index DIR`` keeps the index to time it again.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import median_seconds  # noqa: E402

from publish.config import Settings  # noqa: E402
from publish.search import build_index  # noqa: E402
from publish.search_index import SearchIndex, Selection  # noqa: E402
from publish.store import EmbeddedStore  # noqa: E402

# The actor facet's counts in SPARQL, as a store-backed facet would ask them.
ACTOR_COUNTS = """PREFIX thb: <https://w3id.org/thbkg/ontology#>
PREFIX org: <http://www.w3.org/ns/org#>
SELECT ?actor (COUNT(DISTINCT ?r) AS ?n) WHERE {
  ?r thb:addressedTo ?a . ?a org:subOrganizationOf* ?actor .
} GROUP BY ?actor"""


def _search(index: SearchIndex, q: str) -> Callable[[], object]:
    return lambda: index.search(Selection(q=q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a data graph (Turtle)")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--index", type=Path, help="keep the index here; reuse it if present")
    args = parser.parse_args()
    store = ox.Store()
    started = time.perf_counter()
    store.bulk_load(path=str(args.data), format=ox.RdfFormat.TURTLE)
    store.bulk_load(path=str(Settings().ontology), format=ox.RdfFormat.TURTLE)
    print(f"load into Oxigraph: {time.perf_counter() - started:.1f} s, {len(store)} quads")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.index or Path(tmp) / "search"
        if not path.exists():
            started = time.perf_counter()
            count = build_index(EmbeddedStore(store), path)
            took = time.perf_counter() - started
            print(
                f"build index: {count} recommendations in {took:.1f} s, "
                f"{sum(f.stat().st_size for f in path.rglob('*') if f.is_file()) / 1e6:.0f} MB"
            )
        index = SearchIndex(path)
        police = "https://w3id.org/thbkg/actor/police"
        local = "https://w3id.org/thbkg/level/local"
        words = [
            "mineur",
            "police",
            "traite",
            "victimes nigeriane",
            "mineurs non accompagnés",
            "tutelle",
            "bruxelles",
            "passeurs",
            "esperanto",
            "bourgmestres gouverneurs",
        ]
        cases = {f"search {q!r} (page of 50)": _search(index, q) for q in words}
        cases |= {
            "search 'police' and actor=police, level=local": lambda: index.search(
                Selection(q="police", actor=police, level=local)
            ),
            "page 1 of everything": lambda: index.search(Selection()),
            "facets, no filter": lambda: index.facets(Selection()),
            "facets, q='mineur'": lambda: index.facets(Selection(q="mineur")),
            "facets, q='traite' (uncached)": lambda: (
                index._matches.clear(),
                index.facets(Selection(q="traite")),
            ),
            "facets, actor=police": lambda: index.facets(Selection(actor=police)),
            "landing (search+count+facets+by name), q='mineur'": lambda: (
                index.search(Selection(q="mineur")),
                index.count(Selection(q="mineur")),
                index.facets(Selection(q="mineur")),
                index.addressed(Selection(q="mineur")),
            ),
        }
        searches = []
        for name, call in cases.items():
            median = median_seconds(call, args.runs, warmup=2)
            if name.startswith("search '") and "and" not in name:
                searches.append(median)
            print(f"{name:55s} median {median * 1000:7.1f} ms")
        print(
            f"{'median over the ' + str(len(searches)) + ' searches':55s} "
            f"       {statistics.median(searches) * 1000:7.1f} ms, "
            f"slowest {max(searches) * 1000:.1f} ms"
        )
        sparql = median_seconds(
            lambda: list(store.query(ACTOR_COUNTS, use_default_graph_as_union=True)),
            max(3, args.runs // 7),
            warmup=1,
        )
        print(
            f"{'for comparison: actor facet in SPARQL (Oxigraph)':55s} "
            f"median {sparql * 1000:7.1f} ms"
        )


if __name__ == "__main__":
    main()
