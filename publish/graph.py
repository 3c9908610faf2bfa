"""Load the dataset once: the data, ontology and inferred graphs, as named graphs of one Dataset."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from xml.sax import SAXParseException

from rdflib import Dataset, Graph
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.util import guess_format

from .characters import check_file
from .config import Settings
from .errors import LoadError, ValidationFailed
from .namespaces import (
    ANNOTATIONS_GRAPH,
    DATA_GRAPH,
    INFERRED_GRAPH,
    LINKS_GRAPH,
    ONTOLOGY_GRAPH,
    bind_prefixes,
    graph_iri,
)

# Generated graphs (by `thbkg reason`, `thbkg links`): a missing file is an empty graph.
_GENERATED = {INFERRED_GRAPH, LINKS_GRAPH}


def _location(exc: Exception) -> tuple[int, int] | None:
    """Line and column (1-based) of a parser error, for the parsers rdflib uses."""
    if isinstance(exc, BadSyntax):
        text, offset = exc._str, exc._i  # rdflib keeps the buffer and the offset
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        start = text.rfind("\n", 0, offset) + 1
        return text.count("\n", 0, offset) + 1, offset - start + 1
    if isinstance(exc, SAXParseException):
        return exc.getLineNumber(), exc.getColumnNumber() + 1
    if isinstance(exc, json.JSONDecodeError):
        return exc.lineno, exc.colno
    return None


def _reason(exc: Exception) -> str:
    if isinstance(exc, BadSyntax):
        return f"bad syntax ({exc._why})"
    if isinstance(exc, SAXParseException):
        return exc.getMessage()
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def parse_into(graph: Graph, path: Path, rdf_format: str | None = None) -> Graph:
    """Parse ``path`` into ``graph``; any failure becomes a LoadError naming file, line, column."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    rdf_format = rdf_format or guess_format(str(path)) or "turtle"
    check_file(path)
    scratch = Graph()
    try:
        scratch.parse(path, format=rdf_format)
    except Exception as exc:  # every rdflib parser raises its own exception types
        where = _location(exc)
        position = f":{where[0]}:{where[1]}" if where else ""
        raise LoadError(f"{path}{position}: cannot parse as {rdf_format}: {_reason(exc)}") from exc
    graph += scratch  # only a fully parsed file reaches the target graph
    for prefix, namespace in scratch.namespaces():
        graph.bind(prefix, namespace, override=False)
    return graph


def load_graph(paths: Iterable[Path]) -> Graph:
    """One graph from several RDF files."""
    graph = bind_prefixes(Graph())
    for path in paths:
        parse_into(graph, path)
    return graph


def load_dataset(settings: Settings) -> Dataset:
    """The published dataset: every named graph of ``settings.graph_sources()``, union default;
    the generated ones (inferred, links) only when their files are there."""
    dataset = bind_prefixes(Dataset(default_union=True))
    for name, paths in settings.graph_sources().items():
        graph = dataset.graph(graph_iri(name))
        for path in paths:
            if name not in _GENERATED or Path(path).is_file():
                parse_into(graph, path)
    return dataset


class KnowledgeGraph:
    """The published graph, loaded and checked once; the CLI and the web app share it."""

    def __init__(self, settings: Settings, dataset: Dataset) -> None:
        self.settings = settings
        self.dataset = dataset

    @cached_property
    def shapes(self) -> Graph:
        """The SHACL shapes, parsed once: validation and the documentation pages share them."""
        return load_graph([self.settings.shapes])

    @classmethod
    def load(cls, settings: Settings, *, validate: bool = True) -> KnowledgeGraph:
        """Load every graph; with ``validate``, refuse a data graph that breaks the shapes."""
        knowledge = cls(settings, load_dataset(settings))
        if validate:
            from .validate import validate_graph  # validate imports this module

            report = validate_graph(
                knowledge.graph(DATA_GRAPH) + knowledge.graph(ANNOTATIONS_GRAPH),
                settings,
                shapes=knowledge.shapes,
                ontology=knowledge.graph(ONTOLOGY_GRAPH),
            )
            if not report.conforms:
                raise ValidationFailed(
                    f"the data does not conform to the shapes:\n{report.text()}", report
                )
        return knowledge

    def graph(self, iri: object) -> Graph:
        """One named graph (``DATA_GRAPH``, ``ONTOLOGY_GRAPH``, ``ANNOTATIONS_GRAPH`` ...)."""
        return self.dataset.graph(iri)
