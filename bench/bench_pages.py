"""Response time of a resource page, with peers measured in the same run (not a test).

    python bench/bench_pages.py [--runs N] [--path recommendation/2018-38]

For one resource: the median time of its HTML page, of its Turtle description (memoised after
the first request) and of a static file (the stylesheet), first through Flask's test client (the
app alone), then over HTTP against a real ``thbkg serve`` subprocess on 127.0.0.1, in development
mode and in production mode (waitress). Figures are medians over --runs requests after a warm-up.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publish.config import ROOT, Settings  # noqa: E402
from publish.graph import KnowledgeGraph  # noqa: E402
from publish.web import create_app  # noqa: E402
from tests.conftest import free_port  # noqa: E402

HTML = {"Accept": "text/html"}
TURTLE = {"Accept": "text/turtle"}


def median_ms(call: Callable[[], int], runs: int) -> float:
    for _ in range(min(20, runs)):  # warm-up: templates compiled, descriptions memoised
        assert call() == 200
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        status = call()
        times.append(time.perf_counter() - start)
        assert status == 200, status
    return statistics.median(times) * 1000


def peers(path: str) -> list[tuple[str, str, dict[str, str]]]:
    return [
        ("HTML page", f"/{path}", HTML),
        ("Turtle description", f"/{path}", TURTLE),
        ("static file (CSS)", "/static/thbkg.css", {}),
    ]


def in_process(path: str, runs: int) -> list[tuple[str, float]]:
    settings = Settings()
    app = create_app(settings, KnowledgeGraph.load(settings))
    client = app.test_client()

    def get(url: str, headers: dict[str, str]) -> Callable[[], int]:
        return lambda: client.get(url, headers=headers).status_code

    return [(name, median_ms(get(url, h), runs)) for name, url, h in peers(path)]


def serve(*args: str) -> tuple[subprocess.Popen[bytes], int]:
    """``thbkg serve`` on a free port, its log discarded (a pipe nobody reads would fill up)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "publish", "serve", "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("thbkg serve did not start")


def over_http(path: str, runs: int, *args: str) -> list[tuple[str, float]]:
    process, port = serve(*args)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(url: str, headers: dict[str, str]) -> Callable[[], int]:
        def call() -> int:
            connection.request("GET", url, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status

        return call

    try:
        return [(name, median_ms(get(url, h), runs)) for name, url, h in peers(path)]
    finally:
        connection.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--path", default="recommendation/2018-38")
    args = parser.parse_args()
    print(f"median response time of /{args.path} and peers, {args.runs} requests each ({ROOT})")
    for label, figures in (
        ("Flask test client (in process)", in_process(args.path, args.runs)),
        ("thbkg serve (development server)", over_http(args.path, args.runs)),
        ("thbkg serve --production (waitress)", over_http(args.path, args.runs, "--production")),
    ):
        print(f"\n{label}")
        for name, ms in figures:
            print(f"  {name:<22} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
