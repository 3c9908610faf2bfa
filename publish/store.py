"""The one store every read goes through: an embedded Oxigraph store, or a SPARQL 1.1 endpoint.

Pages, descriptions, labels, listings and downloads ask the store with SPARQL text whose values
are *bound* (never formatted into the text by the caller); terms come back as rdflib terms. The
default graph is the union of our named graphs. Two implementations:

- ``EmbeddedStore``: the pyoxigraph on-disk store that ``thbkg build`` wrote, opened read-only
  (several processes may open it at once; start-up does not grow with the graph);
- ``RemoteStore``: any SPARQL 1.1 endpoint holding our named graphs, over HTTP with a time
  limit; an endpoint that is down answers 502, one that is too slow 504, never a hang.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Identifier

from . import formats
from .errors import StoreTimeout, StoreUnavailable, ThbkgError
from .formats import Format
from .namespaces import ONTOLOGY_GRAPH, PREFIXES, bind_prefixes, sparql_prologue

#: The directory inside a built store that holds Oxigraph's on-disk (RocksDB) files.
OXIGRAPH_DIR = "oxigraph"
_PREFIXES = {p: str(ns) for p, ns in PREFIXES.items()}
#: How many quads go to the serializer at once while a download streams.
_CHUNK = 64 * 1024
#: Our formats as Oxigraph's serializers name them.
OX_FORMATS = {
    formats.TURTLE.name: ox.RdfFormat.TURTLE,
    formats.NTRIPLES.name: ox.RdfFormat.N_TRIPLES,
    formats.RDFXML.name: ox.RdfFormat.RDF_XML,
    formats.JSONLD.name: ox.RdfFormat.JSON_LD,
    formats.TRIG.name: ox.RdfFormat.TRIG,
    formats.NQUADS.name: ox.RdfFormat.N_QUADS,
}


class Store(Protocol):
    """What the web tier and the CLI read through; the default graph is our graphs' union."""

    def select(self, query: str, **bindings: Identifier) -> list[dict[str, Identifier]]: ...

    def ask(self, query: str, **bindings: Identifier) -> bool: ...

    def construct(self, query: str, **bindings: Identifier) -> Graph: ...

    def dump(self, fmt: Format, graph: URIRef | None = None) -> Iterator[bytes]: ...


# ---------------------------------------------------------------------------- terms


def to_oxigraph(term: Identifier) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term (an IRI Oxigraph refuses raises ValueError)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))
    raise TypeError(f"cannot convert {term!r} to an Oxigraph term")


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
        if datatype in (str(XSD.string), str(RDF.langString)):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"unsupported Oxigraph term {term!r}")


# Oxigraph stores every XSD integer-derived literal as xsd:integer (oxigraph/oxigraph#526):
# "32"^^xsd:positiveInteger comes back as "32"^^xsd:integer. Where our ontology gives a property
# such a range (and the shapes enforce it), and on OWL's cardinalities, the type is restored on
# the way out; `thbkg build` checks that every literal then reads back as it was written.
_DERIVED = (
    "positiveInteger",
    "nonNegativeInteger",
    "negativeInteger",
    "nonPositiveInteger",
    "long",
    "int",
    "short",
    "byte",
    "unsignedLong",
    "unsignedInt",
    "unsignedShort",
    "unsignedByte",
)
_CARDINALITIES = (
    "cardinality",
    "minCardinality",
    "maxCardinality",
    "qualifiedCardinality",
    "minQualifiedCardinality",
    "maxQualifiedCardinality",
)
_OWL = "http://www.w3.org/2002/07/owl#"
_INTEGER = ox.NamedNode(str(XSD.integer))
# Properties whose range is an integer-derived XSD type, in the ontology graph.
RANGES = (
    "SELECT DISTINCT ?p ?d WHERE { GRAPH ?g { ?p rdfs:range ?d } VALUES ?d { "
    + " ".join(f"xsd:{d}" for d in _DERIVED)
    + " } }"
)


