"""The query core shared by ``/sparql`` and ``thbkg query``: parse, guard, run with limits.

Safe by construction:

- one text for the guard and the engine: codepoint escapes (``\\u``, ``\\U``) are expanded and
  line ends made ``\\n`` before anything parses, so rdflib's parser (whose ``#`` comment runs
  past a carriage return) and Oxigraph's (whose comment ends there) read the same tokens;
- parse with rdflib's SPARQL 1.1 parser, one thread at a time (pyparsing's shared state is not
  thread-safe); a syntax error names its line and column;
- read-only: an update is recognised by the update grammar and refused;
- no network: ``SERVICE`` is found in the parsed algebra (not in the text) and refused, and
  ``FROM`` / ``FROM NAMED`` only select graphs of our own dataset, which the engine is handed
  ready-made; and the worker that evaluates cannot open a network connection at all
  (``publish.sandbox``);
- one deadline for the whole query: parsing, the guard, evaluation and rendering happen in a
  pre-started worker process (``publish.pool``) that is killed at the deadline and replaced;
  the worker's memory is capped too;
- a limit on result rows and on query size, and on queries waiting (per client, and in all).

``QueryCore`` is what a worker runs; ``SparqlService`` is what the web tier and the CLI call.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from pyparsing import ParseBaseException
from rdflib import URIRef
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query

from . import formats
from .config import Settings
from .engines import Engine, RemoteEngine, Selection, form_of, make_engine
from .errors import NotAcceptable, QueryError, QueryTimeout, ThbkgError, TooLarge
from .formats import Format
from .namespaces import BASE, PREFIXES
from .pool import Admission, WorkerPool
from .querystore import TemporaryQueryStore
from .results import TABLE, render
from .store import EmbeddedStore, RemoteStore

if TYPE_CHECKING:
    from .build import Site


@dataclass
class PreparedQuery:
    """A parsed and guarded query: its text, form, algebra and the dataset it selects."""

    text: str
    form: str
    query: Query
    selection: Selection | None

    @property
    def offers(self) -> tuple[Format, ...]:
        """The representations this query's result can take, in order of preference."""
        return formats.for_form(self.form)


#: SPARQL's codepoint escapes, as the grammar defines them (section 19.2): \u and 4 hex
#: digits, \U and 8. rdflib also reads \u with 8 digits and \U with 4, Oxigraph does not.
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
#: What either parser would still take for an escape (rdflib: \u or \U, 4 or 8 digits).
_ANY_ESCAPE = re.compile(r"\\[uU][0-9A-Fa-f]{4}")
#: pyparsing learns each parse action's calling convention on its first call, in state that
#: all threads share: two threads parsing at once corrupt it for good (ORDER BY fails until
#: restart). Every parse in this process takes this lock.
_PARSER = threading.Lock()


