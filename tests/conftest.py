"""Shared fixtures: settings, the loaded graph, the app and its client, the CLI, a live server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from publish.config import ROOT, Settings
from publish.graph import KnowledgeGraph

TESTS = Path(__file__).parent
DATA = TESTS / "data"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def knowledge(settings: Settings) -> KnowledgeGraph:
    return KnowledgeGraph.load(settings)


@pytest.fixture(scope="session")
def app(settings: Settings, knowledge: KnowledgeGraph):
    from publish.web import create_app

    app = create_app(settings, knowledge)
    app.config["TESTING"] = True
    return app


@pytest.fixture()
def client(app):
    return app.test_client()


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
    """Start ``thbkg serve`` on 127.0.0.1 and a free port; wait until it accepts connections."""
    port = free_port()
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
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"thbkg serve exited early:\n{process.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("thbkg serve did not start listening in time")


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """A real ``thbkg serve`` subprocess on 127.0.0.1; yields its base URL."""
    process, url = start_server()
    yield url
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()  # an unclosed pipe is a ResourceWarning, an error under -W error
