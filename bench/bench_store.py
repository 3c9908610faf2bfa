"""thbkg against the Oxigraph server and rdflib-endpoint, side by side (issue 8; not a test).

    python bench/bench_store.py [--sizes 1000,10000,100000] [--runs 20] [--requests 2000]

For each size, in one run and on the same generated data (bench/generate.py: the data graph,
its inferred graph and our ontology, as named graphs), every system serves on 127.0.0.1:

- the Oxigraph server in memory (``oxigraph serve``, then the dataset POSTed to /store) and on
  disk (``oxigraph load --location DIR``, then ``oxigraph serve --location DIR``);
- thbkg from a built store (``thbkg build``, then ``thbkg serve --store --production``) and from
  that on-disk Oxigraph server (``thbkg serve --sparql-endpoint --production``), which counts
  and indexes what the endpoint holds at start; and, for its start-up and memory only, from
  that server with the build of the same data (``--sparql-endpoint --store``), which does not;
- rdflib-endpoint (``rdflib-endpoint serve FILE``), which parses the file into rdflib's memory.

It measures build or load time, start-up (launch until the endpoint answers ASK), resident
memory of the process tree after start and at its peak, five queries and a trivial ASK over
HTTP (median and p95; the fast systems are interleaved run by run, so that load from other
processes falls on all of them alike; rdflib-endpoint runs alone afterwards, within a time
budget per query), dereferencing of one recommendation (Turtle and HTML: one client's median,
then requests/s with 8 and 32 concurrent clients by ApacheBench) and search (``/?q=``) when the
site has it. Every answer is checked against the in-memory Oxigraph server's. It prints one set
of Markdown tables per size, ratios to the Oxigraph server in the same storage mode, and the
issue's targets met or missed. Every server is stopped at the end, on error and on Ctrl-C.
Needs ``pip install oxigraph 'rdflib-endpoint[cli]' psutil`` and ApacheBench (``ab``, Debian
package apache2-utils).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import servers  # noqa: E402
from generate import generate  # noqa: E402
from store_report import report  # noqa: E402
from timing import median_seconds, percentile, sample_seconds  # noqa: E402

from publish.config import ROOT, Settings  # noqa: E402
from publish.namespaces import BASE, THB, graph_iri  # noqa: E402
from publish.sparql import SparqlService  # noqa: E402

PREFIXES = """PREFIX thb: <https://w3id.org/thbkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""

#: The five queries of issue 8 and the trivial ASK; {rec} is the recommendation of this size.
QUERIES = {
    # The first page of one year's recommendations, in the annex's order.
    "year listing": """SELECT ?r ?id ?label WHERE {
  ?r a thb:Recommendation ; thb:year "2024"^^xsd:gYear ; thb:sequence ?seq ;
     dcterms:identifier ?id ; rdfs:label ?label FILTER (LANG(?label) = "fr")
} ORDER BY ?seq LIMIT 100""",
    # How many recommendations each actor is addressed.
    "count per actor": """SELECT ?actor (COUNT(?r) AS ?n) WHERE {
  ?r a thb:Recommendation ; thb:addressedTo ?actor
} GROUP BY ?actor ORDER BY DESC(?n) ?actor""",
    # The police's sub-organisation tree, each unit with the recommendations addressed to it.
    "property path": """SELECT ?unit ?label (COUNT(?r) AS ?n) WHERE {
  ?unit org:subOrganizationOf* <https://w3id.org/thbkg/actor/police> ; skos:prefLabel ?label .
  FILTER (LANG(?label) = "fr")
  OPTIONAL { ?r thb:addressedTo ?unit }
} GROUP BY ?unit ?label ORDER BY DESC(?n) ?unit""",
    # How many recommendations speak of victims (a scan of every text).
    "text CONTAINS": """SELECT (COUNT(?r) AS ?n) WHERE {
  ?r thb:text ?text FILTER (CONTAINS(LCASE(STR(?text)), "victimes"))
}""",
    # One recommendation as a graph.
    "CONSTRUCT": """CONSTRUCT { <{rec}> ?p ?o } WHERE { <{rec}> ?p ?o }""",
    # Nothing to evaluate: what a query costs before and after the engine.
    "ASK {}": "ASK {}",
}
SELECT_JSON = "application/sparql-results+json"
TURTLE = "text/turtle"