class Retyper:
    """Gives integer literals back the derived XSD type their property declares."""

    def __init__(self, ranges: Mapping[str, str]) -> None:
        self.ranges = {ox.NamedNode(p): ox.NamedNode(d) for p, d in ranges.items()}
        for name in _CARDINALITIES:
            self.ranges[ox.NamedNode(_OWL + name)] = ox.NamedNode(str(XSD.nonNegativeInteger))

    @classmethod
    def of(cls, store: Store, ontology: URIRef) -> Retyper:
        """The ranges the ontology graph of ``store`` declares."""
        return cls({str(r["p"]): str(r["d"]) for r in store.select(RANGES, g=ontology)})

    def object(self, predicate: ox.NamedNode, obj: object) -> object:
        """``obj`` with its declared type back, when Oxigraph made it an xsd:integer."""
        if isinstance(obj, ox.Literal) and obj.datatype == _INTEGER and predicate in self.ranges:
            return ox.Literal(obj.value, datatype=self.ranges[predicate])
        return obj

    def triple(self, t: ox.Triple) -> ox.Triple:
        obj = self.object(t.predicate, t.object)
        return t if obj is t.object else ox.Triple(t.subject, t.predicate, obj)

    def quad(self, q: ox.Quad) -> ox.Quad:
        obj = self.object(q.predicate, q.object)
        return q if obj is q.object else ox.Quad(q.subject, q.predicate, obj, q.graph_name)


_NO_RETYPING = Retyper({})


def _graph_of(triples: Iterable[ox.Triple], retyper: Retyper = _NO_RETYPING) -> Graph:
    graph = bind_prefixes(Graph())
    for t in map(retyper.triple, triples):
        graph.add((from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object)))
    return graph


# ---------------------------------------------------------------------------- embedded


class EmbeddedStore:
    """A pyoxigraph store in this process: a built store opened read-only, or one in memory."""

    def __init__(self, store: ox.Store, location: Path | None = None) -> None:
        self.store = store
        self.location = location  # the pyoxigraph directory, which query workers open too
        self.retyper = _NO_RETYPING
        self.retyper = Retyper.of(self, ONTOLOGY_GRAPH)

    @classmethod
    def open(cls, location: Path) -> EmbeddedStore:
        """The on-disk store of a built store directory, read-only."""
        directory = Path(location) / OXIGRAPH_DIR
        return cls(ox.Store.read_only(str(directory)), directory)

    def _query(self, query: str, bindings: Mapping[str, Identifier]) -> object:
        return self.store.query(
            bind_values(query, bindings), prefixes=_PREFIXES, use_default_graph_as_union=True
        )

    def select(self, query: str, **bindings: Identifier) -> list[dict[str, Identifier]]:
        """Rows of a SELECT, each a dict of the bound variables.

        A variable bound to a list is asked once per term (Oxigraph joins a ``VALUES`` list
        with the whole graph), the rows in the list's order."""
        for name, value in bindings.items():
            if isinstance(value, list | tuple):
                rows = []
                for term in value:
                    rows += self.select(query, **{**bindings, name: term})
                return rows
        solutions = self._query(query, bindings)
        names = [v.value for v in solutions.variables]
        return [{n: from_oxigraph(s[n]) for n in names if s[n] is not None} for s in solutions]

    def ask(self, query: str, **bindings: Identifier) -> bool:
        """The answer of an ASK."""
        return bool(self._query(query, bindings))

    def construct(self, query: str, **bindings: Identifier) -> Graph:
        """The (small) graph a CONSTRUCT builds, as an rdflib Graph with our prefixes."""
        return _graph_of(self._query(query, bindings), self.retyper)

    def graph_names(self) -> list[URIRef]:
        """The named graphs the store holds."""
        return sorted(URIRef(g.value) for g in self.store.named_graphs())

    def count(self, graph: URIRef) -> int:
        """How many triples one named graph holds."""
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", g=graph)
        return int(rows[0]["n"])

    def _quads(self, graph: URIRef | None) -> Iterator[ox.Quad]:
        names = [graph] if graph is not None else self.graph_names()
        for name in names:
            yield from self.store.quads_for_pattern(None, None, None, ox.NamedNode(str(name)))

    def dump(self, fmt: Format, graph: URIRef | None = None) -> Iterator[bytes]:
        """The union (or one named graph) in ``fmt``, streamed as Oxigraph serializes it.

        Quad formats keep the named graphs; triple formats drop the graph name. Memory stays
        bounded: the serializer writes into a small queue that the response drains.
        """
        quads = fmt in formats.DATASET_FORMATS

        def source() -> Iterable[object]:
            items = map(self.retyper.quad, self._quads(graph))
            return items if quads else (q.triple for q in items)

        return _streamed(source, OX_FORMATS[fmt.name])


