"""Query latency through the query machinery, layer by layer (not a test; nothing asserted).

    python bench/bench_sparql.py [--runs N] [--triples N]

For each query, the median time of:

- ``oxigraph``: the engine alone, in-process, on the read-only store (result materialised);
- ``core``: what a worker does, in-process: canonical text, rdflib parse, guard, dataset,
  Oxigraph evaluation, rendering to SPARQL JSON;
- ``service``: the whole path as the endpoint runs it: admission, a pre-started sandboxed
  worker over a pipe, one deadline (``SparqlService.answer``).

``service - core`` is the overhead of the time-limit machinery (target: under 1 ms median on a
trivial ASK). Two graphs: the published 2018 data, and a synthetic graph of the same shape with
about --triples triples.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox  # noqa: E402
from rdflib import Dataset, Literal  # noqa: E402
from rdflib.namespace import DCTERMS, ORG, RDF, SKOS, XSD  # noqa: E402
from timing import median_seconds  # noqa: E402

from publish.config import Settings  # noqa: E402
from publish.graph import KnowledgeGraph  # noqa: E402
from publish.namespaces import DATA_GRAPH, THB, resource  # noqa: E402
from publish.querystore import TemporaryQueryStore  # noqa: E402
from publish.sparql import QueryCore, Request, SparqlService  # noqa: E402

QUERIES = {
    "trivial ASK": "ASK {}",
    "lookup": """SELECT ?text WHERE { ?r dcterms:identifier "2018/40" ; thb:text ?text }""",
    "join+aggregate": """SELECT ?a (COUNT(?r) AS ?n) WHERE {
        ?r a thb:Recommendation ; thb:addressedTo ?a ; thb:theme ?t .
        ?a skos:prefLabel ?l } GROUP BY ?a ORDER BY DESC(?n) LIMIT 20""",
    "hierarchy path": """SELECT ?top (COUNT(DISTINCT ?r) AS ?n) WHERE {
        ?r thb:addressedTo ?a . ?a org:subOrganizationOf* ?top } GROUP BY ?top
        ORDER BY DESC(?n) LIMIT 20""",
    "text filter": """SELECT ?id WHERE { ?r dcterms:identifier ?id ; thb:text ?t
        FILTER (CONTAINS(LCASE(STR(?t)), "victimes")) } LIMIT 100""",
}


def synthetic(triples: int, seed: int = 2018) -> Dataset:
    """A graph shaped like ours: recommendations addressed to actors in a hierarchy, by theme."""
    rng = random.Random(seed)
    dataset = Dataset(default_union=True)
    graph = dataset.graph(DATA_GRAPH)
    actors = [resource(f"actor/a{i}") for i in range(500)]
    for i, actor in enumerate(actors):
        graph.add((actor, RDF.type, THB.Actor))
        graph.add((actor, SKOS.prefLabel, Literal(f"Acteur {i}", lang="fr")))
        if i >= 10:
            graph.add((actor, ORG.subOrganizationOf, actors[rng.randrange(0, i // 2 + 1)]))
    themes = [resource(f"theme/t{i}") for i in range(20)]
    words = [
        "victimes",
        "mineurs",
        "police",
        "traite",
        "trafic",
        "formation",
        "confiance",
        "enquête",
        "réseau",
    ]
    n = 0
    while len(graph) < triples:
        n += 1
        r = resource(f"recommendation/s-{n}")
        text = " ".join(rng.choice(words) for _ in range(12))
        graph.add((r, RDF.type, THB.Recommendation))
        graph.add((r, DCTERMS.identifier, Literal(f"s/{n}")))
        graph.add((r, THB.sequence, Literal(n, datatype=XSD.positiveInteger)))
        graph.add((r, THB.text, Literal(text, lang="fr")))
        graph.add((r, THB.theme, rng.choice(themes)))
        for actor in rng.sample(actors, rng.randint(1, 4)):
            graph.add((r, THB.addressedTo, actor))
    return dataset


def median_ms(action: Callable[[], object], runs: int) -> float:
    return median_seconds(action, runs, warmup=1) * 1000


def bench(label: str, dataset: Dataset, runs: int) -> None:
    settings = Settings().with_overrides(query_timeout=600.0, max_rows=1_000_000)
    size = sum(1 for _ in dataset.triples((None, None, None)))
    print(f"\n{label}: {size} triples, median of {runs} runs (ms)")
    print(f"{'query':<16}{'oxigraph':>10}{'core':>10}{'service':>10}{'service-core':>14}")
    start = time.perf_counter()
    built = TemporaryQueryStore(dataset)
    store = ox.Store.read_only(str(built.store))
    core = QueryCore(store, settings)
    service = SparqlService(built.store, settings, workers=1)
    print(f"(store built and worker started in {time.perf_counter() - start:.1f} s)")
    try:
        for name, text in QUERIES.items():
            prepared = core.prepare(text)
            engine_ms = median_ms(
                lambda p=prepared: core.engine.evaluate(p.query, p.text, None, 1_000_000), runs
            )
            core_ms = median_ms(lambda t=text: core.answer(Request(t, override="json")), runs)
            service_ms = median_ms(lambda t=text: service.answer(t, format_override="json"), runs)
            print(
                f"{name:<16}{engine_ms:>10.2f}{core_ms:>10.2f}{service_ms:>10.2f}"
                f"{service_ms - core_ms:>14.2f}"
            )
    finally:
        service.close()
        built.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--triples", type=int, default=100_000)
    args = parser.parse_args()
    settings = Settings()
    bench("published data", KnowledgeGraph.load(settings, validate=False).dataset, args.runs)
    start = time.perf_counter()
    big = synthetic(args.triples)
    print(f"\n(synthetic graph built in {time.perf_counter() - start:.1f} s)")
    bench("synthetic", big, max(5, args.runs // 5))


if __name__ == "__main__":
    main()
