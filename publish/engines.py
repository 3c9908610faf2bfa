"""The query engine behind the SPARQL core: Oxigraph (pyoxigraph, embedded, over the store).

An engine only evaluates a query that ``publish.sparql`` has already parsed and guarded, over a
dataset the core has already chosen; it returns an engine-neutral ``Answer`` in rdflib terms, so
the renderers and limits do not depend on it. It runs inside a query worker process
(``publish.pool``), so a runaway evaluation can be killed without touching the server.

rdflib's own evaluator was the other engine; it needs an rdflib Graph of the whole dataset in
memory, which the server no longer holds, so it is retired (rdflib still parses and guards).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Identifier

from .config import ENGINES
from .errors import TooLarge
from .namespaces import BASE, PREFIXES, bind_prefixes

#: The four query forms, as the algebra names them.
FORMS = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


def form_of(query: Query) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: what shape of answer a parsed query gives."""
    return FORMS[query.algebra.name]


@dataclass
class Answer:
    """A fully evaluated result: rows for SELECT, a boolean for ASK, a graph for CONSTRUCT."""

    form: str
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Identifier | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None


@dataclass(frozen=True)
class Selection:
    """An RDF dataset chosen by the protocol or by FROM / FROM NAMED: default and named graphs."""

    default: tuple[URIRef, ...] = ()
    named: tuple[URIRef, ...] = ()


class Engine(Protocol):
    """What the core needs from an engine: evaluate a guarded query, fully, within ``max_rows``."""

    name: str

    def evaluate(
        self, query: Query, text: str, selection: Selection | None, max_rows: int
    ) -> Answer: ...


def _too_many(max_rows: int, what: str) -> TooLarge:
    return TooLarge(
        f"the result has more than {max_rows} {what}, the configured limit; "
        "narrow the query or page through it with LIMIT and OFFSET"
    )


def _bounded(items: Iterable[object], max_rows: int, what: str) -> list:
    """Materialise at most ``max_rows`` items; one more means the result is too large."""
    taken = list(islice(iter(items), max_rows + 1))
    if len(taken) > max_rows:
        raise _too_many(max_rows, what)
    return taken


def from_oxigraph(term: object) -> Identifier:
    """A pyoxigraph term as an rdflib term (xsd:string becomes a plain literal, as in rdflib)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == str(XSD.string) or datatype == str(RDF.langString):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"unsupported Oxigraph term {term!r}")


class OxigraphEngine:
    """pyoxigraph's Store (the query store, opened read-only by each query worker).

    Oxigraph would run ``SERVICE`` over HTTP and has no option to stop it, so it must only ever
    see the canonical text of a query the core's guard has accepted, in a worker the sandbox
    has cut off the network. It never loads ``FROM``: the core hands it the dataset.
    """

    name = "oxigraph"

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.prefixes = {p: str(ns) for p, ns in PREFIXES.items()}

    def evaluate(
        self, query: Query, text: str, selection: Selection | None, max_rows: int
    ) -> Answer:
        """Evaluate the query text over the union default graph or the selection.

        Relative IRIs resolve against our base, as the guard's parser resolved them.
        """
        options: dict[str, object] = {"prefixes": self.prefixes, "base_iri": str(BASE)}
        if selection is None:
            options["use_default_graph_as_union"] = True
        else:  # an explicit dataset overrides any FROM in the text, as the protocol says
            options["default_graph"] = [ox.NamedNode(str(i)) for i in selection.default]
            options["named_graphs"] = [ox.NamedNode(str(i)) for i in selection.named]
        result = self.store.query(text, **options)
        form = form_of(query)
        if isinstance(result, ox.QueryBoolean):
            return Answer(form, boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows = [
                tuple(None if s[v] is None else from_oxigraph(s[v]) for v in variables)
                for s in _bounded(result, max_rows, "rows")
            ]
            return Answer(form, variables=variables, rows=rows)
        graph = bind_prefixes(Graph())
        for t in _bounded(result, max_rows, "triples"):
            graph.add(
                (from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object))
            )
        return Answer(form, graph=graph)


def make_engine(name: str, store: ox.Store) -> Engine:
    """The engine a setting names, over the query store."""
    if name == "oxigraph":
        return OxigraphEngine(store)
    raise ValueError(f"unknown SPARQL engine {name!r}; choose one of {', '.join(ENGINES)}")