def canonical(text: str) -> str:
    """The text both the guard's parser and the engine read: escapes expanded, lines ``\\n``.

    The parsers disagree on what they do not both see: rdflib's ``#`` comment ends at
    ``\\n`` only, Oxigraph's at ``\\r`` too, so ``# x\\r SERVICE <...>`` hid a SERVICE from
    the guard that Oxigraph then called; and they expand ``\\u`` escapes differently. Expanded
    here once, with no escape left for either to expand again and no carriage return left
    anywhere, the text reads the same to both. (A carriage return inside a long string
    literal becomes a line feed too.)
    """

    def expand(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise QueryError(f"{match.group(0)} is not a Unicode character")
        return chr(code)

    expanded = _ESCAPE.sub(expand, text)
    left = _ANY_ESCAPE.search(expanded)
    if left:
        raise QueryError(
            f"{left.group(0)} is an escape SPARQL parsers read differently (\\u takes 4 hex "
            "digits, \\U takes 8, and an escape may not make another); write the character itself"
        )
    return expanded.replace("\r\n", "\n").replace("\r", "\n")


def parse(text: str, max_size: int | None = None) -> tuple[Query, str]:
    """Parse the canonical text of a query (see ``canonical``; an engine must be handed that
    text too); updates and syntax errors become a QueryError saying what and where.

    Relative IRIs resolve against our base, so ``<actor/police>`` names our resource.
    """
    if max_size is not None and len(text.encode("utf-8")) > max_size:
        raise TooLarge(f"the query is longer than {max_size} bytes, the configured limit")
    text = canonical(text)
    if not text.strip():
        raise QueryError("the query is empty")
    with _PARSER:
        try:
            parsed = parseQuery(text)
        except ParseBaseException as exc:
            if _is_update(text):
                raise QueryError(
                    "this endpoint is read-only: SPARQL Update operations are refused"
                ) from None
            raise QueryError(
                f"syntax error at line {exc.lineno}, column {exc.col}: {exc}"
            ) from None
        except Exception as exc:  # rdflib's parse actions raise plain exceptions
            raise QueryError(f"malformed query: {exc}") from None
        try:
            query = translateQuery(parsed, base=BASE, initNs=dict(PREFIXES.items()))
        except Exception as exc:  # undefined prefixes, bad aggregates ...
            raise QueryError(f"malformed query: {exc}") from None
    return query, form_of(query)


#: Queries up to this many characters stay parsed, by their canonical text, in each worker (the
#: last ``PARSED_KEPT``): rdflib's parse is most of a small query's cost, and notebooks,
#: dashboards and the editor send the same texts again and again. Longer ones are parsed each
#: time, so that a worker's memory holds no large parse trees.
CACHED_QUERY_LENGTH = 8192
PARSED_KEPT = 256
_parsed = functools.lru_cache(maxsize=PARSED_KEPT)(parse)


def parse_kept(text: str) -> tuple[Query, str]:
    """``parse`` of a canonical text, kept when the text is short (a refusal is never kept)."""
    return _parsed(text) if len(text) <= CACHED_QUERY_LENGTH else parse(text)


#: A query that meets the parser's commonest rules (prologue, SELECT with expressions,
#: OPTIONAL, FILTER, GROUP BY, ORDER BY, LIMIT): what a worker parses once at start-up.
WARM_UP = """PREFIX ex: <urn:x#>
SELECT ?s (COUNT(DISTINCT ?o) AS ?n) WHERE {
  ?s a ex:C ; ex:p ?o . OPTIONAL { ?o ex:q "x"@fr } FILTER(CONTAINS(LCASE(STR(?o)), "y"))
} GROUP BY ?s HAVING (COUNT(?o) > 1) ORDER BY DESC(?n) ?s LIMIT 10 OFFSET 1"""


def warm(texts: Iterable[str] = (WARM_UP,)) -> None:
    """Parse ``texts`` once, so the parser has met its rules before the first client waits.

    The lock makes parsing safe whatever has been warmed; warming only spares the first
    queries the parser's learning pass.
    """
    for text in texts:  # a stored query that does not parse is the stored-query tests' business
        with contextlib.suppress(ThbkgError):
            parse(text)


def _is_update(text: str) -> bool:
    try:
        parseUpdate(text)
    except Exception:
        return False
    return True


def _walk(node: object) -> Iterator[CompValue]:
    """Every algebra node, including those inside expressions (EXISTS) and subqueries."""
    stack, seen = [node], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set):
            stack.extend(item)


def guard(query: Query) -> None:
    """Refuse what would reach the network: SERVICE anywhere in the algebra."""
    for node in _walk(query.algebra):
        if node.name == "ServiceGraphPattern":
            raise QueryError(
                f"SERVICE <{node.get('term')}> is refused: this endpoint never contacts "
                "other services on a query's behalf"
            )


def select_dataset(
    query: Query,
    known: frozenset[URIRef],
    default_graphs: tuple[str, ...] = (),
    named_graphs: tuple[str, ...] = (),
) -> Selection | None:
    """The dataset to query: the protocol's graphs win over FROM, which must name our graphs.

    A protocol graph we do not hold is an empty graph (the W3C protocol tests expect that),
    but it must be an absolute IRI; a FROM naming a graph we do not hold is refused, so a typo
    or a remote URL is an error, never a fetch.
    """
    if default_graphs or named_graphs:
        return Selection(
            _protocol_graphs("default-graph-uri", default_graphs, known),
            _protocol_graphs("named-graph-uri", named_graphs, known),
        )
    clauses = dict.get(query.algebra, "datasetClause") or []
    if not clauses:
        return None
    default, named = [], []
    for clause in clauses:
        is_default = "default" in clause  # CompValue.get answers the key itself when absent
        iri = dict.get(clause, "default" if is_default else "named")
        if iri not in known:
            keyword = "FROM" if is_default else "FROM NAMED"
            ours = ", ".join(f"<{g}>" for g in sorted(known))
            raise QueryError(
                f"{keyword} <{iri}> is not a graph of this dataset, and this endpoint never "
                f"loads data from elsewhere; its graphs are {ours}"
            )
        (default if is_default else named).append(URIRef(iri))
    return Selection(tuple(default), tuple(named))


