"""End to end: a real ``thbkg serve`` on 127.0.0.1, spoken to with a plain HTTP client."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psutil
import pytest
from rdflib import URIRef
from rdflib.compare import isomorphic

from publish.formats import HTML, RDF_FORMATS, TEXT, TURTLE
from publish.namespaces import BASE

from .conftest import (
    DATA,
    chromium,
    free_port,
    parse_rdf,
    run_cli,
    server_log,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.server
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def request(
    url: str, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage, bytes]:
    host = urlsplit(url)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def raw(url: str, request_line: bytes) -> int:
    """Send bytes as they are (no client normalises the path) and return the status code."""
    host = urlsplit(url)
    with socket.create_connection((host.hostname, host.port), timeout=30) as sock:
        sock.sendall(request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return int(reply.split(b" ", 2)[1])


@pytest.mark.parametrize("path", ["recommendation/2018-32", "actor/police", "dataset", "shapes"])
def test_resources_in_every_format(live_server: str, client, path: str) -> None:
    # The live server serves what the in-process app serves, in every format.
    expected = parse_rdf(client.get(f"/{path}.nt").data, "nt")
    for fmt in RDF_FORMATS:
        status, headers, body = request(live_server, f"/{path}", headers={"Accept": fmt.media_type})
        assert status == 200 and headers.get_content_type() == fmt.media_type
        assert "Accept" in headers["Vary"]
        assert isomorphic(parse_rdf(body, fmt.rdflib), expected), (path, fmt.name)
        status, _, body = request(live_server, f"/{path}.{fmt.suffix}")
        assert status == 200 and isomorphic(parse_rdf(body, fmt.rdflib), expected)


def test_browser_gets_the_page_with_the_verbatim_text(live_server: str, knowledge) -> None:
    status, headers, body = request(
        live_server, "/recommendation/2018-32", headers={"Accept": BROWSER}
    )
    assert status == 200 and headers.get_content_type() == HTML.media_type
    assert "Poursuivre, intensifier et diversifier les efforts de formation" in body.decode()
    assert 'rel="alternate"' in headers["Link"]


def test_head_etag_and_304(live_server: str) -> None:
    status, headers, body = request(live_server, "/actor/police.ttl", method="HEAD")
    assert status == 200 and body == b""
    etag = headers["ETag"]
    status, _, body = request(live_server, "/actor/police.ttl", headers={"If-None-Match": etag})
    assert status == 304 and body == b""


def test_errors_over_http(live_server: str) -> None:
    status, headers, _ = request(live_server, "/actor/nobody", headers={"Accept": "*/*"})
    assert status == 404 and headers.get_content_type() == TEXT.media_type
    status, headers, _ = request(live_server, "/actor/nobody", headers={"Accept": BROWSER})
    assert status == 404 and headers.get_content_type() == HTML.media_type
    status, _, _ = request(live_server, "/actor/police", headers={"Accept": "image/png"})
    assert status == 406


@pytest.mark.parametrize(
    "line",
    [
        b"GET /../../etc/passwd HTTP/1.1",
        b"GET /recommendation/..%2f..%2fetc%2fpasswd HTTP/1.1",
        b"GET /recommendation/\xff\xfe\x80 HTTP/1.1",
        b"GET /actor/%ff%fe HTTP/1.1",
        b"GET /" + b"x" * 8000 + b" HTTP/1.1",
        b"GET /recommendation/2018-32 HTTP/1.1\r\nAccept: \xff\xfe;q=\x01",
        b"GET /recommendation/2018-32 HTTP/1.1\r\nAccept-Language: ;;;q=x",
    ],
)
def test_hostile_requests_never_500(live_server: str, line: bytes) -> None:
    status = raw(live_server, line)
    assert 200 <= status < 500, status


def test_downloads_over_http(live_server: str) -> None:
    status, headers, body = request(live_server, "/download/thbkg.ttl")
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    assert len(parse_rdf(body, "turtle")) > 0


def test_first_log_line_says_where_it_listens_and_production_mode_serves() -> None:
    process, url = start_server("--production", "--workers", "4")
    try:
        first = server_log(process).splitlines()[0]
        mode = "waitress, 4 threads and 16 for queries"
        assert first.strip() == f"thbkg: listening on {url}/ ({mode})"

        def fetch(path: str) -> int:
            return request(url, path, headers={"Accept": TURTLE.media_type})[0]

        paths = [f"/recommendation/2018-{n}" for n in range(32, 43)] * 3
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(fetch, paths)) == {200}
        _, headers, _ = request(url, "/")
        assert headers["Server"] == "thbkg"
    finally:
        stop_server(process)


def _listening_copies(
    process: subprocess.Popen[str], port: int
) -> tuple[list[psutil.Process], list[psutil.Process]]:
    """Everything ``process`` started, and those of them that listen on ``port`` (the copies
    of the server), once a copy listens (it opens the store first: a few seconds)."""

    def listens(p: psutil.Process) -> bool:
        return any(
            c.status == psutil.CONN_LISTEN and c.laddr.port == port
            for c in p.net_connections("tcp")
        )

    for _ in range(200):
        tree = psutil.Process(process.pid).children(recursive=True)
        copies = [p for p in tree if listens(p)]
        if copies:
            break
        time.sleep(0.1)
    return tree, copies


def test_production_processes_share_the_port_and_stop_together() -> None:
    """``--processes 2``: a second server process listens on the port too, the kernel spreads
    connections over both, and stopping the first stops everything it started."""
    process, url = start_server("--production", "--processes", "2")
    port = int(url.rsplit(":", 1)[1])
    tree = psutil.Process(process.pid).children(recursive=True)
    try:
        assert "in each of 2 processes" in server_log(process).splitlines()[0]
        tree, copies = _listening_copies(process, port)
        assert len(copies) == 1
        connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(16)]
        for connection in connections:
            connection.request("GET", "/recommendation/2018-33", headers={"Accept": "text/turtle"})
            response = connection.getresponse()
            assert response.status == 200 and response.read()
        held = {
            p.pid: sum(c.status == psutil.CONN_ESTABLISHED for c in p.net_connections("tcp"))
            for p in (psutil.Process(process.pid), copies[0])
        }
        assert all(held.values()), held  # 16 connections, each process holds some
        for connection in connections:
            connection.close()
    finally:
        stop_server(process)
    gone, alive = psutil.wait_procs(tree, timeout=15)
    assert not alive


def test_production_copies_end_when_the_first_process_is_killed() -> None:
    """SIGKILL leaves the first process no time to stop its copies: they end by themselves."""
    process, url = start_server("--production", "--processes", "2")
    try:
        tree, copies = _listening_copies(process, int(url.rsplit(":", 1)[1]))
        assert len(copies) == 1
        process.kill()
        process.wait()
        gone, alive = psutil.wait_procs(tree, timeout=15)
        assert not alive
    finally:
        stop_server(process)


def test_serves_other_data(tmp_path: Path) -> None:
    process, url = start_server("--data", str(DATA / "valid" / "minimal.ttl"))
    try:
        status, _, body = request(url, "/recommendation/2018-33", headers={"Accept": BROWSER})
        assert status == 200 and "Installer une taskforce." in body.decode()
        assert request(url, "/recommendation/2018-32")[0] == 404
        _, _, ttl = request(url, "/recommendation/2018-33.ttl")
        assert URIRef(BASE + "recommendation/2018-33") in set(parse_rdf(ttl, "turtle").subjects())
    finally:
        stop_server(process)


def test_serves_other_data_with_its_inferred_graph(tmp_path: Path) -> None:
    inferred = tmp_path / "minimal.inferred.ttl"
    inferred.write_text(
        "<https://w3id.org/thbkg/recommendation/2018-33> "
        "<https://w3id.org/thbkg/ontology#concerns> "
        "<https://w3id.org/thbkg/actor/autorites-politiques-federales> .\n"
    )
    process, url = start_server(
        "--data", str(DATA / "valid" / "minimal.ttl"), "--inferred", str(inferred)
    )
    try:
        ask = (
            "ASK { GRAPH <https://w3id.org/thbkg/graph/inferred> { "
            "<recommendation/2018-33> thb:concerns <actor/autorites-politiques-federales> } }"
        )
        status, _, body = request(
            url, "/sparql?" + urlencode({"query": ask}), headers={"Accept": "application/json"}
        )
        assert status == 200 and json.loads(body)["boolean"] is True
    finally:
        stop_server(process)


def test_inferred_without_data_is_a_usage_error(tmp_path: Path) -> None:
    inferred = tmp_path / "x.ttl"
    inferred.write_text("")
    result = run_cli("serve", "--inferred", str(inferred))
    assert result.returncode == 2
    assert "--inferred goes with --data" in result.stderr


def test_refuses_to_serve_a_graph_that_does_not_conform() -> None:
    bad = DATA / "invalid" / "text-not-french.ttl"
    result = run_cli("serve", "--port", str(free_port()), "--data", str(bad), timeout=120)
    assert result.returncode == 1
    assert "does not conform" in result.stderr
    assert "thb:text" in result.stderr  # the validation report names the path
    assert "listening" not in result.stderr


def test_refuses_a_file_that_does_not_parse(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix thb: <https://w3id.org/thbkg/ontology#> .\n<a> thb:text .\n")
    result = run_cli("serve", "--port", str(free_port()), "--data", str(broken), timeout=120)
    assert result.returncode == 2
    assert f"{broken}:2:" in result.stderr
    missing = run_cli("serve", "--port", str(free_port()), "--data", str(tmp_path / "no.ttl"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_refuses_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--production", "--port", str(port), timeout=120)
    assert result.returncode != 0
    assert "cannot listen" in result.stderr or "in use" in result.stderr


@pytest.mark.browser
def test_a_page_reads_on_a_phone_in_chromium(live_server: str) -> None:
    """Headless Chromium at a phone's width: the text is there and nothing overflows sideways."""
    # At a phone's width, with scripts off: nothing may need JavaScript.
    with chromium("--window-size=375,800", "--blink-settings=scriptEnabled=false") as driver:
        for path in ("/", "/recommendation/2018-38", "/actor/police", "/shapes", "/ontology"):
            driver.get(live_server + path)
            text = driver.find_element("tag name", "body").text
            assert "thbkg" in text
            overflow = driver.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, (path, overflow)
        driver.get(live_server + "/recommendation/2018-38")
        assert "Faire mieux appliquer le statut de victime" in driver.page_source


def test_every_documented_path_kind_is_served(live_server: str) -> None:
    """One resource of each kind the README's routes table lists answers over HTTP."""
    for path in (
        "/",
        "/theme/scheme",
        "/level/federal",
        "/report/mineurs-en-danger-majeur",
        "/graph/data",
        "/graph/ontology",
        "/graph/inferred",
        "/ontology",
        "/shapes",
        "/dataset",
        "/.well-known/void",
        "/context.jsonld",
    ):
        assert request(live_server, path)[0] == 200, path


@pytest.mark.parametrize(
    "args",
    [
        ("--port", "0"),
        ("--port", "70000"),
        ("--port", "http"),
        ("--workers", "0"),
        ("--processes", "2"),
        ("--nope",),
    ],
)
def test_bad_serve_options_are_usage_errors(args: tuple[str, ...]) -> None:
    result = run_cli("serve", *args, timeout=60)
    assert result.returncode == 2
    assert "Usage: thbkg serve" in result.stderr
