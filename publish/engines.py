"""The query engine behind the SPARQL core: Oxigraph (pyoxigraph, embedded, over the store).

An engine only evaluates a query that ``publish.sparql`` has already parsed and guarded, over a
dataset the core has already chosen; it returns an engine-neutral ``Answer`` in rdflib terms, so
the renderers and limits do not depend on it. It runs inside a query worker process
(``publish.pool``), so a runaway evaluation can be killed without touching the server.

rdflib's own evaluator was the other engine; it needs an rdflib Graph of the whole dataset in
memory, which the server no longer holds, so it is retired (rdflib still parses and guards).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from typing import Protocol

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Identifier

from . import formats
from .config import ENGINES
from .errors import TooLarge
from .namespaces import BASE, PREFIXES, bind_prefixes
from .store import EmbeddedStore, RemoteStore, from_oxigraph, to_oxigraph

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
    """A fully evaluated result: rows for SELECT, a boolean for ASK, triples for CONSTRUCT and
    DESCRIBE (Oxigraph's, which its own serializers write fastest; ``graph`` is the rdflib
    graph of them, made only for writers Oxigraph lacks)."""

    form: str
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Identifier | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] | None = None

    @cached_property
    def graph(self) -> Graph:
        graph = bind_prefixes(Graph())
        for t in self.triples or ():
            graph.add(
                (from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object))
            )
        return graph


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


def _quads(dataset: Dataset) -> Iterator[ox.Quad]:
    """An rdflib Dataset's quads as pyoxigraph quads (tests load their own data with it)."""
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = getattr(g, "identifier", g)
        if name is None or name == DATASET_DEFAULT_GRAPH_ID:
            graph = ox.DefaultGraph()
        else:
            graph = to_oxigraph(name)
        yield ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph)


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

    @classmethod
    def over(cls, store: EmbeddedStore) -> OxigraphEngine:
        """The engine over a built store's pyoxigraph store."""
        return cls(store.store)

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
        return Answer(form, triples=_bounded(result, max_rows, "triples"))


_EMPTY_GRAPH = URIRef("urn:thbkg:no-graph")  # names no graph: an empty default graph


class RemoteEngine:
    """The SPARQL endpoint behind ``--sparql-endpoint``: it gets the canonical text of a query
    only after a sandboxed worker has parsed and guarded it, with our graphs (or the selected
    ones) named by the protocol, and what is left of the query's deadline."""

    name = "remote"

    def __init__(self, store: RemoteStore) -> None:
        self.store = store

    def evaluate(
        self,
        query: Query,
        text: str,
        selection: Selection | None,
        max_rows: int,
        timeout: float | None = None,
    ) -> Answer:
        """Send the query text; read the answer as SPARQL JSON results or N-Triples."""
        return self.forward(form_of(query), text, selection, max_rows, timeout)

    def forward(
        self,
        form: str,
        text: str,
        selection: Selection | None,
        max_rows: int,
        timeout: float | None = None,
    ) -> Answer:
        """``evaluate`` for a query guarded elsewhere: its form and canonical text suffice."""
        default = named = None
        if selection is not None:
            default = selection.default or (_EMPTY_GRAPH,)
            named = selection.named or (_EMPTY_GRAPH,)
        graphish = form in ("CONSTRUCT", "DESCRIBE")
        accept = (formats.NTRIPLES if graphish else formats.SPARQL_JSON).media_type
        response = self.store.request(text, accept, default, named, base=BASE, timeout=timeout)
        body = self.store.read(response)
        if graphish:
            triples = _bounded(ox.parse(body, ox.RdfFormat.N_TRIPLES), max_rows, "triples")
            return Answer(form, triples=[t.triple for t in triples])
        result = self.store.decode(body)
        if form == "ASK":
            return Answer(form, boolean=bool(result["boolean"]))
        variables = list(result["head"].get("vars", []))
        rows = [
            tuple(self.store.term(b[v]) if v in b else None for v in variables)
            for b in _bounded(result["results"]["bindings"], max_rows, "rows")
        ]
        return Answer(form, variables=variables, rows=rows)


def make_engine(name: str, store: ox.Store) -> Engine:
    """The engine a setting names, over the query store."""
    if name == "oxigraph":
        return OxigraphEngine(store)
    raise ValueError(f"unknown SPARQL engine {name!r}; choose one of {', '.join(ENGINES)}")