class _QueueWriter:
    """A binary file object whose writes go to a bounded queue, in chunks of ``_CHUNK`` bytes."""

    def __init__(self, out: queue.Queue[bytes | BaseException | None]) -> None:
        self.out = out
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= _CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self.buffer:
            self.out.put(bytes(self.buffer))
            self.buffer.clear()


class _Cancelled(Exception):
    """The reader of a download stopped; the serializing thread ends."""


def _streamed(make: Callable[[], Iterable[object]], rdf_format: ox.RdfFormat) -> Iterator[bytes]:
    """Serialize what ``make()`` yields in a thread, yielding its output as it comes (at most
    ~1 MB ahead). The store's iterators are made, used and dropped in that thread only
    (pyoxigraph's iterators may not cross threads), even when the reader stops early."""
    out: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=16)
    stop = threading.Event()

    def guarded() -> Iterator[object]:
        for item in make():
            if stop.is_set():  # the client went away: stop reading the store
                raise _Cancelled
            yield item

    def work() -> None:
        writer = _QueueWriter(out)
        try:
            ox.serialize(guarded(), writer, rdf_format, prefixes=_PREFIXES)
            writer.flush()
            out.put(None)
        except _Cancelled:
            out.put(None)
        except ThbkgError as exc:  # a fresh error: the traceback holds the store's iterators
            out.put(type(exc)(exc.message))
        except Exception as exc:
            out.put(StoreUnavailable(f"the download stopped: {exc}"))

    thread = threading.Thread(target=work, name="thbkg-dump", daemon=True)
    thread.start()
    try:
        while True:
            chunk = out.get()
            if chunk is None:
                return
            if isinstance(chunk, BaseException):
                raise chunk
            yield chunk
    finally:
        stop.set()
        while thread.is_alive():  # unblock a writer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                out.get(timeout=0.1)


# ---------------------------------------------------------------------------- remote

_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def _ntriples(term: Identifier) -> str:
    """A term in N-Triples syntax, escaped by Oxigraph; an IRI it refuses is a ValueError."""
    return str(to_oxigraph(term))


def bind_values(query: str, bindings: Mapping[str, Identifier | Sequence[Identifier]]) -> str:
    """``query`` with its variables bound, as a prepared statement binds its parameters.

    Each bound term is written by Oxigraph's N-Triples serializer (an IRI it refuses raises
    ValueError, a literal is escaped), so no value can change the query's shape. A variable the
    query projects, or one bound to a list of terms, is bound by a ``VALUES`` block opening the
    WHERE clause (a list: each term in turn); any other is written in place of the variable, so
    that every part of the query (each branch of a UNION too) starts from the constant: query
    engines do not push an opening ``VALUES`` into a UNION, and would scan the whole graph.
    """
    if not bindings:
        return query
    match = _WHERE.search(query)
    if match is None:
        raise ValueError("a query with bindings needs a WHERE { ... } clause")
    projection = query[: match.start()]
    blocks, single = [], {}
    for name, value in bindings.items():
        token = re.compile(rf"[?$]{re.escape(name)}\b")
        if isinstance(value, list | tuple):
            blocks.append(f"VALUES ?{name} {{ {' '.join(_ntriples(t) for t in value)} }}")
        elif token.search(projection):
            single[name] = value
        else:
            written = _ntriples(value)
            query = token.sub(lambda _, term=written: term, query)
    if single:
        names = " ".join(f"?{k}" for k in single)
        values = " ".join(_ntriples(v) for v in single.values())
        blocks.append(f"VALUES ({names}) {{ ({values}) }}")
    if not blocks:
        return query
    match = _WHERE.search(query)
    return query[: match.end()] + " " + " ".join(blocks) + " " + query[match.end() :]


