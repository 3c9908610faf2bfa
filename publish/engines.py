"""Query engines behind the SPARQL core: rdflib (default) and Oxigraph (pyoxigraph, embedded).

An engine only evaluates a query that ``publish.sparql`` has already parsed and guarded, over a
dataset the core has already chosen; it returns an engine-neutral ``Answer`` in rdflib terms, so
the same renderers and limits serve every engine. Engines run inside the forked query process,
so a runaway evaluation can be killed without touching the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol

import pyoxigraph as ox
import rdflib.plugins.sparql
from rdflib import Dataset, Graph, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.sparql.evaluate import evalQuery
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
        self,
        query: Query,
        text: str,
        selection: Selection | None,
        bindings: Mapping[str, Identifier],
        max_rows: int,
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


class RdflibEngine:
    """rdflib's own SPARQL evaluator over the loaded Dataset (union default graph)."""

    name = "rdflib"

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def _view(self, selection: Selection) -> Dataset:
        """A fresh dataset holding only the selected graphs: nothing is loaded, nothing mutated."""
        view = Dataset(default_union=False)
        default = view.graph(DATASET_DEFAULT_GRAPH_ID)
        for iri in selection.default:
            for triple in self.dataset.graph(iri):
                default.add(triple)
        for iri in selection.named:
            target = view.graph(iri)
            for triple in self.dataset.graph(iri):
                target.add(triple)
        return view

    def evaluate(
        self,
        query: Query,
        text: str,
        selection: Selection | None,
        bindings: Mapping[str, Identifier],
        max_rows: int,
    ) -> Answer:
        """Evaluate with rdflib; its module flags are set here, in the forked query process only."""
        rdflib.plugins.sparql.SPARQL_LOAD_GRAPHS = False
        rdflib.plugins.sparql.SPARQL_DEFAULT_GRAPH_UNION = selection is None
        target = self.dataset if selection is None else self._view(selection)
        query.algebra["datasetClause"] = None  # the core resolved FROM into ``selection``
        result = evalQuery(target, query, dict(bindings))
        form = form_of(query)
        if form == "ASK":
            return Answer(form, boolean=bool(result.get("askAnswer")))
        if form == "SELECT":
            variables = [str(v) for v in query.algebra["PV"]]
            keys = list(query.algebra["PV"])
            solutions = _bounded(result["bindings"], max_rows, "rows")
            rows = [tuple(s.get(k) for k in keys) for s in solutions]
            return Answer(form, variables=variables, rows=rows)
        graph = bind_prefixes(Graph())
        for triple in _bounded(result["graph"], max_rows, "triples"):
            graph.add(triple)
        return Answer(form, graph=graph)


def _quads(dataset: Dataset) -> Iterator[ox.Quad]:
    for s, p, o, g in dataset.quads((None, None, None, None)):
        name = getattr(g, "identifier", g)
        if name is None or name == DATASET_DEFAULT_GRAPH_ID:
            graph = ox.DefaultGraph()
        else:
            graph = to_oxigraph(name)
        yield ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), graph)


class OxigraphEngine:
    """pyoxigraph's embedded Store, loaded once with the same named graphs.

    Oxigraph would run ``SERVICE`` over HTTP and has no option to stop it, so it must only ever
    see queries the core's guard has accepted (which refuses ``SERVICE``). It never loads ``FROM``.
    """

    name = "oxigraph"

    def __init__(self, dataset: Dataset | None, store: ox.Store | None = None) -> None:
        self.fallback = RdflibEngine(dataset) if dataset is not None else None
        if store is None:
            store = ox.Store()
            store.extend(list(_quads(dataset)))
        self.store = store
        self.prefixes = {p: str(ns) for p, ns in PREFIXES.items()}

    @classmethod
    def over(cls, store: EmbeddedStore) -> OxigraphEngine:
        """The engine over a built store, opened read-only (no rdflib copy to fall back on)."""
        return cls(None, store.store)

    def evaluate(
        self,
        query: Query,
        text: str,
        selection: Selection | None,
        bindings: Mapping[str, Identifier],
        max_rows: int,
    ) -> Answer:
        """Evaluate the query text in Oxigraph over the union default graph or the selection.

        Oxigraph substitutes only projected variables (SEP-0007); a binding of any other
        variable is evaluated by rdflib instead, with the same answer shape.
        """
        projected = {str(v) for v in dict.get(query.algebra, "PV") or ()}
        if self.fallback is not None and any(name not in projected for name in bindings):
            return self.fallback.evaluate(query, text, selection, bindings, max_rows)
        options: dict[str, object] = {"prefixes": self.prefixes}
        if selection is None:
            options["use_default_graph_as_union"] = True
        else:  # an explicit dataset overrides any FROM in the text, as the protocol says
            options["default_graph"] = [ox.NamedNode(str(i)) for i in selection.default]
            options["named_graphs"] = [ox.NamedNode(str(i)) for i in selection.named]
        if bindings:
            options["substitutions"] = {ox.Variable(k): to_oxigraph(v) for k, v in bindings.items()}
        base = query.prologue.base if query.prologue is not None else None
        if base:
            options["base_iri"] = str(base)
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


_EMPTY_GRAPH = URIRef("urn:thbkg:no-graph")  # names no graph: an empty default graph


class RemoteEngine:
    """The SPARQL endpoint behind ``--sparql-endpoint``: it gets the query only after the core
    has parsed and guarded it, with our graphs (or the selected ones) named by the protocol."""

    name = "remote"

    def __init__(self, store: RemoteStore) -> None:
        self.store = store

    def evaluate(
        self,
        query: Query,
        text: str,
        selection: Selection | None,
        bindings: Mapping[str, Identifier],
        max_rows: int,
    ) -> Answer:
        """Send the query text; read the answer as SPARQL JSON results or N-Triples."""
        from .store import bind_values

        form = form_of(query)
        default = named = None
        if selection is not None:
            default = selection.default or (_EMPTY_GRAPH,)
            named = selection.named or (_EMPTY_GRAPH,)
        text = bind_values(text, bindings) if bindings else text
        graphish = form in ("CONSTRUCT", "DESCRIBE")
        accept = (formats.NTRIPLES if graphish else formats.SPARQL_JSON).media_type
        body = self.store.read(self.store.request(text, accept, default, named, base=BASE))
        if graphish:
            graph = bind_prefixes(Graph())
            for t in _bounded(ox.parse(body, ox.RdfFormat.N_TRIPLES), max_rows, "triples"):
                graph.add(
                    (from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object))
                )
            return Answer(form, graph=graph)
        result = self.store.decode(body)
        if form == "ASK":
            return Answer(form, boolean=bool(result["boolean"]))
        variables = list(result["head"].get("vars", []))
        rows = [
            tuple(self.store.term(b[v]) if v in b else None for v in variables)
            for b in _bounded(result["results"]["bindings"], max_rows, "rows")
        ]
        return Answer(form, variables=variables, rows=rows)


def make_engine(name: str, dataset: Dataset) -> Engine:
    """The engine a setting names, built (and for Oxigraph, loaded) once at start-up."""
    if name == "rdflib":
        return RdflibEngine(dataset)
    if name == "oxigraph":
        return OxigraphEngine(dataset)
    raise ValueError(f"unknown SPARQL engine {name!r}; choose one of {', '.join(ENGINES)}")
