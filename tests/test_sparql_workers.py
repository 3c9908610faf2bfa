"""Query workers (issue 8 item 4, issue 12 items 1b, 3, 4, 5): no network from a worker by two
independent layers, each proven alone; the memory cap; the bounded queue and the per-client
cap; pages served while queries wait."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from publish.config import ROOT, Settings
from publish.errors import Overloaded, QueryError, QueryOutOfMemory, QueryTimeout
from publish.graph import KnowledgeGraph
from publish.pool import Admission
from publish.querystore import TemporaryQueryStore
from publish.sandbox import LAYERS
from publish.sparql import SparqlService
from publish.web import create_app

from .conftest import start_server, stop_server
from .test_sparql_guard import Listener

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
#: Sorting a three-way cross product keeps every row: memory grows by hundreds of MB a second.
HOG = "SELECT ?a ?c ?f WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?i ?f ?a LIMIT 1"


def bypass(port: int, path: str) -> str:
    """The query of issue 12, item 1: a carriage return ends the comment for Oxigraph only."""
    return f"SELECT * WHERE {{ # x\r SERVICE <http://127.0.0.1:{port}{path}> {{ ?a ?b ?c }}\n}}"


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    listening = Listener()
    yield listening
    listening.close()


@pytest.fixture(scope="module")
def store(knowledge: KnowledgeGraph) -> Iterator[Path]:
    built = TemporaryQueryStore(knowledge.dataset)
    yield built.store
    built.remove()


@contextmanager
def service_over(store: Path, workers: int = 1, **limits: object) -> Iterator[SparqlService]:
    started = SparqlService(store, Settings().with_overrides(**limits), workers=workers)
    try:
        yield started
    finally:
        started.close()


# ---------------------------------------------------------------- no network, layer by layer

#: Oxigraph on the bypass query, with no guard at all, in a process confined by ``layers``.
UNGUARDED = """
import sys
import pyoxigraph as ox
from publish.sandbox import confine_network
layers = tuple(sys.argv[2:])
if layers:
    print(confine_network(layers))
try:
    list(ox.Store().query(sys.argv[1]))
except OSError as exc:
    print("engine failed:", exc)
