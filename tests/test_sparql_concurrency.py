"""Concurrent queries on a fresh server (issue 12, item 2): the parser is shared by every
request thread, and pyparsing is not thread-safe on its own."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from publish.config import Settings
from publish.queries import load_queries

from .conftest import start_server, stop_server

pytestmark = pytest.mark.server

COPIES = 50


@pytest.fixture(scope="module")
def fresh_server() -> Iterator[str]:
    """A fresh ``--production`` server (waitress, threads). The queue and the per-client cap
    admit all the copies at once (all come from 127.0.0.1), and the limit is generous: this
    test is about answers, not speed, and the machine is shared."""
    process, url = start_server(
        "--production",
        env={
            "THBKG_QUERY_TIMEOUT": "120",
            "THBKG_QUERY_QUEUE": str(COPIES),
            "THBKG_QUERIES_PER_CLIENT": str(COPIES),
        },
    )
    yield url
    stop_server(process)


def _post(url: str, text: str) -> tuple[int, str]:
    request = urllib.request.Request(
        url + "/sparql", data=urllib.parse.urlencode({"query": text}).encode()
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            response.read()
            return response.status, ""
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode("utf-8", "replace")


def test_concurrent_copies_of_every_shipped_query(fresh_server: str) -> None:
    """Regression: 10 concurrent POSTs of recommendations-per-theme.rq on a fresh server gave
    9 x 400 (``Param.postParse2() missing 1 required positional argument``), and every query
    with ORDER BY failed from then on."""
    failures = {}
    with ThreadPoolExecutor(COPIES) as pool:
        for stored in load_queries(Settings().queries):
            answers = list(pool.map(lambda text: _post(fresh_server, text), [stored.text] * COPIES))
            bad = [a for a in answers if a[0] != 200]
            if bad:
                failures[stored.name] = (len(bad), bad[0])
    assert failures == {}
