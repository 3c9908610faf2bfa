"""Read RDF files: every failure becomes a LoadError that names the file, line and column.

Its own module so that loading (``graph``) and validating (``validate``) both read files the same
way without importing each other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from xml.sax import SAXParseException

from rdflib import Graph
from rdflib.plugins.parsers.notation3 import BadSyntax
from rdflib.util import guess_format

from .characters import check_file
from .errors import LoadError
from .namespaces import bind_prefixes


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