"""


def unguarded(query: str, *layers: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", UNGUARDED, query, *layers],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_control_unconfined_and_unguarded_oxigraph_calls_the_listener(listener: Listener) -> None:
    """Without either layer the bypass reaches the listener: the tests below can fail."""
    result = unguarded(bypass(listener.port, "/control"))
    assert result.returncode == 0, result.stderr
    assert listener.hit("/control")


@pytest.mark.parametrize("layer", list(LAYERS))
def test_each_os_layer_alone_stops_the_bypass(listener: Listener, layer: str) -> None:
    """Guard disabled (Oxigraph gets the raw query): the operating system refuses the socket."""
    path = f"/os-{layer.replace(' ', '-')}"
    result = unguarded(bypass(listener.port, path), layer)
    assert result.returncode == 0, result.stderr
    assert f"['{layer}']" in result.stdout and "engine failed" in result.stdout
    time.sleep(0.2)
    assert not listener.hit(path)


def test_the_guard_alone_stops_the_bypass(listener: Listener, store: Path) -> None:
    """OS layers off: the core, unconfined in this test process, refuses the query."""
    import pyoxigraph as ox

    from publish.sparql import QueryCore, Request

    core = QueryCore(ox.Store.read_only(str(store)), Settings())
    with pytest.raises(QueryError, match="SERVICE .* is refused"):
        core.answer(Request(bypass(listener.port, "/guard-alone")))
    assert not listener.hit("/guard-alone")


def test_a_worker_keeps_short_queries_parsed_and_guards_them_each_time(
    listener: Listener, store: Path
) -> None:
    """Parsing is most of a small query's cost: a worker parses a short text once, a long one
    each time, and the guard refuses a kept SERVICE on every request, not only the first."""
    import pyoxigraph as ox

    from publish.sparql import CACHED_QUERY_LENGTH, QueryCore, Request

    core = QueryCore(ox.Store.read_only(str(store)), Settings())
    short = "ASK { ?s ?p ?o }"
    assert core.prepare(short).query is core.prepare(short).query
    long = "ASK { ?s ?p ?o }\n" + "#" * CACHED_QUERY_LENGTH
    assert core.prepare(long).query is not core.prepare(long).query
    for _ in range(3):
        with pytest.raises(QueryError, match="SERVICE .* is refused"):
            core.answer(Request(bypass(listener.port, "/kept")))
    assert not listener.hit("/kept")


def test_the_workers_run_with_both_layers(store: Path) -> None:
    """The deployed workers: a network namespace of their own and a seccomp filter."""
    with service_over(store, workers=2) as service:
        assert service.pool.layers == list(LAYERS)
        for worker in service.pool._all:
            pid = worker.process.pid
            assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
            status = Path(f"/proc/{pid}/status").read_text()
            assert "Seccomp:\t2" in status  # filter mode


# ---------------------------------------------------------------- memory


def test_a_query_past_the_memory_cap_is_stopped_and_its_worker_replaced(store: Path) -> None:
    with service_over(store, query_memory=300 << 20, query_timeout=60) as service:
        start = time.monotonic()
        with pytest.raises(QueryOutOfMemory, match="more than 300 MiB of memory"):
            service.query(HOG, "json")
        assert time.monotonic() - start < 60
        assert json.loads(service.query("ASK { ?s ?p ?o }", "json"))["boolean"] is True


# ---------------------------------------------------------------- queue and per-client cap


def test_admission_bounds_the_queue_and_each_client() -> None:
    admission = Admission(capacity=3, per_client=2, retry_after=5)
    with admission.admit("a"), admission.admit("a"):
        with pytest.raises(Overloaded) as over_share, admission.admit("a"):
            pass
        assert over_share.value.http_status == 429 and over_share.value.retry_after == 5
        with admission.admit("b"):
            with pytest.raises(Overloaded) as full, admission.admit("c"):
                pass
            assert full.value.http_status == 503 and "THBKG_QUERY_QUEUE" in full.value.message
    with admission.admit("a"), admission.admit("a"), admission.admit("c"):
        pass  # every place was given back


def test_a_full_queue_and_a_greedy_client_over_http(site) -> None:
    """503 with Retry-After when the queue is full, 429 with Retry-After for a client over its
    share; both at once, without waiting for the running queries."""
    settings = Settings().with_overrides(
        query_timeout=3.0, query_queue=3, queries_per_client=2, query_workers=1
    )
    app = create_app(settings, site)
    app.config["TESTING"] = True

    def send(address: str) -> tuple[int, str | None, float]:
        start = time.monotonic()
        response = app.test_client().get(
            "/sparql", query_string={"query": RUNAWAY}, environ_base={"REMOTE_ADDR": address}
        )
        return response.status_code, response.headers.get("Retry-After"), start

    with ThreadPoolExecutor(3) as pool:
        running = [pool.submit(send, "10.0.0.1"), pool.submit(send, "10.0.0.1")]
        time.sleep(0.5)
        started = time.monotonic()
        greedy = app.test_client().get(
            "/sparql", query_string={"query": "ASK {}"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
        )
        assert greedy.status_code == 429 and greedy.headers["Retry-After"] == "2"
        assert "THBKG_QUERIES_PER_CLIENT" in greedy.get_data(as_text=True)
        third = pool.submit(send, "10.0.0.2")
        time.sleep(0.3)
        full = app.test_client().get(
            "/sparql", query_string={"query": "ASK {}"}, environ_base={"REMOTE_ADDR": "10.0.0.3"}
        )
        assert full.status_code == 503 and full.headers["Retry-After"] == "2"
        assert full.headers["Access-Control-Allow-Origin"] == "*"
        assert time.monotonic() - started < 1.5  # refused at once, not after the others
        for future in [*running, third]:
            assert future.result()[0] == 503  # each stopped at the limit
    app.extensions["thbkg.sparql"].close()


# ---------------------------------------------------------------- pages never wait


def _get(url: str, timeout: float = 60) -> tuple[int, float]:
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        with error:
            error.read()
            status = error.code
    return status, time.monotonic() - start


@pytest.mark.server
def test_pages_are_served_while_slow_queries_wait() -> None:
    """Regression (issue 12, item 4): with 20 concurrent slow queries a cheap page took 21-23 s
    under --production, and the queries' 503s came after up to 33 s."""
    limit = 3
    process, url = start_server(
        "--production",
        env={"THBKG_QUERY_TIMEOUT": str(limit), "THBKG_QUERIES_PER_CLIENT": "20"},
    )
    try:
        assert _get(url + "/dataset")[0] == 200  # warm
        query = url + "/sparql?" + urllib.parse.urlencode({"query": RUNAWAY})
        with ThreadPoolExecutor(20) as pool:
            slow = [pool.submit(_get, query) for _ in range(20)]
            time.sleep(0.5)
            pages = [_get(url + "/dataset") for _ in range(5)]
            answers = [f.result() for f in slow]
        assert all(status == 200 for status, _ in pages)
        assert max(elapsed for _, elapsed in pages) < 2, pages  # target: 0.2 s on a quiet machine
        assert [status for status, _ in answers] == [503] * 20
        assert max(elapsed for _, elapsed in answers) < limit + 1.5, answers
    finally:
        stop_server(process)


