"""Real clients over HTTP against ``thbkg serve`` on 127.0.0.1: SPARQLWrapper in every result
format, a runaway query on a live server, and the editor in headless Chromium."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from xml.dom.minidom import Document

import pytest
from rdflib import Graph
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from .conftest import chromium, start_server, stop_server

pytestmark = pytest.mark.server

SELECT = (
    "PREFIX thb: <https://w3id.org/thbkg/ontology#>\n"
    "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
    "SELECT ?id WHERE { ?r a thb:Recommendation ; dcterms:identifier ?id } ORDER BY ?id"
)
ASK = "ASK { ?r <https://w3id.org/thbkg/ontology#addressedTo> ?a }"
CONSTRUCT = (
    "CONSTRUCT { ?r <https://w3id.org/thbkg/ontology#theme> ?t } "
    "WHERE { ?r <https://w3id.org/thbkg/ontology#theme> ?t }"
)
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
EXPECTED = [f"2018/{n}" for n in range(32, 43)]


@pytest.fixture(scope="module")
def slow_server() -> Iterator[str]:
    """A second server with a 1 s time limit."""
    process, url = start_server(env={"THBKG_QUERY_TIMEOUT": "1"})
    yield url
    stop_server(process)


@pytest.fixture()
def endpoint(live_server: str) -> str:
    return live_server + "/sparql"


def wrapper(endpoint: str, query: str, fmt: str, method: str = GET) -> SPARQLWrapper:
    sparql = SPARQLWrapper(endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    sparql.setMethod(method)
    return sparql


@pytest.mark.parametrize("method", [GET, URLENCODED, POSTDIRECTLY])
def test_select_json_by_every_method(endpoint: str, method: str) -> None:
    sparql = wrapper(endpoint, SELECT, JSON, GET if method == GET else POST)
    if method != GET:
        sparql.setRequestMethod(method)
    result = sparql.query().convert()
    assert [b["id"]["value"] for b in result["results"]["bindings"]] == EXPECTED


def test_select_xml(endpoint: str) -> None:
    document = wrapper(endpoint, SELECT, XML).query().convert()
    assert isinstance(document, Document)
    values = [n.firstChild.data for n in document.getElementsByTagName("literal")]
    assert values == EXPECTED


@pytest.mark.parametrize(("fmt", "sep", "quote"), [(CSV, ",", ""), (TSV, "\t", '"')])
def test_select_csv_and_tsv(endpoint: str, fmt: str, sep: str, quote: str) -> None:
    text = wrapper(endpoint, SELECT, fmt).query().convert().decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == ("id" if fmt == CSV else "?id")
    assert lines[1:] == [f"{quote}{i}{quote}" for i in EXPECTED]


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask(endpoint: str, fmt: str) -> None:
    result = wrapper(endpoint, ASK, fmt).query().convert()
    if fmt == JSON:
        assert result["boolean"] is True
    else:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("fmt", [TURTLE, JSONLD, RDFXML])
def test_construct(endpoint: str, fmt: str) -> None:
    result = wrapper(endpoint, CONSTRUCT, fmt, POST).query().convert()
    graph = result if isinstance(result, Graph) else Graph().parse(data=result, format="turtle")
    assert len(graph) == 11


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode("utf-8")


def test_runaway_query_on_a_live_server(slow_server: str) -> None:
    url = slow_server + "/sparql?"
    outcome: dict[str, object] = {}

    def runaway() -> None:
        start = time.monotonic()
        outcome["response"] = _get(url + urllib.parse.urlencode({"query": RUNAWAY}))
        outcome["elapsed"] = time.monotonic() - start
        outcome["finished"] = time.monotonic()

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)
    status, body = _get(url + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}))
    answered = time.monotonic()
    thread.join(15)
    assert status == 200 and json.loads(body)["boolean"] is True
    assert answered < outcome["finished"]
    status, message = outcome["response"]
    assert status == 503 and "longer than 1 s" in message
    assert outcome["elapsed"] < 4


@pytest.mark.browser
def test_editor_runs_a_query_in_chromium(live_server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium(performance_log=True) as driver:
        driver.get(live_server + "/sparql")
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.execute_script("return !!(window.thbkgYasgui && window.Yasgui)"))
        driver.find_element(By.ID, "query-recommendations-per-theme").click()
        wait.until(lambda d: "Breaking the smugglers" in d.find_element(By.CLASS_NAME, "yasr").text)
        results = driver.find_element(By.CLASS_NAME, "yasr").text
        assert "Improving the detection and protection of minor victims" in results
        requested = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requested.append(message["params"]["request"]["url"])
        elsewhere = [u for u in requested if u.startswith("http") and not u.startswith(live_server)]
        assert elsewhere == [], "the editor must work offline, with no CDN"
