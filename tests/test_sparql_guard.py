"""The SERVICE guard and the engines read the same query: a differential test over generated
queries, and the carriage-return bypass (issue 12, item 1) over HTTP.

The property: whenever Oxigraph would evaluate a SERVICE in a query (a listener on 127.0.0.1
sees a connection), the guard refuses that query; and whatever the guard accepts, neither
engine evaluating the text the guard read ever connects.
"""

from __future__ import annotations

import random
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from rdflib import Dataset
from rdflib.plugins.sparql.evaluate import evalQuery
from rdflib.plugins.sparql.parser import parseQuery

from publish.errors import QueryError
from publish.sparql import canonical, guard, parse

from .conftest import start_server, stop_server


class Listener:
    """A TCP socket on 127.0.0.1 that records the request line of every connection made to it,
    then drops the connection (an engine that connects fails fast instead of waiting)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.seen: list[bytes] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.seen.append(conn.recv(4096).split(b"\r\n")[0] or b"<connected>")
                except OSError:
                    self.seen.append(b"<connected>")

    def hit(self, path: str) -> bool:
        """Whether a request for ``path`` reached the listener."""
        return any(f" {path} ".encode() in line for line in self.seen)

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    listening = Listener()
    yield listening
    listening.close()


# ---------------------------------------------------------------- generated queries

#: What may stand between a ``#`` comment's start and the SERVICE: line ends as characters and
#: as codepoint escapes, and characters one parser might take for a line end.
SEPARATORS = [
    "\r", "\n", "\r\n", "\n\r", "\r\r", " \r ",
    r"\u000D", r"\u000d", r"\U0000000D", r"\u000A", r"\U0000000A", r"\u000D\u000A",
    "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\t", " ",
]  # fmt: skip
KEYWORDS = [
    "SERVICE", "service", "SeRvIcE", "SERVICE SILENT", r"\u0053ERVICE", r"SERVIC\u0045",
    r"\U00000053ERVICE", r"\u0053\u0045RVICE", r"SERVICE\u0020SILENT",
]  # fmt: skip
#: Ways to hide the SERVICE from one parser: a comment, a long string, nothing.
HIDERS = [
    "# x{sep}",
    "#{sep}",
    "# SERVICE <urn:x> {sep}",
    "{sep}",
    '# "{sep}',
    "# '''{sep}",
    'BIND("""#{sep}""" AS ?h) ',
    "BIND('''a{sep}''' AS ?h) # {sep}",
    "<urn:s> <urn:p> <urn:o#{sep}> . ",
]
#: Where the SERVICE stands; ``{p}`` is the SERVICE pattern.
PLACES = [
    "{p}",
    "{{ {p} }}",
    "{{ {{ {{ {p} }} }} }}",
    "OPTIONAL {{ {p} }}",
    "BIND(1 AS ?one) FILTER EXISTS {{ {p} }}",
    "BIND(1 AS ?one) FILTER NOT EXISTS {{ {p} }}",
    "BIND(1 AS ?a) MINUS {{ {p} }}",
    "{{ SELECT * WHERE {{ {p} }} }}",
    "{{ SELECT ?a WHERE {{ {{ SELECT * WHERE {{ {p} }} }} }} }}",
    "{{ {p} }} UNION {{ BIND(1 AS ?u) }}",
    "GRAPH ?g {{ ?gs ?gp ?go }} {p}",
    "VALUES ?v {{ 1 }} {p}",
]
FORMS = [
    "SELECT * WHERE {{ {body} }}",
    "ASK {{ {body} }}",
    "CONSTRUCT {{ ?a ?b ?c }} WHERE {{ {body} }}",
]


def generated(port: int, count: int, seed: int = 12) -> list[tuple[str, str]]:
    """``count`` queries (and the listener path each would call), from a fixed seed: every
    separator with every hider around a plain SERVICE, then random combinations."""
    queries = []

    def make(form: str, place: str, hider: str, sep: str, keyword: str, closer: str) -> None:
        path = f"/s{seed}-q{len(queries)}"
        pattern = f"{keyword} <http://127.0.0.1:{port}{path}> {{ ?a ?b ?c }}"
        body = hider.format(sep=sep) + place.format(p=pattern) + closer
        queries.append((form.format(body=body), path))

    for sep in SEPARATORS:
        for hider in HIDERS:
            make(FORMS[0], PLACES[0], hider, sep, "SERVICE", "\n")
    rand = random.Random(seed)
    while len(queries) < count:
        make(
            rand.choice(FORMS),
            rand.choice(PLACES),
            rand.choice(HIDERS),
            rand.choice(SEPARATORS),
            rand.choice(KEYWORDS),
            rand.choice(["\n", " ", "\r", "# end\r", "# end\n", ""]),
        )
    return queries


def oxigraph_connects(store: ox.Store, text: str, listener: Listener, path: str) -> bool:
    """Evaluate ``text`` fully with Oxigraph; whether it called the listener at ``path``."""
    try:
        result = store.query(text, use_default_graph_as_union=True)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except (SyntaxError, OSError, ValueError, RuntimeError):
        pass  # a syntax error, or the connection the listener dropped
    return listener.hit(path)