@dataclass
class System:
    """One server under test and what was measured of it."""

    name: str
    mode: str  # "memory" or "disk": the storage it is compared within
    build: float | None = None  # thbkg build, oxigraph load, or the POST of the dataset
    start: float | None = None  # launch until it answers
    rss_ready: int = 0
    rss_peak: int = 0
    queries: dict[str, list[float]] = field(default_factory=dict)
    answers: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    deref: dict[str, dict[str, float]] = field(default_factory=dict)
    server: servers.Server | None = None

    @property
    def ready(self) -> float | None:
        """Launch until it answers over the data: an in-memory server's load comes after."""
        if self.start is None:
            return None
        return self.start + (self.build or 0) if self.name == OX_MEMORY else self.start


OX_MEMORY, OX_DISK = "Oxigraph server", "Oxigraph server "  # shown with their mode
THBKG_STORE, THBKG_REMOTE, RDFLIB = "thbkg --store", "thbkg --sparql-endpoint", "rdflib-endpoint"
THBKG_PUSHED = "thbkg --sparql-endpoint --store"


class Client:
    """One keep-alive HTTP connection to a server, reopened after an error."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.connection: http.client.HTTPConnection | None = None

    def get(self, path: str, accept: str, **headers: str) -> tuple[int, bytes]:
        """GET on the kept-alive connection; once more on a fresh one if the server had closed
        it (the usual keep-alive race), never more."""
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, self.timeout)
            try:
                self.connection.request("GET", path, headers={"Accept": accept, **headers})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                if attempt == 2 or not isinstance(
                    exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError
                ):
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# ------------------------------------------------------------------ data


#: The generator's source: data it made before its last change is made again.
GENERATOR = Path(__file__).with_name("generate.py")


def prepare(size: int, workdir: Path, seed: int) -> tuple[Path, Path, Path, str]:
    """The data and inferred graphs (generated once per size and seed, again when the ontology,
    the shapes or the generator change), the whole dataset as N-Quads for the peers (written
    again when any of its graphs changes), and the recommendation the size's queries and pages
    are about."""
    data = workdir / f"gen-{size}-s{seed}.ttl"
    inferred = workdir / f"gen-{size}-s{seed}.inferred.ttl"
    quads = workdir / f"gen-{size}-s{seed}.nq"
    settings = Settings()
    if _older(data, inferred, than=(settings.ontology, settings.shapes, GENERATOR)):
        start = time.perf_counter()
        generate(size, data, inferred, seed)
        print(f"generated {data.name} in {time.perf_counter() - start:.0f} s", flush=True)
    if _older(quads, than=(data, inferred, settings.ontology)):
        partial = quads.with_suffix(".nq.partial")
        sources = ((data, "data"), (settings.ontology, "ontology"), (inferred, "inferred"))
        with partial.open("wb") as out:
            for path, name in sources:
                graph = ox.NamedNode(str(graph_iri(name)))
                triples = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
                ox.serialize(
                    (ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples),
                    out,
                    ox.RdfFormat.N_QUADS,
                )
        partial.rename(quads)
    qualified = ox.NamedNode(str(THB.qualifiedAddressing))
    rec = next(
        t.subject.value
        for t in ox.parse(path=str(data), format=ox.RdfFormat.TURTLE)
        if t.predicate == qualified
    )
    return data, inferred, quads, rec


def _older(*made: Path, than: tuple[Path, ...]) -> bool:
    """Whether a file of ``made`` is missing or older than a file it was made from."""
    newest = max(path.stat().st_mtime for path in than)
    return any(not path.exists() or path.stat().st_mtime < newest for path in made)


def loadavg() -> str:
    """The machine's load (1, 5, 15 minutes): figures mean little when it exceeds the cores."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


# ------------------------------------------------------------------ systems