def json_term(cell: dict[str, str]) -> Identifier:
    """A term of the SPARQL 1.1 JSON results format."""
    kind, value = cell["type"], cell["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if "xml:lang" in cell:
        return Literal(value, lang=cell["xml:lang"])
    datatype = cell.get("datatype")
    if datatype in (None, str(XSD.string)):
        return Literal(value)
    return Literal(value, datatype=URIRef(datatype))


class RemoteStore:
    """A SPARQL 1.1 endpoint holding our named graphs; the union is asked for explicitly.

    Every request names our graphs as ``default-graph-uri`` and ``named-graph-uri`` (SPARQL 1.1
    Protocol), so the answer does not depend on what the endpoint takes as its default graph;
    unless ``adopt_own_dataset`` has found that the endpoint's own dataset is ours.
    """

    def __init__(self, endpoint: str, graphs: Iterable[URIRef], timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.graphs = tuple(graphs)
        self.timeout = timeout
        self.own_dataset = False  # requests name no graphs: the endpoint's dataset is ours
        self.retyper = _NO_RETYPING
        self.retyper = Retyper.of(self, ONTOLOGY_GRAPH)

    def request(
        self,
        query: str,
        accept: str,
        default: Iterable[URIRef] | None = None,
        named: Iterable[URIRef] | None = None,
        *,
        base: str | None = None,
        timeout: float | None = None,
    ) -> object:
        """POST a query (SPARQL 1.1 Protocol, form-encoded); the open HTTP response.

        Our prefixes are declared first (and ``base``, for a user's query with relative IRIs)."""
        ours = () if self.own_dataset else self.graphs
        default = ours if default is None else default
        named = ours if named is None else named
        prologue = (f"BASE <{base}>\n" if base else "") + sparql_prologue()
        fields = [("query", prologue + query)]
        fields += [("default-graph-uri", str(g)) for g in default]
        fields += [("named-graph-uri", str(g)) for g in named]
        request = urllib.request.Request(
            self.endpoint,
            data=urllib.parse.urlencode(fields).encode("utf-8"),
            headers={"Accept": accept, "Content-Type": formats.FORM_BODY},
            method="POST",
        )
        try:
            seconds = self.timeout if timeout is None else timeout
            return urllib.request.urlopen(request, timeout=seconds)  # noqa: S310 - http(s) only
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace").strip()
            raise StoreUnavailable(
                f"the SPARQL endpoint {self.endpoint} answered {exc.code} {exc.reason}"
                + (f": {detail}" if detail else "")
            ) from None
        except TimeoutError as exc:
            raise self._timeout(seconds) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise self._timeout(seconds) from exc
            raise StoreUnavailable(
                f"the SPARQL endpoint {self.endpoint} cannot be reached: {exc.reason}"
            ) from None

    term = staticmethod(json_term)

    def adopt_own_dataset(self, union_triples: int) -> bool:
        """Name no graphs in requests from now on if the endpoint's own dataset is ours: its
        named graphs are among ours and its default graph is their union (``oxigraph serve
        --union-default-graph``, the one tested), which an endpoint evaluates faster than a
        dataset named in each request. Checked, not assumed: the default graph
        holds ``union_triples`` triples (the union's count), none of them outside every named
        graph. An endpoint that cannot tell keeps getting our graphs named."""

        def own(query: str) -> dict:
            answer = self.request(query, formats.SPARQL_JSON.media_type, default=(), named=())
            return self.decode(self.read(answer))

        try:
            graphs = own("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")["results"]["bindings"]
            if not {row["g"]["value"] for row in graphs} <= {str(g) for g in self.graphs}:
                return False
            (count,) = own("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")["results"]["bindings"]
            if int(count["n"]["value"]) != union_triples:
                return False
            outside = "ASK { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }"
            self.own_dataset = not own(outside)["boolean"]
        except (StoreUnavailable, StoreTimeout, KeyError, ValueError):
            return False
        return self.own_dataset

    def _timeout(self, seconds: float | None = None) -> StoreTimeout:
        seconds = self.timeout if seconds is None else seconds
        return StoreTimeout(
            f"the SPARQL endpoint {self.endpoint} did not answer within {seconds:g} s"
        )

    def read(self, response: object) -> bytes:
        try:
            with response:  # type: ignore[attr-defined]
                return response.read()  # type: ignore[attr-defined]
        except TimeoutError as exc:
            raise self._timeout() from exc
        except OSError as exc:
            raise StoreUnavailable(
                f"the SPARQL endpoint {self.endpoint} broke off its answer: {exc}"
            ) from None

    def _json(self, query: str, bindings: Mapping[str, Identifier]) -> dict:
        body = self.read(self.request(bind_values(query, bindings), formats.SPARQL_JSON.media_type))
        return self.decode(body)

    def decode(self, body: bytes) -> dict:
        """SPARQL 1.1 JSON results; StoreUnavailable when the endpoint sent something else."""
        try:
            return json.loads(body)
        except ValueError as exc:
            raise StoreUnavailable(
                f"the SPARQL endpoint {self.endpoint} sent results that are not JSON: {exc}"
            ) from None

    def select(self, query: str, **bindings: Identifier) -> list[dict[str, Identifier]]:
        """Rows of a SELECT, each a dict of the bound variables."""
        rows = self._json(query, bindings)["results"]["bindings"]
        return [{k: self.term(v) for k, v in row.items()} for row in rows]

    def ask(self, query: str, **bindings: Identifier) -> bool:
        """The answer of an ASK."""
        return bool(self._json(query, bindings)["boolean"])

    def construct(self, query: str, **bindings: Identifier) -> Graph:
        """The (small) graph a CONSTRUCT builds, read as N-Triples."""
        body = self.read(self.request(bind_values(query, bindings), formats.NTRIPLES.media_type))
        return _graph_of(ox.parse(body, ox.RdfFormat.N_TRIPLES), self.retyper)

    def _stream(self, query: str, graph: URIRef) -> Iterator[ox.Triple]:
        response = self.request(query, formats.NTRIPLES.media_type, default=(graph,))
        with response:  # type: ignore[attr-defined]
            for q in ox.parse(response, ox.RdfFormat.N_TRIPLES):
                yield self.retyper.triple(ox.Triple(q.subject, q.predicate, q.object))

    def dump(self, fmt: Format, graph: URIRef | None = None) -> Iterator[bytes]:
        """The union (or one named graph) in ``fmt``: each graph is read from the endpoint as
        an N-Triples stream and written again by Oxigraph's serializer, never held whole."""
        names = [graph] if graph is not None else list(self.graphs)
        quads = fmt in formats.DATASET_FORMATS
        everything = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"

        def items() -> Iterator[object]:
            for name in names:
                for t in self._stream(everything, name):
                    yield (
                        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(str(name)))
                        if quads
                        else t
                    )

        return _streamed(items, OX_FORMATS[fmt.name])