def _protocol_graphs(
    parameter: str, values: tuple[str, ...], known: frozenset[URIRef]
) -> tuple[URIRef, ...]:
    """Protocol graph IRIs, each checked before any engine sees it.

    rdflib took a malformed one for an empty graph where Oxigraph failed the whole query;
    checking with Oxigraph's strict RFC 3987 parser gives one answer, a 400, on both engines.
    """
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            ours = ", ".join(f"<{g}>" for g in sorted(known))
            raise QueryError(
                f"{parameter} {value!r} is not an absolute IRI ({exc}); name a graph by its "
                f"full IRI, without angle brackets; this dataset's graphs are {ours}"
            ) from None
    return tuple(URIRef(v) for v in values)


@dataclass(frozen=True)
class Request:
    """A query as the protocol or the CLI hands it over, sent as is to a query worker.

    ``override`` is ``format=`` (or the CLI's ``--format``); ``outputs``, when given (the CLI),
    are the names the caller offers, and an override the query form cannot take is an error
    instead of falling back to ``accept``.
    """

    text: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    accept: str | None = None
    override: str | None = None
    outputs: tuple[str, ...] = ()


def open_core(store: str | None, settings: Settings, known: frozenset[str]) -> QueryCore:
    """A query worker's core: the store opened read-only (none when an external endpoint
    answers) and the parser warmed, before the first query waits."""
    opened = ox.Store.read_only(store) if store is not None else None
    core = QueryCore(opened, settings, frozenset(URIRef(iri) for iri in known))
    warm()
    return core


class QueryCore:
    """What a query worker does with a query: prepare, choose the format, evaluate, render.

    Runs in the worker (``publish.pool``), so one deadline covers parsing too. Without a store
    (an external endpoint answers), it prepares only: ``guarded`` hands back what to forward.
    """

    def __init__(
        self, store: ox.Store | None, settings: Settings, known: frozenset[URIRef] = frozenset()
    ) -> None:
        self.settings = settings
        self.store = store
        self.engine: Engine | None = None
        self.known = known
        if store is not None:
            self.engine = make_engine(settings.engine, store)
            self.known = frozenset(
                URIRef(g.value) for g in store.named_graphs() if isinstance(g, ox.NamedNode)
            )

    def prepare(
        self, text: str, default_graphs: tuple[str, ...] = (), named_graphs: tuple[str, ...] = ()
    ) -> PreparedQuery:
        """Parse, guard and resolve the dataset: everything that can fail before evaluation.

        The guard and the engine read one text, the canonical one.
        """
        max_size = self.settings.max_body
        if len(text.encode("utf-8")) > max_size:
            raise TooLarge(f"the query is longer than {max_size} bytes, the configured limit")
        text = canonical(text)
        query, form = parse_kept(text)  # canonical already: parse's own pass changes nothing
        guard(query)
        selection = select_dataset(query, self.known, default_graphs, named_graphs)
        return PreparedQuery(text, form, query, selection)

    def answer(self, request: Request) -> tuple[str, bytes]:
        """The name of the output chosen (a format name or "table") and the rendered result."""
        prepared = self.prepare(request.text, request.default_graphs, request.named_graphs)
        output = choose_output(prepared, request)
        answer = self.engine.evaluate(
            prepared.query, prepared.text, prepared.selection, self.settings.max_rows
        )
        return output, render(answer, output)

    def guarded(self, request: Request) -> tuple[str, str, Selection | None, str]:
        """For an external endpoint: the canonical text the guard accepted, its form, the
        dataset and the output, all the web tier needs to forward the query."""
        prepared = self.prepare(request.text, request.default_graphs, request.named_graphs)
        return prepared.text, prepared.form, prepared.selection, choose_output(prepared, request)

    def statistics(self) -> dict[str, int]:
        """Triples per named graph, and in the union default graph ("" key)."""
        counts = {
            str(iri): _count(self.store, default_graph=[ox.NamedNode(str(iri))])
            for iri in self.known
        }
        counts[""] = _count(self.store, use_default_graph_as_union=True)
        return counts


def _count(store: ox.Store, **options: object) -> int:
    (row,) = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **options)
    return int(row["n"].value)


