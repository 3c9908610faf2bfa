"""Split a graph for SHACL validation in parallel, so that every chunk gives the results the
whole graph gives for the focus nodes it owns.

A recommendation owns itself and the blank nodes it reaches (its qualified addressings);
recommendations that reach each other are kept together (one *component*). Everything else is
*shared*: actors, themes, reports, places, and the ontology. A chunk's context is the shared
part, its components, the components the shared part points to, and the triples that point
into its nodes along the predicates an inverse path or an ``sh:targetObjectsOf`` reads; the
shared job has the shared part and every such triple pointing into a shared node. This is exact
for shapes whose reads go forward from a focus node (plus inverse paths of one predicate
directly on the focus node): `unchunkable` names any shape that could read further, and
`validate_graph` then validates the whole graph at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from .namespaces import THB

# Constraint parameters that look at a value node alone, never at its triples.
_VALUE_LOCAL = {
    SH[name]
    for name in [
        *("minCount", "maxCount", "nodeKind", "datatype", "pattern", "flags", "languageIn"),
        *("minLength", "maxLength", "in", "hasValue", "uniqueLang", "minInclusive"),
        *("maxInclusive", "minExclusive", "maxExclusive"),
    ]
}
_ANNOTATIONS = {
    SH[name] for name in ["path", "message", "severity", "name", "description", "order", "group"]
}
# SHACL-AF declarations that change what a shape means (chunks run pySHACL without them).
_DECLARED = (SH.ConstraintComponent, SH.SPARQLFunction, SH.Function, SH.SPARQLTargetType)
# Parameters whose objects are shapes applied to value nodes.
_NESTED = (SH.node, SH.qualifiedValueShape, SH["not"], SH.property)
_NESTED_LISTS = (SH["and"], SH["or"], SH.xone)


def _members(shapes: Graph, head: Node) -> list[Node]:
    return list(Collection(shapes, head)) if head != RDF.nil else []


def _nested_shapes(shapes: Graph) -> set[Node]:
    """Shapes applied to value nodes rather than to targets (sh:node, sh:or ... objects)."""
    nested = {o for p in _NESTED if p != SH.property for o in shapes.objects(None, p)}
    for p in _NESTED_LISTS:
        for head in shapes.objects(None, p):
            nested.update(_members(shapes, head))
    grown = set(nested)
    while grown:  # property shapes of nested shapes are nested too
        grown = {o for s in grown for o in shapes.objects(s, SH.property)} - nested
        nested |= grown
    return nested


def _forward(shapes: Graph, path: Node) -> bool:
    """Whether ``path`` only ever follows triples forward (no inverse step anywhere)."""
    if isinstance(path, URIRef):
        return True
    if (path, RDF.first, None) in shapes:  # a sequence path
        return all(_forward(shapes, step) for step in _members(shapes, path))
    if (alternatives := shapes.value(path, SH.alternativePath)) is not None:
        return all(_forward(shapes, step) for step in _members(shapes, alternatives))
    for repeat in (SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath):
        if (inner := shapes.value(path, repeat)) is not None:
            return _forward(shapes, inner)
    return False


def _inverse(shapes: Graph, path: Node) -> URIRef | None:
    """The predicate of a path ``[ sh:inversePath p ]``, else None."""
    predicate = shapes.value(path, SH.inversePath) if isinstance(path, BNode) else None
    return predicate if isinstance(predicate, URIRef) else None


def unchunkable(shapes: Graph) -> str | None:
    """Why these shapes cannot be validated chunk by chunk, or None when they can."""
    for feature in (SH.target, SH.rule, SH.expression, SH.deactivated):
        if any(shapes.triples((None, feature, None))):
            return f"a shape uses {feature.n3(shapes.namespace_manager)}"
    for kind in _DECLARED:
        if any(shapes.subjects(RDF.type, kind)):
            return f"the shapes declare a {kind.n3(shapes.namespace_manager)}"
    nested = _nested_shapes(shapes)
    for shape, path in shapes.subject_objects(SH.path):
        if _forward(shapes, path):
            continue
        if _inverse(shapes, path) is None:
            return f"a path with an inverse step inside ({path.n3(shapes.namespace_manager)})"
        if shape in nested:
            return "an inverse path in a shape applied to value nodes"
    for shape in shapes.subjects(SH.sparql, None):
        if shapes.value(shape, SH.path) is not None or shape in nested:
            return "a SPARQL constraint on a property shape or a nested shape"
    return None


def incoming_predicates(shapes: Graph) -> tuple[set[URIRef], set[URIRef]]:
    """Predicates whose triples *into* a node can decide its results (inverse paths, and
    ``sh:targetObjectsOf``), and among them those of inverse paths whose constraints read the
    values' own triples (``sh:class``, ``sh:node`` ...)."""
    predicates = {p for p in shapes.objects(None, SH.targetObjectsOf) if isinstance(p, URIRef)}
    deep = set()
    for shape, path in shapes.subject_objects(SH.path):
        if (predicate := _inverse(shapes, path)) is not None:
            predicates.add(predicate)
            if set(shapes.predicates(shape)) - _VALUE_LOCAL - _ANNOTATIONS:
                deep.add(predicate)
    return predicates, deep