def thbkg_has_store() -> bool:
    """Whether this checkout's thbkg has `build` and `serve --store` (branch store)."""
    probe = subprocess.run(
        [sys.executable, "-m", "publish", "serve", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return probe.returncode == 0 and "--store" in probe.stdout


def timed_run(command: list[str], what: str, timeout: float) -> float:
    """Seconds a command took; an error with its output if it fails."""
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{what} took over {timeout:.0f} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return time.perf_counter() - start


def start(system: System, command: list[str], port: int, query_path: str, timeout: float) -> None:
    system.server = servers.launch(system.name.strip(), command, port, query_path, ROOT)
    system.start = servers.wait_ready(system.server, timeout)
    system.rss_ready = system.server.rss()


def start_oxigraph_memory(quads: Path, timeout: float) -> System:
    system, port = System(OX_MEMORY, "memory"), servers.free_port()
    command = ["oxigraph", "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    start(system, command, port, "/query", timeout)
    began = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    with quads.open("rb") as body:
        connection.request(
            "POST",
            "/store",
            body=body,
            headers={
                "Content-Type": "application/n-quads",
                "Content-Length": str(quads.stat().st_size),
            },
        )
        response = connection.getresponse()
        detail = response.read()
    connection.close()
    if response.status not in (200, 201, 204):
        raise RuntimeError(f"loading the in-memory Oxigraph server: {response.status} {detail!r}")
    system.build = time.perf_counter() - began
    system.rss_ready = system.server.rss()
    return system


def start_oxigraph_disk(quads: Path, location: Path, timeout: float) -> System:
    system, port = System(OX_DISK, "disk"), servers.free_port()
    shutil.rmtree(location, ignore_errors=True)
    system.build = timed_run(
        ["oxigraph", "load", "--location", str(location), "--file", str(quads)],
        "oxigraph load",
        timeout,
    )
    command = [
        "oxigraph",
        "serve",
        "--location",
        str(location),
        "--bind",
        f"127.0.0.1:{port}",
        "--union-default-graph",
    ]
    start(system, command, port, "/query", timeout)
    return system


#: thbkg's server processes: one per core, as a deployment on this machine would run.
PROCESSES = os.cpu_count() or 1


def start_thbkg(system: System, source: list[str], timeout: float) -> System:
    """``thbkg serve SOURCE --production --processes PROCESSES`` (waitress, as deployed) on a
    free port."""
    port = servers.free_port()
    serve = [sys.executable, "-m", "publish", "serve", *source, "--production"]
    serve += ["--processes", str(PROCESSES)]
    start(system, [*serve, "--host", "127.0.0.1", "--port", str(port)], port, "/sparql", timeout)
    return system


def start_thbkg_store(data: Path, inferred: Path, store: Path, timeout: float) -> System:
    system = System(THBKG_STORE, "disk")
    shutil.rmtree(store, ignore_errors=True)
    build = [sys.executable, "-m", "publish", "build", str(data), "--inferred", str(inferred)]
    system.build = timed_run([*build, "-o", str(store)], "thbkg build", timeout)
    return start_thbkg(system, ["--store", str(store)], timeout)


def start_thbkg_remote(endpoint: System, timeout: float) -> System:
    url = f"{endpoint.server.base}{endpoint.server.query_path}"
    return start_thbkg(System(THBKG_REMOTE, "disk"), ["--sparql-endpoint", url], timeout)


def time_thbkg_pushed(endpoint: System, built: Path, timeout: float) -> System:
    """thbkg on ``endpoint`` with ``built``, the build of the data it holds, started and
    stopped: only its start-up and memory are measured (it queries as the endpoint-backed
    thbkg does). A refusal (the endpoint holding other data) is noted, not raised."""
    url = f"{endpoint.server.base}{endpoint.server.query_path}"
    system = System(THBKG_PUSHED, "disk")
    try:
        start_thbkg(system, ["--sparql-endpoint", url, "--store", str(built)], timeout)
    except RuntimeError as exc:
        system.notes.append(" ".join(str(exc).split())[:400])
    finally:
        stop(system)
    return system


def start_rdflib(system: System, quads: Path, timeout: float) -> None:
    port = servers.free_port()
    command = ["rdflib-endpoint", "serve", str(quads), "--host", "127.0.0.1", "--port", str(port)]
    start(system, command, port, "/", timeout)


def stop(system: System) -> None:
    if system.server is not None:
        system.rss_peak = servers.stop(system.server)
        system.server = None


# ------------------------------------------------------------------ measurements


def query_path(system: System, name: str, rec: str) -> str:
    text = QUERIES[name].replace("{rec}", rec)
    return f"{system.server.query_path}?{urllib.parse.urlencode({'query': PREFIXES + text})}"


def fingerprint(name: str, body: bytes) -> object:
    """What an answer says, comparable across servers: the sorted rows, the boolean, or the
    number of triples."""
    if name == "CONSTRUCT":
        return sum(1 for _ in ox.parse(body, ox.RdfFormat.TURTLE))
    result = json.loads(body)
    if "boolean" in result:
        return result["boolean"]
    rows = result["results"]["bindings"]
    return sorted(tuple(sorted((k, v["value"]) for k, v in row.items())) for row in rows)


def ask_once(client: Client, system: System, name: str, rec: str) -> bytes:
    accept = TURTLE if name == "CONSTRUCT" else SELECT_JSON
    status, body = client.get(query_path(system, name, rec), accept)
    if status != 200:
        raise RuntimeError(f"{system.name.strip()} answered {name} with {status}: {body[:300]!r}")
    return body


def measure_interleaved(
    systems: list[System], rec: str, runs: int, warmup: int, timeout: float, rounds: int = 5
) -> None:
    """Every query on every system, in ``rounds`` turns of consecutive runs (a server kept
    busy, as a client with several queries keeps it), so that a burst of load from elsewhere on
    the machine falls on all of them alike."""
    clients = {s.name: Client(s.server.port, timeout) for s in systems}
    failed: set[tuple[str, str]] = set()  # (system, query) that did not answer: not run again
    for system in systems:
        for name in QUERIES:
            system.queries[name] = []
            try:
                body = ask_once(clients[system.name], system, name, rec)
                system.answers[name] = fingerprint(name, body)
                for _ in range(warmup - 1):
                    ask_once(clients[system.name], system, name, rec)
            except (RuntimeError, OSError, http.client.HTTPException) as exc:
                failed.add((system.name, name))
                system.notes.append(f"{name}: {str(exc).splitlines()[0][:200]}")
    rounds = max(1, min(rounds, runs))
    for turn in range(rounds):
        share = runs // rounds + (1 if turn < runs % rounds else 0)
        for name in QUERIES:
            for system in systems:
                if (system.name, name) in failed:
                    continue
                client = clients[system.name]
                try:
                    system.queries[name] += sample_seconds(
                        lambda c=client, s=system, n=name: ask_once(c, s, n, rec), share
                    )
                except (RuntimeError, OSError, http.client.HTTPException) as exc:
                    failed.add((system.name, name))
                    system.notes.append(f"{name}: {str(exc).splitlines()[0][:200]}")
    for client in clients.values():
        client.close()


def measure_alone(system: System, rec: str, runs: int, budget: float, timeout: float) -> None:
    """A slow system's queries one after another, each within ``budget`` seconds of runs; a
    query past ``timeout`` ends its measurements (the server would still be busy with it)."""
    client = Client(system.server.port, timeout)
    for name in QUERIES:
        try:
            began = time.perf_counter()
            body = ask_once(client, system, name, rec)
            first = time.perf_counter() - began
            system.answers[name] = fingerprint(name, body)
            system.queries[name] = [first]
            if first < budget:
                system.queries[name] += sample_seconds(
                    lambda n=name: ask_once(client, system, n, rec), runs - 1, budget=budget - first
                )
        except TimeoutError:
            system.notes.append(f"{name} took over {timeout:.0f} s; its later queries not run")
            return
        except (RuntimeError, OSError) as exc:
            system.notes.append(f"{name}: {str(exc).splitlines()[0][:200]}")


def in_process_ask(store: Path, runs: int) -> tuple[float, float] | None:
    """Median seconds of ASK {} on the built store, both in this process, no HTTP: opened
    directly, and through a query worker (the time-limit machinery: admission, the pipe, the
    deadline, parse and guard, rendering as SPARQL JSON)."""
    location = next((p for p in (store / "oxigraph", store) if (p / "CURRENT").exists()), None)
    if location is None:
        return None
    opened = ox.Store.read_only(str(location))
    direct = median_seconds(lambda: bool(opened.query("ASK {}")), runs, warmup=10)
    service = SparqlService(location, Settings(), workers=1)
    try:
        pooled = median_seconds(
            lambda: service.answer("ASK {}", accept=SELECT_JSON), runs, warmup=10
        )
    finally:
        service.close()
    return direct, pooled


def ab(
    url: str, accept: str, clients: int, requests: int, seconds: float, *headers: str
) -> dict[str, float]:
    """Requests/s of ApacheBench with keep-alive over at most ``requests`` requests or
    ``seconds`` seconds, and how many answers failed or were not 2xx."""
    command = [
        "ab",
        *(option for header in headers for option in ("-H", header)),
        "-k",
        "-q",
        "-t",
        str(int(seconds)),
        "-n",
        str(requests),
        "-c",
        str(clients),
        "-s",
        "60",
        "-H",
        f"Accept: {accept}",
        url,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    figures = {"non2xx": 0.0}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(":")
        if key == "Requests per second":
            figures["rps"] = float(value.split()[0])
        elif key in ("Non-2xx responses", "Failed requests"):
            figures["non2xx"] += float(value.split()[0])
    if "rps" not in figures:
        raise RuntimeError(f"ab failed on {url}:\n{done.stdout}{done.stderr}")
    return figures


#: A request header that sends a request past thbkg's response cache, to the app.
PAST_THE_CACHE = {"Cache-Control": "no-cache"}


def measure_deref(
    system: System, path: str, runs: int, requests: int, timeout: float, seconds: float = 20.0
) -> None:
    """One client's median and p95, then 8 and 32 concurrent clients, per format; then one
    client's median and 8 clients past the response cache; each measurement within
    ``seconds``."""
    client = Client(system.server.port, timeout)
    for label, accept in (("Turtle", TURTLE), ("HTML", "text/html")):
        status, body = client.get(path, accept)
        if status != 200:
            system.notes.append(f"{label} of {path}: {status}")
            continue

        def get(accept: str = accept, **headers: str) -> None:
            if client.get(path, accept, **headers)[0] != 200:
                raise RuntimeError(f"{system.name}: {path} stopped answering 200")

        times = sample_seconds(get, runs, warmup=min(20, runs), budget=seconds)
        figures = {
            "median": statistics.median(times),
            "p95": percentile(times, 95),
            "bytes": len(body),
            "non2xx": 0,
        }
        url = f"{system.server.base}{path}"
        for clients in (8, 32):
            measured = ab(url, accept, clients, requests, seconds)
            figures[f"rps{clients}"] = measured["rps"]
            figures["non2xx"] += measured["non2xx"]
        # The same past the server's response cache: what each request costs the app.
        uncached = sample_seconds(lambda: get(**PAST_THE_CACHE), runs, warmup=20, budget=seconds)
        figures["past median"] = statistics.median(uncached)
        lines = [f"{name}: {value}" for name, value in PAST_THE_CACHE.items()]
        measured = ab(url, accept, 8, requests, seconds, *lines)
        figures["past rps8"] = measured["rps"]
        figures["non2xx"] += measured["non2xx"]
        system.deref[label] = figures


def measure_search(system: System, runs: int, timeout: float) -> None:
    """``/?q=`` when the site searches (its answer differs from the landing page's)."""
    client = Client(system.server.port, timeout)
    status, searched = client.get("/?q=victimes", "text/html")
    _, landing = client.get("/", "text/html")
    if status != 200 or searched == landing:
        system.notes.append("no search (/?q= answers the landing page)")
        return
    times = sample_seconds(
        lambda: client.get("/?q=victimes", "text/html"), runs, warmup=2, budget=20
    )
    system.deref["search /?q="] = {
        "median": statistics.median(times),
        "p95": percentile(times, 95),
        "bytes": len(searched),
    }


# ------------------------------------------------------------------ one size


def bench_size(
    size: int, args: argparse.Namespace, with_thbkg: bool, systems: list[System]
) -> None:
    """Measure every system at one size, appending each to ``systems`` as it starts."""
    data, inferred, quads, rec = prepare(size, args.workdir, args.seed)
    print(
        f"\n## {size:,} recommendations: {count_lines(quads):,} quads "
        f"(data, ontology, inferred); the recommendation: <{rec}>\n",
        flush=True,
    )
    print(f"load average before: {loadavg()}", flush=True)
    path = "/" + rec.removeprefix(str(BASE))
    location, store = args.workdir / f"oxigraph-{size}", args.workdir / f"store-{size}"
    try:
        systems.append(start_oxigraph_memory(quads, args.timeout))
        systems.append(start_oxigraph_disk(quads, location, args.timeout))
        pushed = None
        if with_thbkg:
            try:
                systems.append(start_thbkg_store(data, inferred, store, args.timeout))
                pushed = time_thbkg_pushed(systems[1], store, args.timeout)
                systems.append(start_thbkg_remote(systems[1], args.timeout))
            except RuntimeError as exc:  # measure the peers all the same, and say why not
                print(f"thbkg left out at this size: {exc}", flush=True)
        print("measuring queries: " + ", ".join(s.name.strip() for s in systems), flush=True)
        measure_interleaved(systems, rec, args.runs, args.warmup, args.query_timeout)
        for system in systems:
            if system.name.startswith("thbkg"):
                print(f"measuring dereferencing on {system.name}", flush=True)
                try:
                    measure_deref(system, path, args.runs * 10, args.requests, args.query_timeout)
                    measure_search(system, args.runs, args.query_timeout)
                except (RuntimeError, OSError, http.client.HTTPException) as exc:
                    system.notes.append(f"dereferencing: {exc!r}"[:300])
        for system in systems:
            if system.name == THBKG_STORE:
                measured = in_process_ask(store, args.runs * 50)
                if measured:
                    system.answers["in-process ASK"], system.answers["pool ASK"] = measured
        if pushed is not None:
            systems.append(pushed)
    finally:
        for system in systems:
            stop(system)
    if "rdflib-endpoint" not in args.skip:
        print("measuring rdflib-endpoint", flush=True)
        rdflib = System(RDFLIB, "memory")
        systems.append(rdflib)
        try:
            start_rdflib(rdflib, quads, args.timeout)
            measure_alone(rdflib, rec, args.runs, args.budget, args.query_timeout)
        except (RuntimeError, TimeoutError) as exc:
            rdflib.notes.append(str(exc).splitlines()[0])
        finally:
            stop(rdflib)
    if not args.keep:
        shutil.rmtree(location, ignore_errors=True)
        shutil.rmtree(store, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="recommendations per run, comma-separated (default 1000,10000,100000)",
    )
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query (default 20)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs first (default 2)")
    parser.add_argument(
        "--requests",
        type=int,
        default=3000,
        help="requests per throughput measurement (default 3000)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds of runs per query for rdflib-endpoint (default 60)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="seconds for any one build or start (default 1800)",
    )
    parser.add_argument(
        "--query-timeout",
        type=float,
        default=600.0,
        help="seconds for any one request (default 600)",
    )
    parser.add_argument("--skip", default="", help="rdflib-endpoint and/or thbkg, to leave out")
    parser.add_argument("--seed", type=int, default=2018, help="generator seed (default 2018)")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path("/tmp/thbkg-bench"),
        help="generated data and stores (default /tmp/thbkg-bench)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the built stores")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    with_thbkg = "thbkg" not in args.skip and thbkg_has_store()
    if not with_thbkg:
        print(
            "thbkg left out: "
            + (
                "--skip"
                if "thbkg" in args.skip
                else "this checkout has no `thbkg build` / `serve --store`"
            )
        )
    servers.on_termination_stop_all()
    results: dict[int, list[System]] = {}
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            results[size] = []
            bench_size(size, args, with_thbkg, results[size])
            print(f"load average after: {loadavg()}", flush=True)
            report(size, results[size], args)
    except KeyboardInterrupt:
        servers.stop_all()
        print("\ninterrupted: servers stopped; what was measured of this size:", file=sys.stderr)
        try:
            report(size, results[size], args)
        except Exception as exc:  # a partial size can lack what a table needs
            print(f"(no table: {exc!r})", file=sys.stderr)
        sys.exit(130)
    finally:
        servers.stop_all()
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    size: [s.__dict__ | {"server": None} for s in systems]
                    for size, systems in results.items()
                },
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
