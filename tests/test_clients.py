"""Researchers' clients against a live server: every query of queries/ through SPARQLWrapper,
exactly as the README shows it, and through rdflib's SPARQLStore; both must give the rows the
endpoint's own core gives for the same query.

SPARQLWrapper 2.0.0 guesses a query's form by searching its text for a keyword (``ADD``,
``ASK``, ``LOAD`` ...) after a comment stripper that keeps every second line of a comment
block, so a header line such as "addressed to" made it send a SELECT as an update.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import SPARQLWrapper

from publish.sparql import SparqlService, parse

ROOT = Path(__file__).parent.parent
QUERIES = sorted((ROOT / "queries").glob("*.rq"))
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _form(text: str) -> str:
    return parse(text)[1]


def _readme_example() -> str:
    """The README's SPARQLWrapper snippet, the one a researcher copies."""
    found = re.search(r"```python\n((?:from|import) [^`]*?SPARQLWrapper[^`]*?)```", README, re.S)
    assert found, "the README shows no SPARQLWrapper example"
    return found.group(1)


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_sparqlwrapper_sees_the_real_query_form(path: Path) -> None:
    """Offline guard: a header that fools SPARQLWrapper's keyword search fails here, by name."""
    sparql = SPARQLWrapper("http://127.0.0.1:9/sparql")
    sparql.setQuery(path.read_text(encoding="utf-8"))
    assert sparql.queryType == _form(path.read_text(encoding="utf-8")), (
        f"{path.name}: SPARQLWrapper takes it for {sparql.queryType}; reword the header so "
        "that no update or query keyword (add, ask, load, drop, copy, move ...) survives "
        "its comment stripping"
    )


def _norm(value: str) -> str:
    """A value with its words sorted: SPARQL leaves the order of GROUP_CONCAT to the engine."""
    return "\x00".join(sorted(re.split(r" \| |, | ", value)))


def _row(pairs: dict[str, str]) -> str:
    return json.dumps({k: _norm(v) for k, v in pairs.items()}, sort_keys=True)


def _core_rows(service: SparqlService, text: str) -> object:
    doc = json.loads(service.query(text, "json"))
    if "boolean" in doc:
        return doc["boolean"]
    return sorted(_row({k: v["value"] for k, v in b.items()}) for b in doc["results"]["bindings"])


@pytest.mark.server
@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_through_sparqlwrapper_as_the_readme_shows(
    path: Path, live_server: str, service: SparqlService
) -> None:
    """The README's snippet, run as written but for the URL and the file."""
    code = _readme_example().replace("http://127.0.0.1:5000/sparql", f"{live_server}/sparql")
    code = code.replace("queries/police-and-its-services.rq", str(path))
    assert str(path) in code and live_server in code
    text = path.read_text(encoding="utf-8")
    form = _form(text)
    if form == "ASK":  # as the README says under its snippet
        code = code.replace('["results"]["bindings"]', '["boolean"]')
    elif form == "CONSTRUCT":
        code = code.replace('["results"]["bindings"]', "")
        code = code.replace("setReturnFormat(JSON)", "setReturnFormat(JSONLD)")
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    rows = namespace["rows"]
    if form == "SELECT":
        got: object = sorted(_row({k: v["value"] for k, v in b.items()}) for b in rows)
        assert got == _core_rows(service, text)
        assert got, f"{path.name} answers nothing"
    elif form == "ASK":
        assert rows == _core_rows(service, text)
    else:  # CONSTRUCT: SPARQLWrapper asks for JSON-LD and hands back a graph
        expected = Graph().parse(data=service.query(text, "turtle"), format="turtle")
        assert isomorphic(rows, expected) and len(expected) > 0


@pytest.mark.server
@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_through_rdflib_sparqlstore(
    path: Path, live_server: str, service: SparqlService
) -> None:
    """rdflib's SPARQLStore, the other client researchers use, on the same queries."""
    text = path.read_text(encoding="utf-8")
    graph = Graph(store=SPARQLStore(f"{live_server}/sparql"))  # as the README shows
    result = graph.query(text)
    form = _form(text)
    if form == "SELECT":
        got = sorted(_row({str(k): str(v) for k, v in row.asdict().items()}) for row in result)
        assert got == _core_rows(service, text)
        assert got
    elif form == "ASK":
        assert result.askAnswer == _core_rows(service, text)
    else:
        expected = Graph().parse(data=service.query(text, "turtle"), format="turtle")
        assert isomorphic(result.graph, expected) and len(expected) > 0
