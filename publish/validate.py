"""pySHACL around our shapes: a graph in, a report a maintainer can act on out."""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.graph import ReadOnlyGraphAggregate
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from . import chunking
from .chunking import Partition
from .config import Settings
from .lifecycle import end_with_parent
from .namespaces import THB, bind_prefixes, short
from .rdfio import load_graph
from .shacl_sparql import Raw, constraints, sparql_results, unsupported, without_sparql

_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
_ALLOWED = {"Warning", "Info"}  # allow_warnings: these results leave the graph conforming
#: Recommendations per chunk: above this, the core constraints run in parallel processes.
CHUNK_SIZE = 5000


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


def _results(
    report: Graph, data: Graph, shapes: Graph, keep: Callable[[Node], bool]
) -> list[Result]:
    """pySHACL's report graph as Results, for the focus nodes ``keep`` accepts."""
    bind_prefixes(report)
    value = report.value
    results = []
    for result in report.subjects(SH.resultSeverity, None):
        focus = value(result, SH.focusNode)
        if not keep(focus):
            continue
        messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
        results.append(
            Result(
                severity=_severity(value(result, SH.resultSeverity)),
                focus=_show(data, focus),
                path=_show_path(report, value(result, SH.resultPath)),
                value=_show(data, value(result, SH.value)),
                message=" / ".join(messages) or "(no message)",
                shape=_show_shape(shapes, value(result, SH.sourceShape)),
                constraint=_show(report, value(result, SH.sourceConstraintComponent)),
            )
        )
    return results


def _severity(node: object) -> str:
    return str(node).rsplit("#", 1)[-1]


def _raw_results(raws: Iterable[Raw], data: Graph, shapes: Graph) -> list[Result]:
    """Results of the SPARQL constraints, displayed as `_results` displays pySHACL's."""
    names = bind_prefixes(Graph())
    return [
        Result(
            severity=_severity(raw.severity),
            focus=_show(data, raw.focus),
            path=_show_path(names, raw.path),
            value=_show(data, raw.value),
            message=" / ".join(sorted(raw.messages)) or "(no message)",
            shape=_show_shape(shapes, raw.shape),
            constraint=_show(names, raw.component),
        )
        for raw in raws
    ]


def _pyshacl(
    data: Graph, shapes: Graph, ontology: Graph | None, *, inplace: bool = False, advanced=True
) -> Graph:
    """pySHACL as thbkg runs it: the ontology gives the class hierarchy, no inference.

    The core constraints run without SHACL-AF (``advanced``): `chunking.unchunkable` has
    checked that the shapes use none of it, and it costs a third of pySHACL's time."""
    _, report, _ = shacl_validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=advanced,
        allow_warnings=True,
        do_owl_imports=False,
        inplace=inplace,
    )
    return report


def _report(results: Iterable[Result]) -> Report:
    """Results in one order (severity, then every field), and the verdict they give."""
    ordered = sorted(
        results,
        key=lambda r: (
            _SEVERITY_ORDER.get(r.severity, 9),
            r.focus,
            r.path,
            r.message,
            r.value,
            r.shape,
            r.constraint,
        ),
    )
    conforms = all(r.severity in _ALLOWED for r in ordered)
    return Report(conforms, tuple(ordered))


def validate_whole(data: Graph, shapes: Graph, ontology: Graph) -> Report:
    """pySHACL over the whole graph in one run: the reference the chunked validation equals,
    and what runs when the shapes use something chunking cannot handle."""
    return _report(_results(_pyshacl(data, shapes, ontology), data, shapes, lambda _: True))


@dataclass(frozen=True)
class _Job:
    """What every worker needs; forked workers inherit it instead of receiving a copy."""

    data: Graph
    shapes: Graph
    core: Graph
    ontology: Graph
    part: Partition | None


_INHERITED: list[_Job] = []  # set in each forked worker by _adopt
Task = tuple[str, object]


def _adopt(job: _Job, parent: int) -> None:
    end_with_parent(parent)
    _INHERITED[:] = [job]


def _run(task: Task, job: _Job | None = None) -> list[Result]:
    """One task: ("sparql", (shape, constraint)) runs a SPARQL constraint over the whole graph;
    ("core", None) the core constraints over the whole graph; ("chunk", N) over chunk N and
    ("chunk", None) over the shared nodes, keeping the results of the nodes they own."""
    job = job or _INHERITED[0]
    kind, what = task
    if kind == "sparql":
        graph = ReadOnlyGraphAggregate([job.data, job.ontology])
        return _raw_results(sparql_results(graph, job.shapes, [what]), job.data, job.shapes)
    if kind == "core":
        report = _pyshacl(job.data, job.core, job.ontology, advanced=False)
        return _results(report, job.data, job.shapes, lambda _: True)
    graph = chunking.context(job.part, what, job.ontology)
    owner = job.part.owner
    report = _pyshacl(graph, job.core, None, inplace=True, advanced=False)
    return _results(report, job.data, job.shapes, lambda focus: owner.get(focus) == what)


def validate_graph(
    data: Graph,
    settings: Settings,
    *,
    shapes: Graph | None = None,
    ontology: Graph | None = None,
    chunk_size: int = CHUNK_SIZE,
    workers: int | None = None,
) -> Report:
    """Validate ``data`` with the shapes, using the ontology for class hierarchy (RDFS).

    Each SPARQL constraint runs once over the whole graph (`shacl_sparql`); the core
    constraints run in chunks of ``chunk_size`` recommendations (`chunking`), all of it in
    parallel processes, or in this process for a graph of one chunk. The report equals
    pySHACL's over the whole graph (`validate_whole`, which runs instead when the shapes use
    what chunking cannot handle). A caller that has already loaded the shapes or the ontology
    passes them in."""
    shapes = load_graph([settings.shapes]) if shapes is None else shapes
    ontology = load_graph([settings.ontology]) if ontology is None else ontology
    if chunking.unchunkable(shapes) or unsupported(shapes):
        return validate_whole(data, shapes, ontology)
    core = without_sparql(shapes)
    sparql: list[Task] = [("sparql", pair) for pair in constraints(shapes)]
    recommendations = sum(1 for _ in data.subjects(RDF.type, THB.Recommendation))
    if recommendations <= chunk_size:
        job = _Job(data, shapes, core, ontology, None)
        return _report(found for task in [*sparql, ("core", None)] for found in _run(task, job))
    part = chunking.partition(data, chunk_size, chunking.incoming_predicates(shapes))
    tasks = [*sparql, ("chunk", None), *(("chunk", n) for n in range(len(part.chunks)))]
    job = _Job(data, shapes, core, ontology, part)
    workers = min(workers or os.cpu_count() or 1, len(tasks))
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_adopt, initargs=(job, os.getpid())
    ) as pool:
        return _report(found for results in pool.map(_run, tasks) for found in results)


def validate_files(paths: Iterable[Path], settings: Settings) -> Report:
    """Validate the union of data files; a file that cannot be parsed raises LoadError."""
    return validate_graph(load_graph(paths), settings)
