"""How long `thbkg reason` takes: the 2018 annex and a synthetic annex of 10 000 recommendations,
with HermiT (what `thbkg reason` runs) and, as a peer on the same input, owlready2's Pellet.

Printed, not asserted: run `python bench/bench_reason.py [--runs N] [--size N]`.
Each figure is the median wall-clock time of N runs, each in a fresh owlready2 World (JVM start
included, as in `thbkg reason`)."""

from __future__ import annotations

import argparse
import io
import random
import sys
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import median_seconds  # noqa: E402

from publish.config import Settings  # noqa: E402
from publish.graph import load_graph  # noqa: E402
from publish.namespaces import THB, resource  # noqa: E402
from publish.reason import CHUNK_SIZE, infer, reasoner_input  # noqa: E402


def synthetic(base: Graph, size: int, seed: int = 2018) -> Graph:
    """The actors, themes and report of ``base`` with ``size`` made-up recommendations, each
    in a section theme and addressed to one to three actors drawn at random."""
    graph = Graph()
    graph += base.triples((None, None, None))
    for old in list(graph.subjects(RDF.type, THB.Recommendation)):
        graph.remove((old, None, None))
    actors = sorted(base.subjects(RDF.type, THB.Actor))
    themes = sorted(base.subjects(THB.headingText, None))
    report = next(base.subjects(RDF.type, THB.Report))
    chance = random.Random(seed)
    for sequence in range(1, size + 1):
        rec = resource(f"recommendation/3000-{sequence}")
        graph.add((rec, RDF.type, THB.Recommendation))
        graph.add((rec, DCTERMS.identifier, Literal(f"3000/{sequence}")))
        graph.add((rec, THB.year, Literal("3000", datatype=XSD.gYear)))
        graph.add((rec, THB.sequence, Literal(sequence, datatype=XSD.positiveInteger)))
        graph.add((rec, RDFS.label, Literal(f"Recommendation 3000/{sequence}", lang="en")))
        graph.add((rec, THB.text, Literal(f"Texte synthétique {sequence}.", lang="fr")))
        graph.add((rec, THB.theme, chance.choice(themes)))
        graph.add((rec, DCTERMS.isPartOf, report))
        for actor in chance.sample(actors, chance.randint(1, 3)):
            graph.add((rec, THB.addressedTo, actor))
    return graph


def pellet(ontology: Graph, data: Graph) -> None:
    """The peer: owlready2's Pellet on the same prepared input, property values included."""
    import owlready2

    world = owlready2.World()
    asserted = ontology + data
    ntriples = reasoner_input(asserted).serialize(format="nt", encoding="utf-8")
    world.get_ontology("urn:thbkg:bench").load(fileobj=io.BytesIO(ntriples), format="ntriples")
    owlready2.sync_reasoner_pellet(world, infer_property_values=True, debug=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--size", type=int, default=10_000, help="synthetic recommendations")
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=CHUNK_SIZE,
        help=f"recommendations per HermiT run (default {CHUNK_SIZE}; at least --size: one run)",
    )
    args = parser.parse_args()
    settings = Settings()
    ontology, data = load_graph([settings.ontology]), load_graph(settings.data)
    cases = {"annex 2018": data, f"synthetic {args.size}": synthetic(data, args.size)}
    print(f"median of {args.runs} runs, seconds (JVM start included), chunks of {args.chunk_size}")
    print(f"{'data':<18} {'triples':>8} {'inferred':>9} {'HermiT':>8} {'Pellet':>8}")
    for name, graph in cases.items():
        results: list[object] = []  # the timed runs' output, counted once below

        def run(g: object = graph, out: list[object] = results) -> None:
            out.append(infer(ontology, g, chunk_size=args.chunk_size))

        hermit = median_seconds(run, args.runs)
        inferred = results[-1]
        try:
            peer = f"{median_seconds(lambda g=graph: pellet(ontology, g), args.runs):8.2f}"
        except Exception as exc:  # the peer's failure is a finding, not a crash
            peer = f"{'failed':>8} ({type(exc).__name__})"
        print(f"{name:<18} {len(graph):>8} {len(inferred):>9} {hermit:8.2f} {peer}")


if __name__ == "__main__":
    main()
