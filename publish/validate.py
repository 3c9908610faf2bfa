"""pySHACL around our shapes: a graph in, a report a maintainer can act on out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import SH

from .config import Settings
from .namespaces import bind_prefixes, short
from .rdfio import load_graph

_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class Result:
    """One SHACL validation result, in the words a maintainer reads."""

    severity: str
    focus: str
    path: str
    value: str
    message: str
    shape: str
    constraint: str


@dataclass(frozen=True)
class Report:
    """The outcome of validating a graph against the shapes."""

    conforms: bool
    results: tuple[Result, ...]

    @property
    def violations(self) -> tuple[Result, ...]:
        """The results that make the graph fail (warnings and infos do not)."""
        return tuple(r for r in self.results if r.severity == "Violation")

    def text(self) -> str:
        """A readable report: one block per result, then a summary line."""
        if not self.results:
            return "Conforms: the graph satisfies every shape."
        blocks = [
            f"{r.severity}: {r.message}\n  focus node: {r.focus}\n  path: {r.path}\n"
            f"  value: {r.value}\n  shape: {r.shape} ({r.constraint})"
            for r in self.results
        ]
        verdict = "Conforms" if self.conforms else "Does not conform"
        return "\n\n".join(blocks) + f"\n\n{verdict}: {len(self.results)} result(s)."

    def to_json(self) -> str:
        """The report for scripts and CI (``thbkg validate --format json``)."""
        return json.dumps(
            {"conforms": self.conforms, "results": [asdict(r) for r in self.results]},
            ensure_ascii=False,
            indent=2,
        )


def _show(graph: Graph, node: object) -> str:
    """A node as a maintainer reads it: prefixed name, literal, or a blank node's owner."""
    if node is None:
        return "-"
    if isinstance(node, URIRef):
        return short(node, graph.namespace_manager)
    if isinstance(node, Literal):
        return node.n3(graph.namespace_manager)
    if isinstance(node, BNode):
        owners = [s for s, _ in graph.subject_predicates(node)]
        return f"[] (a blank node of {_show(graph, owners[0])})" if owners else "[]"
    return str(node)


def _show_path(shapes: Graph, path: object) -> str:
    if path is None:
        return "-"
    if isinstance(path, BNode):
        inverse = shapes.value(path, SH.inversePath)
        if inverse is not None:
            return f"^{_show_path(shapes, inverse)}"
        return "(complex path)"
    return _show(shapes, path)


def _show_shape(shapes: Graph, shape: object) -> str:
    """A property shape is a blank node: name it by its node shape and its path."""
    owner = shapes.value(predicate=SH.property, object=shape) if isinstance(shape, BNode) else None
    if owner is None:
        return _show(shapes, shape)
    return f"{_show(shapes, owner)}, property {_show_path(shapes, shapes.value(shape, SH.path))}"


def validate_graph(
    data: Graph, settings: Settings, *, shapes: Graph | None = None, ontology: Graph | None = None
) -> Report:
    """Validate ``data`` with the shapes, using the ontology for class hierarchy (RDFS).

    A caller that has already loaded the shapes or the ontology passes them in; otherwise they
    are read from the files ``settings`` names."""
    shapes = load_graph([settings.shapes]) if shapes is None else shapes
    ontology = load_graph([settings.ontology]) if ontology is None else ontology
    conforms, report_graph, _ = shacl_validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
        do_owl_imports=False,
    )
    bind_prefixes(report_graph)
    value = report_graph.value
    results = []
    for result in report_graph.subjects(SH.resultSeverity, None):
        severity = str(value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
        messages = sorted(str(m) for m in report_graph.objects(result, SH.resultMessage))
        results.append(
            Result(
                severity=severity,
                focus=_show(data, value(result, SH.focusNode)),
                path=_show_path(report_graph, value(result, SH.resultPath)),
                value=_show(data, value(result, SH.value)),
                message=" / ".join(messages) or "(no message)",
                shape=_show_shape(shapes, value(result, SH.sourceShape)),
                constraint=_show(report_graph, value(result, SH.sourceConstraintComponent)),
            )
        )
    results.sort(key=lambda r: (_SEVERITY_ORDER.get(r.severity, 9), r.focus, r.path, r.message))
    return Report(bool(conforms), tuple(results))


def validate_files(paths: Iterable[Path], settings: Settings) -> Report:
    """Validate the union of data files; a file that cannot be parsed raises LoadError."""
    return validate_graph(load_graph(paths), settings)
