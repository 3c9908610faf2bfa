"""Every attack of issue 12 against a real ``thbkg serve`` on 127.0.0.1 (not a test).

    python bench/attack.py [--only NAME,...] [--quick] [--dev] [--engine oxigraph]

Attacks (``--only`` picks some): ``service`` (every SERVICE / FROM / LOAD bypass variant, the
carriage-return comment among them, aimed at a listener on 127.0.0.1), ``updates``,
``pathological`` (20 slow or pathological queries at once, while a page is fetched),
``memory`` (string-doubling queries), ``slowloris`` (200 half-sent requests, then normal
clients), ``parser`` (50 concurrent copies of every shipped query on the fresh server),
``nul`` (NUL in queries, results and paths), ``body`` (a body over the limit). ``--quick``
scales each down to seconds, as the test suite runs them.

Prints per attack the requests, the failures (an outcome the issue's targets forbid: a 5xx
other than a query's 503, a refusal that did not happen, a 503 later than the limit + 1 s,
ill-formed XML, a page slower than ``--page-budget``), latency percentiles; then the peak
memory of the server and its query workers and the outbound connections the listener saw
(the target is 0). Exit code 1 when anything failed.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit
from xml.dom.minidom import parseString
from xml.parsers.expat import ExpatError

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    Listener,
    Reply,
    Server,
    Tally,
    common_arguments,
    request,
    server_env,
)

from publish.config import ROOT  # noqa: E402

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
PAGE = "/recommendation/2018-32"


class Attack:
    """The context one attack runs in."""

    def __init__(self, url: str, listener: Listener, args: argparse.Namespace) -> None:
        self.url, self.listener, self.args = url, listener, args
        self.tally = Tally()
        # The page the attacks time, once first, so its template is compiled before any clock.
        request(url, "GET", PAGE, headers={"Accept": "text/html"})

    def post(self, query: str, accept: str = "application/json", **params: str) -> Reply:
        body = urlencode({"query": query, **params}).encode()
        return request(self.url, "POST", "/sparql", body, {**FORM, "Accept": accept})

    def refused(self, kind: str, reply: Reply, before: int) -> None:
        """A request that must get a 4xx and must not reach the listener."""
        failure = None
        if not 400 <= reply.status < 500:
            failure = f"expected a 4xx, got {reply.status or reply.error}: {reply.body[:150]!r}"
        elif len(self.listener.connections) > before:
            failure = f"the listener was reached: {self.listener.connections[before:]!r}"
        self.tally.add(kind, reply, failure)

    def no_connection(self, kind: str, reply: Reply, before: int) -> None:
        """A request that may be answered or refused, but never with a 5xx or by reaching
        the listener."""
        failure = None
        if reply.status >= 500 or reply.status == 0:
            failure = f"got {reply.status or reply.error}: {reply.body[:150]!r}"
        elif len(self.listener.connections) > before:
            failure = f"the listener was reached: {reply.status} {reply.body[:100]!r}"
        self.tally.add(kind, reply, failure)

    def in_time(self, kind: str, reply: Reply) -> None:
        """A heavy query: answered (200) or stopped (503), either within the limit + 1 s."""
        limit = self.args.query_timeout + 1
        failure = None
        if reply.status not in (200, 503):
            failure = f"got {reply.status or reply.error}: {reply.body[:150]!r}"
        elif reply.seconds > limit:
            failure = f"{reply.status} after {reply.seconds:.1f} s, past the limit + 1 s"
        self.tally.add(kind, reply, failure)


# ------------------------------------------------------------------------------ attacks


def service(a: Attack) -> None:
    target = a.listener.url
    where = f"SERVICE <{target}> {{ ?a ?b ?c }}"
    queries = {
        "SERVICE": f"SELECT * WHERE {{ {where} }}",
        "SERVICE SILENT": f"SELECT * WHERE {{ SERVICE SILENT <{target}> {{ ?a ?b ?c }} }}",
        "service (lower case)": f"SELECT * WHERE {{ service <{target}> {{ ?a ?b ?c }} }}",
        "\\u0053ERVICE": f"SELECT * WHERE {{ \\u0053ERVICE <{target}> {{ ?a ?b ?c }} }}",
        "SERVICE ?x bound by VALUES": (
            f"SELECT * WHERE {{ VALUES ?x {{ <{target}> }} SERVICE ?x {{ ?a ?b ?c }} }}"
        ),
        "SERVICE in OPTIONAL": f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ {where} }} }} LIMIT 1",
        "SERVICE in EXISTS": f"ASK {{ FILTER EXISTS {{ {where} }} }}",
        "SERVICE in a subquery": f"SELECT * WHERE {{ {{ SELECT * WHERE {{ {where} }} }} }}",
        "FROM remote": f"SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }}",
        "FROM NAMED remote": f"SELECT * FROM NAMED <{target}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "FROM file://": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "LOAD as a query": f"LOAD <{target}>",
    }
    for name, query in queries.items():
        before = len(a.listener.connections)
        a.refused(f"service: {name}", a.post(query), before)
    # Where one parser reads a comment and another a line end, the guard may read a query
    # without SERVICE: refusing it or answering it are both safe; reaching out is not.
    unseen = {
        "# comment \\r SERVICE": f"SELECT * WHERE {{ # x\r {where}\n}}",
        "# comment \\r\\n SERVICE": f"SELECT * WHERE {{ # x\r\n {where}\n}}",
        "# comment \\f SERVICE": f"SELECT * WHERE {{ # x\f {where}\n}}",
        "# comment \\u2028 SERVICE": f"SELECT * WHERE {{ # x\u2028 {where}\n}}",
        "# comment \\x85 SERVICE": f"SELECT * WHERE {{ # x\x85 {where}\n}}",
    }
    raw = quote(unseen["# comment \\r SERVICE"], safe="")
    sends = {name: (lambda q=query: a.post(q)) for name, query in unseen.items()}
    sends["GET, # comment %0D SERVICE"] = lambda: request(a.url, "GET", f"/sparql?query={raw}")
    for parameter in ("default-graph-uri", "named-graph-uri"):
        sends[f"{parameter} remote"] = lambda p=parameter: a.post("ASK {}", **{p: target})
    for name, send in sends.items():
        before = len(a.listener.connections)
        a.no_connection(f"service: {name}", send(), before)


def updates(a: Attack) -> None:
    insert = "INSERT DATA { <urn:x> <urn:y> <urn:z> }"
    before = len(a.listener.connections)
    a.refused(
        "updates: update=",
        request(a.url, "POST", "/sparql", urlencode({"update": insert}).encode(), FORM),
        before,
    )
    a.refused(
        "updates: sparql-update body",
        request(
            a.url, "POST", "/sparql", insert.encode(), {"Content-Type": "application/sparql-update"}
        ),
        before,
    )
    a.refused("updates: update as a query", a.post(insert), before)
    a.refused("updates: DROP ALL as a query", a.post("DROP ALL"), before)


def _heavy_queries(quick: bool) -> dict[str, str]:
    plus = "1" + "+1" * (1_000 if quick else 10_000)  # 2 KB / 20 KB
    values = " ".join(str(n) for n in range(2_000 if quick else 16_000))  # ~10 KB / 89 KB
    return {
        "sum of ones": f"ASK {{ FILTER({plus} > 0) }}",
        "big VALUES": f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?v {{ {values} }} ?s ?p ?v }}",
        "cross join": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
        "path closure": "SELECT (COUNT(*) AS ?n) WHERE { ?a (<urn:p>|!<urn:p>)* ?b }",
    }


def _page_prober(a: Attack, kind: str, stop: threading.Event) -> None:
    """Fetch a page every 0.2 s while an attack runs; each must be a 200 within budget."""
    while not stop.is_set():
        reply = request(a.url, "GET", PAGE, headers={"Accept": "text/html"})
        failure = None
        if reply.status != 200:
            failure = f"got {reply.status or reply.error}"
        elif reply.seconds > a.args.page_budget:
            failure = f"took {reply.seconds * 1000:.0f} ms (budget {a.args.page_budget * 1000:.0f})"
        a.tally.add(kind, reply, failure)
        stop.wait(0.2)


def _while_probing(a: Attack, kind: str, work) -> None:
    stop = threading.Event()
    prober = threading.Thread(target=_page_prober, args=(a, kind, stop))
    prober.start()
    try:
        work()
    finally:
        stop.set()
        prober.join()


def pathological(a: Attack) -> None:
    heavy = list(_heavy_queries(a.args.quick).items())
    count = 4 if a.args.quick else 20
    jobs = [heavy[n % len(heavy)] for n in range(count)]

    def work() -> None:
        with ThreadPoolExecutor(len(jobs)) as pool:
            replies = pool.map(lambda job: (job[0], a.post(job[1])), jobs)
            for name, reply in replies:
                a.in_time(f"pathological: {name}", reply)

    _while_probing(a, "pathological: page meanwhile", work)


def memory(a: Attack) -> None:
    depth = 22 if a.args.quick else a.args.doubling
    binds = ['BIND("ab" AS ?x0)'] + [
        f"BIND(CONCAT(?x{n}, ?x{n}) AS ?x{n + 1})" for n in range(depth)
    ]
    query = f"SELECT (STRLEN(?x{depth}) AS ?n) WHERE {{ {' '.join(binds)} }}"
    count = 1 if a.args.quick else 8

    def work() -> None:
        with ThreadPoolExecutor(count) as pool:
            for reply in pool.map(lambda _: a.post(query), range(count)):
                a.in_time(f"memory: string doubled {depth} times", reply)

    _while_probing(a, "memory: page meanwhile", work)


def slowloris(a: Attack) -> None:
    host = urlsplit(a.url)
    count = 200
    slow = []
    try:
        for _ in range(count):
            sock = socket.create_connection((host.hostname, host.port), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(sock)
        for _ in range(5 if a.args.quick else 30):
            reply = request(a.url, "GET", PAGE, headers={"Accept": "text/html"}, timeout=10)
            failure = None
            if reply.status != 200:
                failure = f"got {reply.status or reply.error}"
            elif reply.seconds > 1:
                failure = f"took {reply.seconds:.1f} s with {count} slow connections open"
            a.tally.add(f"slowloris: page with {count} half-sent requests", reply, failure)
    finally:
        for sock in slow:
            sock.close()


def parser(a: Attack) -> None:
    files = sorted((ROOT / "queries").glob("*.rq"))
    copies = 10 if a.args.quick else 50
    if a.args.quick:
        files = [f for f in files if "per-theme" in f.name or "ranked" in f.name] or files[:2]
    for path in files:
        query = path.read_text(encoding="utf-8")
        with ThreadPoolExecutor(copies) as pool:
            for reply in pool.map(lambda _, q=query: a.post(q), range(copies)):
                failure = (
                    None
                    if reply.status == 200
                    else (f"got {reply.status or reply.error}: {reply.body[:150]!r}")
                )
                a.tally.add(f"parser: {copies}× {path.stem}"[:42], reply, failure)


def _well_formed(a: Attack, kind: str, reply: Reply) -> None:
    failure = None
    if reply.status >= 500 or reply.status == 0:
        failure = f"got {reply.status or reply.error}"
    elif reply.status == 200 and b"xml" in reply.headers.get("Content-Type", "").encode():
        try:
            parseString(reply.body)
        except ExpatError as exc:
            failure = f"a 200 that is not well-formed XML: {exc}"
    a.tally.add(kind, reply, failure)


def nul(a: Attack) -> None:
    xml = "application/sparql-results+xml"
    _well_formed(
        a,
        "nul: \\u0000 in a SELECT result",
        a.post('SELECT ?x WHERE { BIND("a\\u0000b" AS ?x) }', xml),
    )
    _well_formed(
        a,
        "nul: raw NUL in a SELECT result",
        a.post('SELECT ?x WHERE { BIND("a\x00b" AS ?x) }', xml),
    )
    _well_formed(
        a,
        "nul: \\u0001 in a CONSTRUCT (RDF/XML)",
        a.post(
            'CONSTRUCT { <urn:a> <urn:b> ?x } WHERE { BIND("a\\u0001b" AS ?x) }',
            "application/rdf+xml",
        ),
    )
    _well_formed(
        a, "nul: NUL in an IRI", a.post('SELECT ?x WHERE { BIND(IRI("urn:a\\u0000") AS ?x) }', xml)
    )
    _well_formed(a, "nul: %00 in a path", request(a.url, "GET", "/recommendation/2018%00-32"))
    _well_formed(a, "nul: %00 in format=", request(a.url, "GET", f"{PAGE}?format=%00"))


def body(a: Attack) -> None:
    limit = a.args.max_body
    query = "ASK {}" + " " * limit
    reply = request(
        a.url, "POST", "/sparql", query.encode(), {"Content-Type": "application/sparql-query"}
    )
    failure = None if reply.status == 413 else f"expected 413, got {reply.status or reply.error}"
    a.tally.add("body: query over THBKG_MAX_BODY", reply, failure)
    huge = b"query=" + b"x" * (limit * 4)
    reply = request(a.url, "POST", "/sparql", huge, FORM)
    failure = None if reply.status == 413 else f"expected 413, got {reply.status or reply.error}"
    a.tally.add("body: form 4× THBKG_MAX_BODY", reply, failure)


ATTACKS = {
    "service": service,
    "updates": updates,
    "nul": nul,
    "body": body,
    "parser": parser,  # before the heavy ones: the bug shows on a fresh server
    "slowloris": slowloris,
    "pathological": pathological,
    "memory": memory,
}


def main() -> int:
    parser_ = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser_.add_argument("--only", default=",".join(ATTACKS), help="comma-separated attacks")
    parser_.add_argument("--quick", action="store_true", help="seconds, for the test suite")
    parser_.add_argument("--page-budget", type=float, default=0.2, help="seconds (default 0.2)")
    parser_.add_argument("--doubling", type=int, default=26, help="string doublings (memory)")
    parser_.add_argument("--max-body", type=int, default=100_000, help="THBKG_MAX_BODY")
    common_arguments(parser_)
    args = parser_.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in ATTACKS]
    if unknown or not 1 <= args.doubling <= 31:
        parser_.error(f"unknown attack {unknown} (known: {', '.join(ATTACKS)}) or bad --doubling")
    listener = Listener()
    listener.start()
    env = {**server_env(args), "THBKG_MAX_BODY": str(args.max_body)}
    server = Server(not args.dev, args.workers, env)
    print(
        f"attack: {', '.join(chosen)} on "
        f"{'development server' if args.dev else f'waitress, {args.workers} threads'}, "
        f"engine {args.engine}, query limit {args.query_timeout:g} s"
        + (" (quick)" if args.quick else ""),
        flush=True,
    )
    attack = Attack(server.url, listener, args)
    started = time.monotonic()
    try:
        for name in chosen:
            ATTACKS[name](attack)
    finally:
        memory_figures = server.stop()
        outbound = listener.close()
    total = sum(len(v) for v in attack.tally.latencies.values())
    print(attack.tally.report())
    elapsed = time.monotonic() - started
    print(f"requests: {total} in {elapsed:.1f} s; failures: {attack.tally.failed}")
    print(memory_figures)
    print(outbound)
    return 1 if attack.tally.failed or listener.connections else 0


if __name__ == "__main__":
    sys.exit(main())