def children(pid: int) -> dict[int, str]:
    """The child processes of ``pid`` (from any of its threads), with their command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                found[int(stat.parent.name)] = cmdline
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
    return found


@pytest.mark.server
def test_the_server_starts_no_process_per_query() -> None:
    """The web tier never forks: its children are multiprocessing's fork server and resource
    tracker (both started by fork and exec), the same before and after queries; the workers
    are the fork server's children."""
    process, url = start_server()
    try:
        query = urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
        assert _get(f"{url}/sparql?{query}")[0] == 200
        before = children(process.pid)
        for _ in range(10):
            assert _get(f"{url}/sparql?{query}")[0] == 200
        assert children(process.pid) == before
        assert all("forkserver" in c or "resource_tracker" in c for c in before.values()), before
        (server,) = [pid for pid, c in before.items() if "forkserver" in c]
        assert len(children(server)) == Settings().query_workers
    finally:
        stop_server(process)


def test_a_stuck_worker_does_not_stop_the_others(store: Path) -> None:
    """One worker busy on a runaway query; the other answers meanwhile."""
    with service_over(store, workers=2, query_timeout=2.0) as service:
        runaway = threading.Thread(
            target=lambda: pytest.raises(QueryTimeout, service.query, RUNAWAY, "json")
        )
        runaway.start()
        time.sleep(0.3)
        start = time.monotonic()
        assert json.loads(service.query("ASK { ?s ?p ?o }", "json"))["boolean"] is True
        assert time.monotonic() - start < 1
        runaway.join()


def test_closing_from_several_threads_closes_each_worker_once(store: Path) -> None:
    """The server's shutdown and a worker's restart may both discard a worker: its pipe is
    closed once (a second close could close a descriptor the process has since reused)."""
    with service_over(store, workers=2) as service:
        closes: list[int] = []
        for worker in list(service.pool._all):
            close = worker.conn.close
            worker.conn.close = lambda close=close, worker=worker: (
                closes.append(id(worker)),
                close(),
            )
        barrier = threading.Barrier(4)

        def close_all() -> None:
            barrier.wait()
            service.pool.close()

        with ThreadPoolExecutor(4) as closers:
            for done in [closers.submit(close_all) for _ in range(4)]:
                done.result()
        assert sorted(Counter(closes).values()) == [1, 1]