def description(graph: Graph, node: Node) -> Iterator[tuple[Node, Node, Node]]:
    """The triples of ``node`` and of the blank nodes it leads to (a recommendation's
    qualified addressings): what it owns."""
    return _owned(lambda subject: graph.triples((subject, None, None)), node)


def _owned(triples_of: Callable[[Node], Iterable[tuple]], node: Node) -> Iterator[tuple]:
    stack, seen = [node], set()
    while stack:
        subject = stack.pop()
        if subject in seen:
            continue
        seen.add(subject)
        for triple in triples_of(subject):
            yield triple
            if isinstance(triple[2], BNode):
                stack.append(triple[2])


@dataclass
class Partition:
    """Which chunk owns each owned node, the shared triples, and what each context adds."""

    owner: dict[Node, int] = field(default_factory=dict)  # node -> chunk number
    chunks: list[list[tuple]] = field(default_factory=list)  # owned triples per chunk
    shared: list[tuple] = field(default_factory=list)  # shared triples + chunks they reach
    incoming: dict[int | None, list[tuple]] = field(default_factory=lambda: defaultdict(list))


def _components(
    recommendations: list[Node], by_subject: dict[Node, list[tuple]]
) -> tuple[list[list[Node]], dict[Node, list[tuple]]]:
    """Recommendations grouped so that none reaches another group, with the triples each owns."""
    parent = {r: r for r in recommendations}

    def find(node: Node) -> Node:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    first_owner: dict[Node, Node] = {}
    triples: dict[Node, list[tuple]] = {}
    for rec in recommendations:
        triples[rec] = list(_owned(lambda subject: by_subject.get(subject, ()), rec))
        for s, _, o in triples[rec]:
            for node in (s, o):
                if node in parent:
                    other = node
                elif isinstance(node, BNode):
                    other = first_owner.setdefault(node, rec)
                else:
                    continue
                if find(other) != find(rec):
                    parent[find(other)] = find(rec)
    groups: dict[Node, list[Node]] = defaultdict(list)
    for rec in recommendations:
        groups[find(rec)].append(rec)
    return sorted(groups.values()), triples


def partition(
    data: Graph, chunk_size: int, incoming: tuple[Iterable[URIRef], Iterable[URIRef]]
) -> Partition:
    """Components packed into chunks of about ``chunk_size`` recommendations."""
    by_subject: dict[Node, list[tuple]] = defaultdict(list)
    for triple in data:  # one pass: rdflib's own lookups cost more per triple than a dict
        by_subject[triple[0]].append(triple)
    recommendations = sorted(set(data.subjects(RDF.type, THB.Recommendation)))
    components, triples = _components(recommendations, by_subject)
    result = Partition()
    current: list[tuple] = []
    count = 0
    for component in components:
        for rec in component:
            for triple in triples[rec]:
                current.append(triple)
                result.owner[triple[0]] = len(result.chunks)
        count += len(component)
        if count >= chunk_size:
            result.chunks.append(current)
            current, count = [], 0
    if current:
        result.chunks.append(current)
    reached: set[int] = set()
    for subject, owned in by_subject.items():
        if subject not in result.owner:
            result.shared.extend(owned)
            reached.update(result.owner[o] for _, _, o in owned if o in result.owner)
    predicates, deep = incoming
    for predicate in predicates:
        for triple in data.triples((None, predicate, None)):
            target = result.owner.get(triple[2])
            result.incoming[target].append(triple)
            # A shared node's inverse-path values are read: their chunk comes along.
            if target is None and predicate in deep and triple[0] in result.owner:
                reached.add(result.owner[triple[0]])
    # The shared part pointing into owned nodes (rare) brings their whole chunk along.
    for number in sorted(reached):
        result.shared.extend(result.chunks[number])
    return result


def context(part: Partition, number: int | None, ontology: Graph) -> Graph:
    """The graph a job validates: chunk ``number``, or the shared job when None."""
    graph = Graph()
    graph += ontology
    for triple in part.shared:
        graph.add(triple)
    if number is not None:
        for triple in part.chunks[number]:
            graph.add(triple)
    for triple in part.incoming.get(number, ()):
        graph.add(triple)
    return graph
