"""`thbkg serve --sparql-endpoint`: the same site from a real Oxigraph server on 127.0.0.1, loaded
with `thbkg build --push`; an endpoint that is down or slow is a 502 / 504, never a hang."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from publish.build import open_endpoint
from publish.config import ROOT, Settings
from publish.errors import StoreTimeout, StoreUnavailable
from publish.formats import RDF_FORMATS
from publish.namespaces import BASE, THB
from publish.store import RemoteStore
from publish.web import create_app

from .conftest import free_port, parse_rdf, run_cli, start_server, stop_server, union_graph

pytestmark = pytest.mark.server
OXIGRAPH = shutil.which("oxigraph")
REC = "recommendation/2018-33"
#: The store each Oxigraph server of the ``oxigraph`` fixture was pushed from, by base URL.
PUSHED: dict[str, Path] = {}


@contextmanager
def oxigraph_server(where: Path, *flags: str) -> Iterator[str]:
    """An Oxigraph server (the `oxigraph` package's binary) over the store at ``where``, on a
    free port of 127.0.0.1; yields its base URL, then stops it."""
    if OXIGRAPH is None:
        pytest.fail("the oxigraph server binary is missing: pip install -e '.[test]'")
    port = free_port()
    server = subprocess.Popen(
        [OXIGRAPH, "serve", "--location", str(where), "--bind", f"127.0.0.1:{port}", *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module", params=["named graphs", "union default graph"])
def oxigraph(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An Oxigraph server holding the 2018 graph, pushed there by `thbkg build --push`; yields
    its base URL. Twice: as Oxigraph starts by default (its default graph is empty, so thbkg
    names our graphs in each request) and with ``--union-default-graph`` (thbkg then uses it)."""
    where = tmp_path_factory.mktemp("oxigraph")
    flags = ("--union-default-graph",) if request.param == "union default graph" else ()
    with oxigraph_server(where / "db", *flags) as base:
        result = run_cli(
            "build",
            str(ROOT / "data" / "annex2018.ttl"),
            "--inferred",
            str(ROOT / "data" / "annex2018.inferred.ttl"),
            "--annotations",
            str(Settings().annotations[0]),
            "--links",
            str(Settings().links[0]),
            "-o",
            str(where / "store"),
            "--push",
            f"{base}/store",
        )
        assert result.returncode == 0, result.stderr
        assert "pushed 5 graphs" in result.stderr
        PUSHED[base] = where / "store"
        yield base


@pytest.fixture(scope="module")
def remote_client(oxigraph: str):
    settings = Settings()
    app = create_app(settings, open_endpoint(f"{oxigraph}/query", settings))
    app.config["TESTING"] = True
    return app.test_client()


def test_the_push_loaded_every_named_graph(oxigraph: str, knowledge) -> None:
    request = urllib.request.Request(
        f"{oxigraph}/store?graph={BASE}graph/data", headers={"Accept": "text/turtle"}
    )
    with urllib.request.urlopen(request) as response:
        data = parse_rdf(response.read(), "turtle")
    from publish.namespaces import DATA_GRAPH

    # Oxigraph stores xsd:positiveInteger as xsd:integer (the site restores it: see below),
    # so the graph is compared by size and subjects here.
    expected = knowledge.graph(DATA_GRAPH)
    assert len(data) == len(expected)
    iris = {s for s in data.subjects() if isinstance(s, URIRef)}
    assert iris == {s for s in expected.subjects() if isinstance(s, URIRef)}


@pytest.mark.parametrize("fmt", RDF_FORMATS, ids=lambda f: f.name)
def test_dereferencing_through_the_endpoint(remote_client, client, fmt) -> None:
    """The endpoint-backed site describes a resource exactly as the embedded store does."""
    there = remote_client.get(f"/{REC}.{fmt.suffix}")
    here = client.get(f"/{REC}.{fmt.suffix}")
    assert there.status_code == 200 and there.mimetype == fmt.media_type
    assert isomorphic(parse_rdf(there.data, fmt.rdflib), parse_rdf(here.data, fmt.rdflib))
    graph = parse_rdf(there.data, fmt.rdflib)
    actor = graph.value(URIRef(BASE + REC), THB.addressedTo)
    assert (actor, SKOS.prefLabel, None) in graph
    assert remote_client.get("/recommendation/2099-1").status_code == 404


def test_pages_through_the_endpoint(remote_client) -> None:
    for path in ("/", f"/{REC}", "/actor/police", "/theme/scheme", "/dataset", "/?actor=police"):
        response = remote_client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 200, path
    body = remote_client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "2018/42" in body and "Améliorer la prise en charge" in body


def test_download_through_the_endpoint(remote_client, knowledge) -> None:
    response = remote_client.get("/download/thbkg.ttl")
    assert response.status_code == 200
    assert isomorphic(parse_rdf(response.data, "turtle"), union_graph(knowledge))


def test_sparql_through_the_endpoint(remote_client) -> None:
    query = "SELECT (COUNT(?r) AS ?n) WHERE { ?r a thb:Recommendation }"
    response = remote_client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200, response.data
    assert json.loads(response.data)["results"]["bindings"][0]["n"]["value"] == "11"
    refused = remote_client.get(
        "/sparql", query_string={"query": "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"}
    )
    assert refused.status_code == 400 and "SERVICE" in refused.get_data(as_text=True)
    construct = remote_client.get(
        "/sparql",
        query_string={"query": f"CONSTRUCT WHERE {{ <{BASE}{REC}> ?p ?o }}"},
        headers={"Accept": "text/turtle"},
    )
    assert construct.status_code == 200
    assert (URIRef(BASE + REC), THB.text, None) in parse_rdf(construct.data, "turtle")


def test_serve_sparql_endpoint_as_a_user_does(oxigraph: str) -> None:
    process, url = start_server("--sparql-endpoint", f"{oxigraph}/query")
    try:
        with urllib.request.urlopen(f"{url}/{REC}.ttl") as response:
            assert (URIRef(BASE + REC), THB.text, None) in parse_rdf(response.read(), "turtle")
    finally:
        stop_server(process)


# ---------------------------------------------------------------- the build that was pushed


@pytest.fixture(scope="module")
def web_copy(oxigraph: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a web server needs of the store pushed to ``oxigraph``: the store without its
    Oxigraph directory (the endpoint holds the graphs)."""
    copy = tmp_path_factory.mktemp("web") / "store"
    shutil.copytree(PUSHED[oxigraph], copy, ignore=shutil.ignore_patterns("oxigraph"))
    return copy


def test_the_pushed_build_is_served_without_counting_or_indexing(
    oxigraph: str, web_copy: Path
) -> None:
    """With --store, the build's figures, search index and downloads are the site's own."""
    site = open_endpoint(f"{oxigraph}/query", Settings(), built=web_copy)
    assert site.search == web_copy / "search" and site.downloads == web_copy / "downloads"
    built = json.loads((web_copy / "manifest.json").read_text(encoding="utf-8"))
    assert site.stats.to_json() == built["void"]
    counted = open_endpoint(f"{oxigraph}/query", Settings())
    assert site.stats.triples == counted.stats.triples
    assert site.stats.graphs == counted.stats.graphs
    # The downloads are the build's files, so the dataset description states their checksums
    # (counted from the endpoint, a download has none).
    digest = hashlib.sha256((web_copy / "downloads" / "thbkg.nt").read_bytes()).hexdigest()
    described = create_app(Settings(), site).test_client().get("/dataset.ttl")
    assert described.status_code == 200 and digest in described.get_data(as_text=True)
    assert not counted.stats.files


def test_serve_the_pushed_build_as_a_user_does(oxigraph: str, web_copy: Path) -> None:
    process, url = start_server("--sparql-endpoint", f"{oxigraph}/query", "--store", str(web_copy))
    try:
        with urllib.request.urlopen(f"{url}/{REC}.ttl") as response:
            assert (URIRef(BASE + REC), THB.text, None) in parse_rdf(response.read(), "turtle")
        request = urllib.request.Request(f"{url}/?q=victimes", headers={"Accept": "text/html"})
        with urllib.request.urlopen(request) as response:
            assert "2018/" in response.read().decode("utf-8")
        with urllib.request.urlopen(f"{url}/download/thbkg.nt") as response:
            assert response.read() == (web_copy / "downloads" / "thbkg.nt").read_bytes()
        query = urllib.parse.urlencode({"query": "ASK { ?r a thb:Recommendation }"})
        request = urllib.request.Request(
            f"{url}/sparql?{query}", headers={"Accept": "application/sparql-results+json"}
        )
        with urllib.request.urlopen(request) as response:
            assert json.loads(response.read())["boolean"] is True
    finally:
        stop_server(process)


def test_a_build_the_endpoint_does_not_hold_is_refused(oxigraph: str, tmp_path: Path) -> None:
    """The endpoint holds the 2018 graph; another build's figures and search would lie."""
    other = tmp_path / "other"
    built = run_cli(
        "build", str(ROOT / "tests" / "data" / "valid" / "minimal.ttl"), "-o", str(other)
    )
    assert built.returncode == 0, built.stderr
    result = run_cli("serve", "--sparql-endpoint", f"{oxigraph}/query", "--store", str(other))
    assert result.returncode == 2, result.stderr
    assert f"does not hold what {other} was built from" in result.stderr
    assert f"<{OURS}>: " in result.stderr and "triples in the store" in result.stderr
    assert "--push" in result.stderr and "Traceback" not in result.stderr


def test_a_pushed_build_without_its_downloads_is_refused(
    oxigraph: str, web_copy: Path, tmp_path: Path
) -> None:
    partial = tmp_path / "store"
    shutil.copytree(web_copy, partial, ignore=shutil.ignore_patterns("downloads"))
    result = run_cli("serve", "--sparql-endpoint", f"{oxigraph}/query", "--store", str(partial))
    assert result.returncode == 2
    assert f"{partial} has no downloads/ directory" in result.stderr


def test_data_goes_without_a_store_or_an_endpoint(oxigraph: str, web_copy: Path) -> None:
    data = str(ROOT / "data" / "annex2018.ttl")
    for other in (["--store", str(web_copy)], ["--sparql-endpoint", f"{oxigraph}/query"]):
        result = run_cli("serve", "--data", data, *other)
        assert result.returncode == 2
        assert "--data goes without --store and --sparql-endpoint" in result.stderr


# ---------------------------------------------------------------- the endpoint's own dataset


def test_the_endpoints_own_union_is_used_only_when_it_is_ours(oxigraph: str, request) -> None:
    union = request.node.callspec.params["oxigraph"] == "union default graph"
    assert open_endpoint(f"{oxigraph}/query", Settings()).store.own_dataset is union


OURS = "https://w3id.org/thbkg/graph/data"


def _update(base: str, update: str) -> None:
    body = urllib.parse.urlencode({"update": update}).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{base}/update", data=body)):
        pass


A, X = "<urn:a> <urn:p> <urn:b>", "<urn:x> <urn:p> <urn:y>"
UNION = ("--union-default-graph",)


@pytest.mark.parametrize(
    ("flags", "default", "other", "adopted"),
    [
        ((), A, "", True),  # the default graph is a copy of ours: the union, exactly
        ((), X, "", False),  # as many triples as ours, one of them in none of our graphs
        ((), A, X, False),  # a copy of ours, but GRAPH ?g would also meet a graph not ours
        (UNION, "", X, False),  # the union, of our graph and one that is not ours
        (UNION, "", "", True),  # the union of ours
    ],
    ids=["copy", "one-outside", "copy-and-another-graph", "other-graph", "union"],
)
def test_the_endpoints_own_dataset_is_checked_not_assumed(
    tmp_path: Path, flags: tuple[str, ...], default: str, other: str, adopted: bool
) -> None:
    with oxigraph_server(tmp_path / "db") as base:
        _update(
            base,
            f"INSERT DATA {{ GRAPH <{OURS}> {{ {A} }} {default} GRAPH <urn:o> {{ {other} }} }}",
        )
    with oxigraph_server(tmp_path / "db", *flags) as base:
        store = RemoteStore(f"{base}/query", [URIRef(OURS)])
        assert store.adopt_own_dataset(union_triples=1) is adopted
        rows = store.select("SELECT ?s WHERE { ?s ?p ?o }")
        assert [row["s"] for row in rows] == [URIRef("urn:a")]  # our graph's, either way


# ---------------------------------------------------------------- down or slow


def test_an_endpoint_that_is_down_is_a_502(oxigraph: str) -> None:
    settings = Settings()
    site = open_endpoint(f"{oxigraph}/query", settings)
    app = create_app(settings, site)
    client = app.test_client()
    site.store.endpoint = f"http://127.0.0.1:{free_port()}/query"  # nobody listens there
    response = client.get("/actor/police-training.ttl")
    assert response.status_code == 502
    assert "cannot be reached" in response.get_data(as_text=True)


class _Slow(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        time.sleep(1.5)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def slow_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = False  # server_close() waits for the handlers: no socket left
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/query"
    finally:
        server.shutdown()
        server.server_close()


def test_an_endpoint_that_is_slow_is_a_504(oxigraph: str, slow_endpoint: str) -> None:
    settings = Settings().with_overrides(endpoint_timeout=0.5)
    site = open_endpoint(f"{oxigraph}/query", settings)
    app = create_app(settings, site)
    site.store.endpoint = slow_endpoint
    started = time.monotonic()
    response = app.test_client().get("/actor/police-training.ttl")
    assert response.status_code == 504
    assert "did not answer within 0.5 s" in response.get_data(as_text=True)
    assert time.monotonic() - started < 1.5


def _delaying(target: str, seconds: list[float]) -> type[BaseHTTPRequestHandler]:
    """A handler that forwards each query to ``target`` after ``seconds[0]``."""

    class Delaying(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(seconds[0])
            headers = {k: self.headers[k] for k in ("Accept", "Content-Type")}
            request = urllib.request.Request(target, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                data = answer.read()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.headers["Content-Type"])
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Delaying


def test_start_up_reads_get_the_start_timeout_and_requests_the_endpoint_timeout(
    oxigraph: str,
) -> None:
    """Counting a large graph takes an endpoint longer than a page's read may: the start-up's
    reads (VoID figures, the search index) wait up to THBKG_ENDPOINT_START_TIMEOUT each."""
    delay = [0.3]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _delaying(f"{oxigraph}/query", delay))
    server.daemon_threads = False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = Settings().with_overrides(endpoint_timeout=0.1, endpoint_start_timeout=30.0)
        site = open_endpoint(f"http://127.0.0.1:{server.server_address[1]}/query", settings)
        assert site.stats.triples > 1000 and site.search is not None and site.search.is_dir()
        delay[0] = 0.0  # the app's own first read (the ontology) is no start-up count
        client = create_app(settings, site).test_client()
        delay[0] = 0.3
        response = client.get("/actor/police-training.ttl")
        assert response.status_code == 504
        assert "did not answer within 0.1 s" in response.get_data(as_text=True)
        with pytest.raises(StoreTimeout):
            open_endpoint(
                f"http://127.0.0.1:{server.server_address[1]}/query",
                settings.with_overrides(endpoint_start_timeout=0.1),
            )
    finally:
        server.shutdown()
        server.server_close()


def test_sparql_on_an_endpoint_down_or_slow_is_a_502_or_504_within_the_deadline(
    oxigraph: str, slow_endpoint: str
) -> None:
    """/sparql parses and guards in a worker, then forwards with what is left of the query's
    deadline (here 1 s, though the endpoint may take 10 s for the site's own reads)."""
    settings = Settings().with_overrides(endpoint_timeout=10.0, query_timeout=1.0)
    site = open_endpoint(f"{oxigraph}/query", settings)
    client = create_app(settings, site).test_client()
    query = {"query": "ASK { ?s ?p ?o }"}
    site.store.endpoint = slow_endpoint
    started = time.monotonic()
    response = client.get("/sparql", query_string=query)
    assert response.status_code == 504, response.get_data(as_text=True)
    assert re.search(r"did not answer within (0\.\d|1) s", response.get_data(as_text=True))
    assert time.monotonic() - started < 1.5
    site.store.endpoint = f"http://127.0.0.1:{free_port()}/query"  # nobody listens there
    response = client.get("/sparql", query_string=query)
    assert response.status_code == 502 and "cannot be reached" in response.get_data(as_text=True)


def test_serve_refuses_an_endpoint_that_is_down() -> None:
    result = run_cli("serve", "--sparql-endpoint", f"http://127.0.0.1:{free_port()}/query")
    assert result.returncode == 2
    assert "cannot be reached" in result.stderr


def test_remote_store_errors_are_domain_errors(slow_endpoint: str) -> None:
    with pytest.raises(StoreTimeout):
        RemoteStore(slow_endpoint, [], timeout=0.3)
    with pytest.raises(StoreUnavailable):
        RemoteStore(f"http://127.0.0.1:{free_port()}/query", [], timeout=0.3)


def test_push_to_nowhere_exits_2(tmp_path: Path) -> None:
    result = run_cli(
        "build",
        str(ROOT / "tests" / "data" / "valid" / "minimal.ttl"),
        "-o",
        str(tmp_path / "store"),
        "--push",
        f"http://127.0.0.1:{free_port()}/store",
    )
    assert result.returncode == 2 and "cannot push" in result.stderr
