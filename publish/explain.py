"""Why HermiT says "inconsistent": find the individuals and the axioms that clash.

HermiT only answers that the ontology is inconsistent. A maintainer needs to know which resource
breaks which axiom, so we look for the two clashes our ontology can produce from the asserted
graph alone: an individual with two disjoint types (asserted, or implied by a property's domain or
range and the class hierarchy), and a functional property with two different values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from .namespaces import BASE, bind_prefixes, short


def _closure(graph: Graph, start: URIRef, prop: URIRef) -> set[URIRef]:
    """``start`` and every IRI it reaches through ``prop`` (sub-class or sub-property)."""
    return {n for n in graph.transitive_objects(start, prop) if isinstance(n, URIRef)}


def _show(graph: Graph, node: object) -> str:
    if isinstance(node, URIRef):
        return short(node)
    return node.n3(graph.namespace_manager) if hasattr(node, "n3") else str(node)


def _types(graph: Graph) -> dict[URIRef, dict[URIRef, str]]:
    """Each individual's named types with the reason for each (RDFS entailment)."""
    reasons: dict[URIRef, dict[URIRef, str]] = defaultdict(dict)

    def add(node: object, cls: URIRef, why: str) -> None:
        if not isinstance(node, URIRef) or not isinstance(cls, URIRef):
            return
        for sup in _closure(graph, cls, RDFS.subClassOf):
            reasons[node].setdefault(
                sup, why if sup == cls else f"{why}, and {_show(graph, cls)} ⊑ {_show(graph, sup)}"
            )

    for node, cls in graph.subject_objects(RDF.type):
        if cls not in (OWL.NamedIndividual, OWL.Class, OWL.Ontology) and isinstance(node, URIRef):
            add(node, cls, "asserted rdf:type")
    properties = set(graph.subjects(RDFS.domain, None)) | set(graph.subjects(RDFS.range, None))
    for prop in {p for p in graph.predicates() if isinstance(p, URIRef)}:
        for sup in _closure(graph, prop, RDFS.subPropertyOf) & properties:
            used = f"{_show(graph, prop)}" + ("" if sup == prop else f" (⊑ {_show(graph, sup)})")
            for domain in graph.objects(sup, RDFS.domain):
                for s in set(graph.subjects(prop, None)):
                    add(s, domain, f"subject of {used}, rdfs:domain {_show(graph, domain)}")
            for rng in graph.objects(sup, RDFS.range):
                for o in set(graph.objects(None, prop)):
                    add(o, rng, f"object of {used}, rdfs:range {_show(graph, rng)}")
    return reasons


def _disjoint_groups(graph: Graph) -> Iterator[tuple[list[URIRef], str]]:
    """Every disjointness axiom as (classes, how to name the axiom)."""
    for axiom in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        for head in graph.objects(axiom, OWL.members):
            members = [m for m in Collection(graph, head) if isinstance(m, URIRef)]
            names = " ".join(_show(graph, m) for m in members)
            yield members, f"owl:AllDisjointClasses ( {names} )"
    for a, b in graph.subject_objects(OWL.disjointWith):
        yield [a, b], f"{_show(graph, a)} owl:disjointWith {_show(graph, b)}"


def disjointness_clashes(graph: Graph) -> list[str]:
    """Individuals whose types include two classes an axiom declares disjoint."""
    types = _types(graph)
    found = []
    for members, axiom in _disjoint_groups(graph):
        for node in sorted(types):
            clash = [m for m in members if m in types[node]]
            if len(clash) >= 2:
                why = "; ".join(f"{_show(graph, c)}: {types[node][c]}" for c in clash)
                names = " and ".join(_show(graph, c) for c in clash)
                found.append(
                    f"{_show(graph, node)} is both {names}, which the ontology declares "
                    f"disjoint by {axiom} ({why})"
                )
    return found


def _different(a: object, b: object) -> bool:
    """Whether two values are surely different (our IRIs are never synonyms: one per thing)."""
    if isinstance(a, Literal) and isinstance(b, Literal):
        if a.value is not None and b.value is not None and type(a.value) is type(b.value):
            return a.value != b.value or a.language != b.language
        return a != b
    return (
        isinstance(a, URIRef)
        and isinstance(b, URIRef)
        and a.startswith(BASE)
        and b.startswith(BASE)
    )


def functional_clashes(graph: Graph) -> list[str]:
    """Subjects with two different values of an owl:FunctionalProperty (or its sub-properties)."""
    found = []
    for prop in sorted(graph.subjects(RDF.type, OWL.FunctionalProperty)):
        subs = {p for p in graph.predicates() if prop in _closure(graph, p, RDFS.subPropertyOf)}
        values: dict[object, set] = defaultdict(set)
        for sub in subs | {prop}:
            for s, o in graph.subject_objects(sub):
                values[s].add(o)
        for subject in sorted(values, key=str):
            distinct = sorted(values[subject], key=str)
            if any(_different(a, b) for a in distinct for b in distinct if a is not b):
                shown = ", ".join(_show(graph, v) for v in distinct)
                found.append(
                    f"{_show(graph, subject)} has {len(distinct)} values of {_show(graph, prop)} "
                    f"({shown}), which the ontology declares an owl:FunctionalProperty "
                    "(at most one value)"
                )
    return found


def explain(asserted: Graph) -> str:
    """A message a maintainer can act on: every clash found, or HermiT's bare verdict."""
    graph = bind_prefixes(Graph())
    graph += asserted
    clashes = disjointness_clashes(graph) + functional_clashes(graph)
    if not clashes:
        return (
            "HermiT finds the ontology and the data inconsistent, but no individual has two "
            "disjoint types and no functional property has two values: look for a clash with "
            "another axiom of ontology/thbkg.ttl (a cardinality or value restriction)"
        )
    lines = "\n".join(f"  - {clash}" for clash in clashes)
    return (
        f"the ontology and the data are inconsistent (HermiT); {len(clashes)} clash(es):\n"
        f"{lines}\nFix the data (or data/authorities.ttl it is built from), then run "
        "`thbkg validate` and `thbkg reason` again."
    )
