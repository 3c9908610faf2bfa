"""The query core shared by ``/sparql`` and ``thbkg query``: parse, guard, run with limits.

Safe by construction, whatever engine answers:

- one text for the guard and the engine: codepoint escapes (``\\u``, ``\\U``) are expanded and
  line ends made ``\\n`` before anything parses, so rdflib's parser (whose ``#`` comment runs
  past a carriage return) and Oxigraph's (whose comment ends there) read the same tokens;
- parse with rdflib's SPARQL 1.1 parser, one thread at a time (pyparsing's shared state is not
  thread-safe); a syntax error names its line and column;
- read-only: an update is recognised by the update grammar and refused;
- no network: ``SERVICE`` is found in the parsed algebra (not in the text) and refused, and
  ``FROM`` / ``FROM NAMED`` only select graphs of our own dataset, which the engine is handed
  ready-made; rdflib's loader is switched off in the query process;
- a time limit that really stops: the query runs in a forked child process that inherits the
  loaded graph, evaluates fully, renders to bytes and sends them back; the parent kills it at
  the deadline, so a runaway query costs one process and the server keeps answering;
- a limit on result rows and on query size.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from pyparsing import ParseBaseException
from rdflib import Dataset, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Identifier

from . import formats
from .config import Settings
from .describe import Statistics
from .engines import Engine, OxigraphEngine, RemoteEngine, Selection, form_of, make_engine
from .errors import QueryError, QueryTimeout, ThbkgError, TooLarge
from .formats import Format
from .namespaces import BASE, PREFIXES
from .queries import load_queries
from .results import render
from .store import EmbeddedStore, Store


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
        return result_formats(self.form)


def result_formats(form: str) -> tuple[Format, ...]:
    """SELECT: all four result formats; ASK: JSON and XML (CSV/TSV define no boolean)."""
    return formats.for_form(form)


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


def warm(texts: Iterable[str]) -> None:
    """Parse ``texts`` once, so the parser has met its rules before the first client waits.

    The lock makes parsing safe whatever has been warmed; warming only saves the first
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


def graphs_of(dataset: Dataset) -> frozenset[URIRef]:
    """The IRIs of the dataset's named graphs (the only graphs FROM may select)."""
    return frozenset(
        g.identifier
        for g in dataset.graphs()
        if g.identifier != DATASET_DEFAULT_GRAPH_ID and isinstance(g.identifier, URIRef)
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


class SparqlService:
    """One loaded engine and the limits around it; the web app and the CLI each hold one."""

    def __init__(self, dataset: Dataset, settings: Settings, engine: str | None = None) -> None:
        self.settings = settings
        self.known = graphs_of(dataset)
        self.sizes = {iri: len(dataset.graph(iri)) for iri in self.known}
        self.union_size = sum(1 for _ in dataset.triples((None, None, None)))
        self.engine: Engine = make_engine(engine or settings.engine, dataset)
        self._slots = threading.BoundedSemaphore(max(2, 2 * (os.cpu_count() or 1)))
        warm(q.text for q in load_queries(settings.queries))

    @classmethod
    def over_store(cls, store: Store, stats: Statistics, settings: Settings) -> SparqlService:
        """The service over a built store (Oxigraph, read-only) or an external endpoint; the
        graph sizes come from the build's figures, nothing is copied."""
        service = cls.__new__(cls)
        service.settings = settings
        service.known = frozenset(stats.graphs)
        service.sizes = dict(stats.graphs)
        service.union_size = stats.triples
        service.engine = (
            OxigraphEngine.over(store) if isinstance(store, EmbeddedStore) else RemoteEngine(store)
        )
        service._slots = threading.BoundedSemaphore(max(2, 2 * (os.cpu_count() or 1)))
        warm(q.text for q in load_queries(settings.queries))
        return service

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
        query, form = parse(text)  # canonical already: parse's own pass changes nothing
        guard(query)
        selection = select_dataset(query, self.known, default_graphs, named_graphs)
        return PreparedQuery(text, form, query, selection)

    def run(
        self,
        prepared: PreparedQuery,
        output: str,
        bindings: Mapping[str, Identifier] | None = None,
    ) -> bytes:
        """Evaluate fully and render as ``output`` (a format name or "table"), within the limits."""
        engine, limit = self.engine, self.settings.max_rows

        def work() -> bytes:
            answer = engine.evaluate(
                prepared.query, prepared.text, prepared.selection, bindings or {}, limit
            )
            return render(answer, output)

        return self._in_child(work)

    def query(self, text: str, output: str, **bindings: Identifier) -> bytes:
        """Prepare and run in one call, for callers that need no negotiation."""
        return self.run(self.prepare(text), output, bindings)

    def _in_child(self, work: Callable[[], bytes]) -> bytes:
        """Run ``work`` in a forked process and kill it at the deadline.

        One deadline covers waiting for a free slot and evaluating, so a query never gets
        more than ``query_timeout`` in all.
        """
        limit = self.settings.query_timeout
        deadline = time.monotonic() + limit
        busy = QueryTimeout(
            f"the endpoint is busy: no query slot became free within {limit:g} s, the configured "
            "limit, so the query was not started; try again shortly"
        )
        if not self._slots.acquire(timeout=limit):
            raise busy
        try:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise busy
            return _fork_and_wait(work, remaining, limit)
        finally:
            self._slots.release()


def _child(work: Callable[[], bytes], conn: multiprocessing.connection.Connection) -> None:
    # Library deprecations (rdflib's evaluator calls its own deprecated APIs) must not fail a
    # query, even under ``-W error``; this process only lives for this one query.
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        conn.send((True, work()))
    except ThbkgError as exc:
        conn.send((False, exc))
    except Exception as exc:  # the engine refused or failed on this query
        conn.send((False, QueryError(f"the query could not be evaluated: {exc}")))
    finally:
        conn.close()


def _fork_and_wait(work: Callable[[], bytes], budget: float, limit: float) -> bytes:
    """Evaluate in a child for at most ``budget`` seconds (what is left of ``limit``)."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(work, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(budget):
            waited = limit - budget
            queued = (
                f", {waited:.1f} s of it waiting for a free query slot" if waited >= 0.05 else ""
            )
            raise QueryTimeout(
                f"the query ran longer than {limit:g} s, the configured limit{queued}, "
                "and was stopped"
            )
        ok, payload = receiver.recv()
    except EOFError:
        process.join(1)
        raise QueryTimeout(
            "the query process ended without an answer "
            f"(exit code {process.exitcode}); the query may need too much memory"
        ) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    if not ok:
        raise payload
    return payload
