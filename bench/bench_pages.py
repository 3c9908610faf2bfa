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
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import median_seconds  # noqa: E402

from publish.config import ROOT, Settings  # noqa: E402
from publish.graph import KnowledgeGraph  # noqa: E402
from publish.web import create_app  # noqa: E402
from tests.conftest import start_server, stop_server  # noqa: E402

HTML = {"Accept": "text/html"}
TURTLE = {"Accept": "text/turtle"}


def median_ms(call: Callable[[], int], runs: int) -> float:
    """Median of a request that must answer 200; the warm-up compiles templates and memoises."""

    def checked() -> None:
        status = call()
        assert status == 200, status

    return median_seconds(checked, runs, warmup=min(20, runs)) * 1000


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


def over_http(path: str, runs: int, *args: str) -> list[tuple[str, float]]:
    process, url = start_server(*args)
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)

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
        stop_server(process)


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
