"""The shapes' SPARQL constraints, each run once over the whole graph.

pySHACL runs a SPARQL constraint once per focus node, parsing it again each time, and a
constraint that compares a node with every other (unique identifiers) then grows with the square
of the graph. Here each query is parsed once. When ``$this`` is bound by a triple pattern of the
query's top-level group (and the query uses nothing but triple patterns, filters, BIND and
DISTINCT), one evaluation with ``$this`` free gives, for each focus node, exactly the solutions
pySHACL's pre-bound evaluation gives; otherwise the prepared query is evaluated per focus node
with ``$this`` bound, as pySHACL does. Results are built as pySHACL builds them (value, path,
message templates, duplicates dropped per focus node)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef, Variable
from rdflib.namespace import RDF, RDFS, SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.term import Node

THIS = Variable("this")
_FREE_SAFE = {"SelectQuery", "Project", "Extend", "Filter", "BGP", "Join", "Distinct"}
_UNSUPPORTED_VARIABLES = re.compile(r"\$(PATH|shapesGraph|currentShape)\b")


@dataclass(frozen=True)
class Raw:
    """One validation result before display: rdflib terms, as in pySHACL's report."""

    severity: URIRef
    focus: Node
    path: Node | None
    value: Node | None
    messages: tuple[str, ...]
    shape: Node
    component: URIRef


def unsupported(shapes: Graph) -> str | None:
    """Why a SPARQL constraint of these shapes cannot be run here, or None."""
    for constraint in shapes.objects(None, SH.sparql):
        text = shapes.value(constraint, SH.select)
        if text is None:
            return "a SPARQL constraint without sh:select"
        if match := _UNSUPPORTED_VARIABLES.search(str(text)):
            return f"a SPARQL constraint that uses ${match[1]}"
        if not any(shapes.objects(constraint, SH.message)):
            return "a SPARQL constraint without sh:message"
        query = prepareQuery(_prefixes(shapes, constraint) + str(text))
        if THIS not in query.algebra["PV"] or Variable("failure") in query.algebra["PV"]:
            return "a SPARQL constraint that does not select $this, or selects ?failure"
    return None


def _prefixes(shapes: Graph, constraint: Node) -> str:
    lines = []
    for owner in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(owner, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            lines.append(f"PREFIX {prefix}: <{namespace}>\n")
    return "".join(lines)


def _binds_this(part: object) -> bool:
    """Whether ``$this`` is bound by every solution of ``part`` through a triple pattern,
    with only operators under which free evaluation equals pre-binding."""
    name = getattr(part, "name", None)
    if name not in _FREE_SAFE:
        return False
    if name == "BGP":
        return any(THIS in (s, o) for s, _, o in part["triples"])
    if name == "Join":
        return (
            _safe(part["p1"])
            and _safe(part["p2"])
            and (_binds_this(part["p1"]) or _binds_this(part["p2"]))
        )
    return _binds_this(part["p"])


def _safe(part: object) -> bool:
    name = getattr(part, "name", None)
    if name not in _FREE_SAFE:
        return False
    if name == "BGP":
        return True
    if name == "Join":
        return _safe(part["p1"]) and _safe(part["p2"])
    return _safe(part["p"])


def focus_nodes(graph: Graph, shapes: Graph, shape: Node) -> set[Node]:
    """The focus nodes of ``shape`` in ``graph``, found as pySHACL finds them."""
    nodes = set(shapes.objects(shape, SH.targetNode))
    classes = set(shapes.objects(shape, SH.targetClass))
    class_types = {RDFS.Class, *shapes.subjects(RDFS.subClassOf, RDFS.Class)}
    if any(t in class_types for t in shapes.objects(shape, RDF.type)):
        classes.add(shape)
    for cls in classes:
        nodes.update(graph.subjects(RDF.type, cls))
        for subclass in graph.transitive_subjects(RDFS.subClassOf, cls):
            nodes.update(graph.subjects(RDF.type, subclass))
    for predicate in shapes.objects(shape, SH.targetSubjectsOf):
        nodes.update(s for s, _ in graph.subject_objects(predicate))
    for predicate in shapes.objects(shape, SH.targetObjectsOf):
        nodes.update(o for _, o in graph.subject_objects(predicate))
    return nodes


def _solutions(graph: Graph, query: object, focus: set[Node]) -> Iterator[tuple[Node, dict]]:
    if _binds_this(query.algebra["p"]):
        for row in graph.query(query):
            bindings = row.asdict()
            if bindings.get("this") in focus:
                yield bindings["this"], bindings
    else:
        for node in focus:
            for row in graph.query(query, initBindings={"this": node}):
                yield node, row.asdict()


def _format(message: str, bindings: dict) -> str:
    for name, value in bindings.items():
        message = re.sub(f"{{[?$]{name}}}", str(value), message)
    return message


def constraints(shapes: Graph) -> list[tuple[Node, Node]]:
    """The (shape, SPARQL constraint) pairs of the shapes."""
    return list(shapes.subject_objects(SH.sparql))


def sparql_results(
    graph: Graph, shapes: Graph, which: list[tuple[Node, Node]] | None = None
) -> list[Raw]:
    """Every result of the SPARQL constraints (``which``, or all) of the shapes over ``graph``."""
    results = []
    for shape, constraint in constraints(shapes) if which is None else which:
        focus = focus_nodes(graph, shapes, shape)
        if not focus:
            continue
        query = prepareQuery(
            _prefixes(shapes, constraint) + str(shapes.value(constraint, SH.select))
        )
        severity = shapes.value(shape, SH.severity) or SH.Violation
        shape_messages = [m for m in shapes.objects(shape, SH.message) if isinstance(m, Literal)]
        extra = [m for m in shapes.objects(constraint, SH.message) if m not in shape_messages]
        seen: dict[Node, list] = defaultdict(list)
        for node, bindings in _solutions(graph, query, focus):
            this, path, value = (bindings.pop(k, None) for k in ("this", "path", "value"))
            if path is None and value is None and this is None:
                continue
            key = (this, path, value, bindings)
            if key in seen[node]:
                continue
            seen[node].append(key)
            value = node if value is None else value  # a node shape's value is its focus node
            template = {**bindings, "this": this or node, "value": value}
            if path is not None:
                template["path"] = path
            messages = [_format(str(m), template) for m in [*extra, *shape_messages]]
            results.append(
                Raw(
                    severity,
                    this or node,
                    path,
                    value,
                    tuple(messages),
                    shape,
                    SH.SPARQLConstraintComponent,
                )
            )
    return results


def without_sparql(shapes: Graph) -> Graph:
    """The shapes with their SPARQL constraints removed (the core constraints, for pySHACL)."""
    core = Graph()
    core.namespace_manager = shapes.namespace_manager
    dropped = set(shapes.objects(None, SH.sparql))
    for triple in shapes:
        if triple[1] != SH.sparql and triple[0] not in dropped:
            core.add(triple)
    return core
