"""Shared fixtures: settings, the loaded graph, the app and its client, the CLI, a live server."""

from __future__ import annotations

import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Dataset, Graph

from publish.config import ROOT, Settings
from publish.graph import KnowledgeGraph
from publish.namespaces import graph_iri
from publish.sparql import SparqlService

TESTS = Path(__file__).parent
DATA = TESTS / "data"


class BufferedClient(FlaskClient):
    """Flask's test client, reading each response whole and closing it, as a server does (a
    download sent from a file would otherwise stay open until the garbage collector runs)."""

    def open(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


Flask.test_client_class = BufferedClient


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def knowledge(settings: Settings) -> KnowledgeGraph:
    return KnowledgeGraph.load(settings)


#: Where the tests keep the store built from the shipped data (rebuilt when a source changes).
TEST_CACHE = Path(tempfile.gettempdir()) / "thbkg-test-cache"


@functools.cache
def shipped_site():
    """The shipped data's store, built (validated) once and cached between runs, opened."""
    from publish.build import cached_store, open_built

    settings = Settings(cache=TEST_CACHE)
    return open_built(cached_store(settings), settings)


def built_site(settings: Settings, directory: Path):
    """``settings``' sources built (validated) into a store under ``directory``, opened."""
    from publish.build import build, open_built

    build(settings, directory / "store")
    return open_built(directory / "store", settings)


def memory_site(dataset):
    """An rdflib Dataset (tests' own data, not ours) as an in-memory Oxigraph store, opened."""
    import pyoxigraph as ox

    from publish.build import Site
    from publish.describe import statistics
    from publish.engines import _quads
    from publish.store import EmbeddedStore

    memory = ox.Store()
    memory.extend(list(_quads(dataset)))
    store = EmbeddedStore(memory)
    return Site(store, statistics(store), "memory")


@pytest.fixture(scope="session")
def site():
    return shipped_site()


@pytest.fixture(scope="session")
def app(settings: Settings, site):
    from publish.web import create_app

    app = create_app(settings, site)
    app.config["TESTING"] = True
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


def union_graph(knowledge: KnowledgeGraph) -> Graph:
    """The default graph users see, computed with rdflib from the files (the reference the
    store's answers are compared with)."""
    union = Graph()
    for name in knowledge.settings.graph_sources():
        union += knowledge.graph(graph_iri(name))
    return union


def parse_rdf(data: bytes | str, rdf_format: str) -> Graph:
    """A response body as a graph (``rdf_format`` is an rdflib parser name): for JSON-LD and
    N-Quads, every statement whichever graph holds it (a description keeps its inferred
    statements in the named graph graph/inferred, which ``Graph().parse`` would leave out)."""
    if rdf_format in ("json-ld", "nquads"):
        union = Graph()
        for s, p, o, _ in Dataset().parse(data=data, format=rdf_format).quads():
            union.add((s, p, o))
        return union
    return Graph().parse(data=data, format=rdf_format)


def run_cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``thbkg ARGS`` as a user would: a subprocess, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "publish", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> tuple[subprocess.Popen[str], str]:
    """Start ``thbkg serve`` on 127.0.0.1 and a free port; wait until it accepts connections.

    Its output goes to a log file (``process.log_path``), never to a pipe that nobody drains:
    a full pipe would block the server after a few hundred requests.
    """
    port = free_port()
    handle, log_path = tempfile.mkstemp(prefix="thbkg-serve-", suffix=".log")
    with os.fdopen(handle, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "publish",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *args,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            # the store the in-process app reads (TEST_CACHE): one build, the same bytes
            env={
                **os.environ,
                "PYTHONUNBUFFERED": "1",
                "THBKG_CACHE": str(TEST_CACHE),
                **(env or {}),
            },
        )
    process.log_path = Path(log_path)  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"thbkg serve exited early:\n{stop_server(process)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"thbkg serve did not listen in time:\n{stop_server(process)}")


def server_log(process: subprocess.Popen[str]) -> str:
    """What a server started by ``start_server`` has printed so far."""
    return process.log_path.read_text(encoding="utf-8")  # type: ignore[attr-defined]


def stop_server(process: subprocess.Popen[str]) -> str:
    """Stop a server started by ``start_server``; returns everything it printed."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    output = server_log(process)
    process.log_path.unlink(missing_ok=True)  # type: ignore[attr-defined]
    return output


@contextmanager
def chromium(
    *flags: str, performance_log: bool = False, console_log: bool = False
) -> Iterator[object]:
    """Headless Debian Chromium driven by Selenium, with a fresh profile and no background
    traffic (this machine has no network but loopback); ``driver.get_log("browser")`` gives
    the console (Content-Security-Policy violations among it) when ``console_log``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="thbkg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *flags,
    ):
        options.add_argument(flag)
    logs = {"performance": performance_log, "browser": console_log}
    if any(logs.values()):
        options.set_capability("goog:loggingPrefs", {k: "ALL" for k, on in logs.items() if on})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """A real ``thbkg serve`` subprocess on 127.0.0.1; yields its base URL."""
    process, url = start_server()
    yield url
    stop_server(process)


@pytest.fixture(scope="module")
def service(knowledge: KnowledgeGraph) -> Iterator[SparqlService]:
    """The query service (sandboxed workers) over a temporary store of the shipped graphs."""
    from publish.querystore import TemporaryQueryStore

    store = TemporaryQueryStore(knowledge.dataset)
    started = SparqlService(store.store, Settings())
    yield started
    started.close()
    store.remove()


def select(service: SparqlService, name: str) -> list[dict[str, str]]:
    """The rows of ``queries/NAME.rq`` as dicts of plain values (SPARQL JSON ``value``)."""
    text = (ROOT / "queries" / f"{name}.rq").read_text(encoding="utf-8")
    doc = json.loads(service.query(text, "json"))
    return [{k: v["value"] for k, v in b.items()} for b in doc["results"]["bindings"]]