def guard_refuses(text: str) -> bool:
    try:
        query, _ = parse(text)
        guard(query)
    except QueryError:
        return True
    return False


def old_guard_refuses(text: str) -> bool:
    """The guard before the fix: rdflib's parser on the raw text (for the control only)."""
    from rdflib.plugins.sparql.algebra import translateQuery

    try:
        guard(translateQuery(parseQuery(text)))
    except Exception:
        return True
    return False


@pytest.fixture(scope="module")
def store() -> ox.Store:
    """One triple, so every pattern has a solution to extend and EXISTS is evaluated."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.NamedNode("urn:o")))
    return store


def test_whenever_oxigraph_would_call_a_service_the_guard_refuses(
    listener: Listener, store: ox.Store
) -> None:
    queries = generated(listener.port, 400)
    called, bypassed_before = [], []
    for text, path in queries:
        if oxigraph_connects(store, text, listener, path):
            called.append(text)
            assert guard_refuses(text), f"the guard accepts a query Oxigraph calls out of: {text!r}"
            if not old_guard_refuses(text):
                bypassed_before.append(text)
    # Control: the corpus is worth something: Oxigraph does call out of many of these queries,
    # and some of them got past the guard as it was before the fix.
    assert len(called) > 50
    assert bypassed_before


def test_what_the_guard_accepts_no_engine_calls_out_of(listener: Listener, store: ox.Store) -> None:
    """The engines are handed the canonical text the guard read: for every generated query the
    guard accepts, neither Oxigraph nor rdflib evaluating that text connects anywhere."""
    queries = generated(listener.port, 400, seed=13)
    accepted = 0
    dataset = Dataset(default_union=True)
    for text, path in queries:
        try:
            canon = canonical(text)
        except QueryError:
            continue
        if guard_refuses(canon):
            continue
        accepted += 1
        assert not oxigraph_connects(store, canon, listener, path), canon
        try:
            result = evalQuery(dataset, parse(canon)[0], {})
            list(result.get("bindings") or [])
        except Exception:  # noqa: BLE001 (a failed evaluation is fine; a connection is not)
            pass
        assert not listener.hit(path), canon
    assert accepted > 50  # control: the hiders do hide the SERVICE in many queries


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\r\nb\rc\n", "a\nb\nc\n"),
        (r"SELECT * WHERE { \u0053ERVICE }", "SELECT * WHERE { SERVICE }"),
        (r"# x\u000D SERVICE", "# x\n SERVICE"),
        (r"ASK { \U0001F600 }", "ASK { \U0001f600 }"),
        ('"\\\\u0041"', '"\\A"'),  # an escaped backslash then u0041: the codepoint escape wins
    ],
)
def test_canonical_text(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (r"ASK { FILTER(?x = '\U0041') }", r"\\U0041 is an escape SPARQL parsers read differently"),
        (r"ASK { \u005Cu0041 }", r"\\u0041 is an escape SPARQL parsers read differently"),
        (r"ASK { FILTER(?x = '\uD800') }", r"\\uD800 is not a Unicode character"),
        (r"ASK { FILTER(?x = '\U00110000') }", r"\\U00110000 is not a Unicode character"),
    ],
)
def test_escapes_the_parsers_read_differently_are_refused(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse(text)


def test_line_ends_and_escapes_keep_their_meaning() -> None:
    """Canonical text answers as the client meant: CRLF line ends, an escaped keyword."""
    query, form = parse("PREFIX ex: <urn:x#>\r\nSELECT ?x\r\nWHERE { # comment\r\n BIND(1 AS ?x) }")
    assert form == "SELECT"
    assert parse(r"\u0053ELECT * WHERE {}")[1] == "SELECT"


# ---------------------------------------------------------------- over HTTP


@pytest.mark.server
def test_the_carriage_return_bypass_over_http(listener: Listener) -> None:
    """Regression (issue 12, item 1): the exact request of the report, POST and GET with %0D,
    on an Oxigraph server: 400 naming the SERVICE, and nothing reaches the listener."""
    process, url = start_server(env={"THBKG_ENGINE": "oxigraph"})
    try:
        for method in ("POST", "GET"):
            path = f"/bypass-{method}"
            query = (
                f"SELECT * WHERE {{ # x\r SERVICE <http://127.0.0.1:{listener.port}{path}> "
                "{ ?a ?b ?c }\n}"
            )
            encoded = urllib.parse.urlencode({"query": query})
            assert "%0D" in encoded
            if method == "POST":
                request = urllib.request.Request(f"{url}/sparql", data=encoded.encode())
            else:
                request = urllib.request.Request(f"{url}/sparql?{encoded}")
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=30)
            assert caught.value.code == 400
            assert "SERVICE" in caught.value.read().decode()
            assert not listener.hit(path)
    finally:
        stop_server(process)