def choose_output(prepared: PreparedQuery, request: Request) -> str:
    """The output for this query form: the override when the form can take it, else the best
    of the form's formats for ``accept`` (406 when none). The CLI's "table" is always fine."""
    offers = prepared.offers
    override = request.override
    if override == TABLE and TABLE in request.outputs:
        return TABLE
    wanted = formats.by_name(override) if override else None
    if wanted in offers:
        return wanted.name
    if override and request.outputs:
        allowed = ", ".join(
            o for o in request.outputs if o == TABLE or formats.by_name(o) in offers
        )
        raise QueryError(
            f"the result of {prepared.form} cannot be written as {override}; use {allowed}"
        )
    chosen = formats.negotiate(request.accept, offers)
    if chosen is None:
        raise NotAcceptable(
            f"cannot answer Accept: {request.accept}; this query's result is available as "
            + ", ".join(f.media_type for f in offers)
        )
    return chosen.name


class SparqlService:
    """The query service the web app and ``thbkg query`` call: a pool of sandboxed workers over
    the store, a bounded queue, and one deadline per query.

    The calling thread only waits: parsing, the guard, evaluation and rendering all happen in
    a worker, which is killed (and replaced) when the deadline passes. With an external
    endpoint (``remote``), the workers parse and guard without a store, and the guarded text
    is forwarded with what is left of the deadline.
    """

    def __init__(
        self,
        store: Path | None,
        settings: Settings,
        workers: int | None = None,
        *,
        remote: RemoteStore | None = None,
        known: frozenset[URIRef] = frozenset(),
        counts: dict[str, int] | None = None,
    ) -> None:
        self.settings = settings
        self.remote = RemoteEngine(remote) if remote is not None else None
        self.engine = self.remote.name if self.remote else settings.engine
        retry = max(1, math.ceil(settings.query_timeout / 2))
        self.admission = Admission(settings.query_queue, settings.queries_per_client, retry)
        self.pool = WorkerPool(open_core, store, settings, workers or settings.query_workers, known)
        weakref.finalize(self, self.pool.close)  # an app that goes takes its workers along
        self._statistics = counts

    @classmethod
    def over_site(cls, site: Site, settings: Settings) -> SparqlService:
        """The service over a site's store (opened again, read-only, by each worker; a store in
        memory is first written to a temporary directory) or its external endpoint. The graph
        sizes come from the site's figures."""
        counts = {str(iri): n for iri, n in site.stats.graphs.items()}
        counts[""] = site.stats.triples
        store = site.store
        if isinstance(store, EmbeddedStore):
            location = store.location
            if location is None:
                copy = TemporaryQueryStore.of(store.store)
                location = copy.store
            service = cls(location, settings, counts=counts)
            if store.location is None:
                service._copy = copy  # removed with the service
            return service
        known = frozenset(URIRef(str(iri)) for iri in site.stats.graphs)
        return cls(None, settings, remote=store, known=known, counts=counts)

    def answer(
        self,
        text: str,
        default_graphs: tuple[str, ...] = (),
        named_graphs: tuple[str, ...] = (),
        accept: str | None = None,
        format_override: str | None = None,
        *,
        client: str | None = None,
        outputs: tuple[str, ...] = (),
    ) -> tuple[str, bytes]:
        """Answer one query within ``query_timeout``: (output name, bytes).

        Raises QueryError (400), NotAcceptable (406), TooLarge (413), Overloaded (503 or 429,
        with Retry-After), QueryTimeout or QueryOutOfMemory (503).
        """
        deadline = time.monotonic() + self.settings.query_timeout
        request = Request(
            text, tuple(default_graphs), tuple(named_graphs), accept, format_override, outputs
        )
        with self.admission.admit(client):
            if self.remote is None:
                return self.pool.call("answer", (request,), deadline)
            text, form, selection, output = self.pool.call("guarded", (request,), deadline)
            left = deadline - time.monotonic()
            if left <= 0:
                raise QueryTimeout(
                    f"the query ran longer than {self.settings.query_timeout:g} s, the "
                    "configured limit, before it could be sent to the SPARQL endpoint"
                )
            left = max(0.1, round(left, 1))  # a readable figure in a 504's message
            answer = self.remote.forward(form, text, selection, self.settings.max_rows, left)
            return output, render(answer, output)

    def query(self, text: str, output: str) -> bytes:
        """The result as ``output`` (a format name or "table"): a QueryError when the query
        form cannot take it. For callers that need no negotiation."""
        return self.answer(text, format_override=output, outputs=(output,))[1]

    def statistics(self) -> dict[str, int]:
        """Triples per named graph IRI and in the union ("" key), counted once by a worker."""
        if self._statistics is None:
            deadline = time.monotonic() + max(self.settings.query_timeout, 60)
            self._statistics = self.pool.call("statistics", (), deadline)
        return self._statistics

    def close(self) -> None:
        """Stop the workers."""
        self.pool.close()
