"""Query latency, rdflib vs Oxigraph, measured in the same run (not a test; nothing asserted).

    python bench/bench_sparql.py [--runs N] [--triples N]

For each engine and query: the median time of the engine alone (in-process evaluation, result
fully materialised) and of the whole core as the endpoint runs it (parse and guard, forked
process, evaluation, rendering to SPARQL JSON). Two graphs: the published 2018 data, and a
synthetic graph of the same shape with about --triples triples.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rdflib import Dataset, Literal  # noqa: E402
from rdflib.namespace import DCTERMS, ORG, RDF, SKOS, XSD  # noqa: E402
from timing import median_seconds  # noqa: E402

from publish.config import Settings  # noqa: E402
from publish.graph import KnowledgeGraph  # noqa: E402
from publish.namespaces import DATA_GRAPH, THB, resource  # noqa: E402
from publish.sparql import SparqlService  # noqa: E402

QUERIES = {
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
    print(
        f"{'query':<16}{'rdflib':>10}{'oxigraph':>10}{'ratio':>8}{'rdflib core':>13}"
        f"{'oxi core':>10}{'ratio':>8}"
    )
    start = time.perf_counter()
    services = {name: SparqlService(dataset, settings, name) for name in ("rdflib", "oxigraph")}
    print(f"(engines loaded in {time.perf_counter() - start:.1f} s)")
    for name, text in QUERIES.items():
        engine_ms, core_ms = {}, {}
        for engine, service in services.items():
            prepared = service.prepare(text)

            def evaluate(service: SparqlService = service, prepared=prepared) -> object:
                return service.engine.evaluate(prepared.query, prepared.text, None, {}, 1_000_000)

            engine_ms[engine] = median_ms(evaluate, runs)
            core_ms[engine] = median_ms(lambda s=service, p=prepared: s.run(p, "json"), runs)
        print(
            f"{name:<16}{engine_ms['rdflib']:>10.1f}{engine_ms['oxigraph']:>10.1f}"
            f"{engine_ms['rdflib'] / engine_ms['oxigraph']:>7.1f}x"
            f"{core_ms['rdflib']:>13.1f}{core_ms['oxigraph']:>10.1f}"
            f"{core_ms['rdflib'] / core_ms['oxigraph']:>7.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--triples", type=int, default=100_000)
    args = parser.parse_args()
    settings = Settings()
    bench("published data", KnowledgeGraph.load(settings, validate=False).dataset, args.runs)
    start = time.perf_counter()
    big = synthetic(args.triples)
    print(f"\n(synthetic graph built in {time.perf_counter() - start:.1f} s)")
    bench("synthetic", big, max(3, args.runs // 2))


if __name__ == "__main__":
    main()
