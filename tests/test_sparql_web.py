"""``/sparql`` through Flask's test client: the protocol, negotiation, CORS, description, errors."""

from __future__ import annotations

import html
import json
import re
import threading
import time
from urllib.parse import quote

import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.compare import isomorphic

from publish import formats
from publish.config import Settings
from publish.queries import load_queries
from publish.web import create_app

from .conftest import parse_rdf

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SELECT = "SELECT ?id WHERE { ?r a thb:Recommendation ; dcterms:identifier ?id } ORDER BY ?id"
CONSTRUCT = "CONSTRUCT { ?r thb:theme ?t } WHERE { ?r thb:theme ?t }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
TEXT_HTML = {"Accept": "text/html"}  # a browser that accepts nothing else


def ids(response) -> list[str]:
    doc = json.loads(response.data)
    return [b["id"]["value"] for b in doc["results"]["bindings"]]


def test_get_post_form_and_post_direct_agree(client) -> None:
    expected = [f"2018/{n}" for n in range(32, 43)]
    assert ids(client.get("/sparql", query_string={"query": SELECT})) == expected
    assert ids(client.post("/sparql", data={"query": SELECT})) == expected
    direct = client.post("/sparql", data=SELECT, content_type="application/sparql-query")
    assert ids(direct) == expected
    assert ids(client.get("/sparql/", query_string={"query": SELECT})) == expected


@pytest.mark.parametrize("fmt", formats.RESULT_FORMATS, ids=lambda f: f.name)
def test_select_in_every_result_format(client, fmt: formats.Format) -> None:
    response = client.get(
        "/sparql", query_string={"query": SELECT}, headers={"Accept": fmt.media_type}
    )
    assert response.status_code == 200
    assert response.mimetype == fmt.media_type
    assert "Accept" in response.headers["Vary"]
    assert "2018/42" in response.get_data(as_text=True)


@pytest.mark.parametrize("fmt", formats.RDF_FORMATS, ids=lambda f: f.name)
def test_construct_in_every_rdf_format(client, fmt: formats.Format) -> None:
    response = client.post("/sparql", data={"query": CONSTRUCT}, headers={"Accept": fmt.media_type})
    assert response.status_code == 200 and response.mimetype == fmt.media_type
    got = parse_rdf(response.data, fmt.rdflib)
    reference = client.post("/sparql", data={"query": CONSTRUCT}, headers={"Accept": "text/turtle"})
    assert len(got) == 11
    assert isomorphic(got, Graph().parse(data=reference.data, format="turtle"))


def test_describe_returns_rdf(client) -> None:
    query = "DESCRIBE <https://w3id.org/thbkg/recommendation/2018-36>"
    response = client.get(
        "/sparql", query_string={"query": query}, headers={"Accept": "application/n-triples"}
    )
    assert response.status_code == 200
    graph = Graph().parse(data=response.data, format="nt")
    assert (URIRef("https://w3id.org/thbkg/recommendation/2018-36"), None, None) in graph


def test_ask_as_json_and_xml_but_not_csv(client) -> None:
    query = {"query": "ASK { ?r thb:addressedTo <https://w3id.org/thbkg/actor/police> }"}
    assert json.loads(client.get("/sparql", query_string=query).data)["boolean"] is True
    xml = client.get(
        "/sparql", query_string=query, headers={"Accept": "application/sparql-results+xml"}
    )
    assert b"<boolean>true</boolean>" in xml.data
    refused = client.get("/sparql", query_string=query, headers={"Accept": "text/csv"})
    assert refused.status_code == 406
    assert "application/sparql-results+json" in refused.get_data(as_text=True)


def test_not_acceptable_and_format_override(client) -> None:
    query = {"query": SELECT}
    assert (
        client.get("/sparql", query_string=query, headers={"Accept": "image/png"}).status_code
        == 406
    )
    tsv = client.get(
        "/sparql", query_string={**query, "format": "tsv"}, headers={"Accept": "image/png"}
    )
    assert tsv.status_code == 200 and tsv.mimetype == "text/tab-separated-values"
    # a format this query cannot take, or a name we do not know, leaves the choice to Accept
    for name in ("turtle", "nonsense"):
        fallback = client.get("/sparql", query_string={**query, "format": name})
        assert fallback.status_code == 200 and fallback.mimetype == formats.SPARQL_JSON.media_type
    construct = {"query": CONSTRUCT, "format": "json-ld"}
    assert client.get("/sparql", query_string=construct).mimetype == "application/ld+json"


def test_protocol_dataset_selects_named_graphs(client) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?r a thb:Recommendation }"
    params = {"query": query, "default-graph-uri": "https://w3id.org/thbkg/graph/ontology"}
    doc = json.loads(client.get("/sparql", query_string=params).data)
    assert doc["results"]["bindings"][0]["n"]["value"] == "0"
    params["default-graph-uri"] = "https://w3id.org/thbkg/graph/data"
    doc = json.loads(client.get("/sparql", query_string=params).data)
    assert doc["results"]["bindings"][0]["n"]["value"] == "11"


def test_named_graphs_are_queryable_with_graph(client) -> None:
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    doc = json.loads(client.get("/sparql", query_string={"query": query}).data)
    graphs = {b["g"]["value"] for b in doc["results"]["bindings"]}
    assert {"https://w3id.org/thbkg/graph/data", "https://w3id.org/thbkg/graph/ontology"} <= graphs


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"query_string": {"update": "CLEAR ALL"}}, 400, "read-only"),
        ({"query_string": {"query": "DROP ALL"}}, 400, "read-only"),
        ({"data": {"update": "INSERT DATA { <a:a> <a:b> <a:c> }"}}, 400, "read-only"),
        ({"data": "CLEAR ALL", "content_type": "application/sparql-update"}, 400, "read-only"),
        ({"query_string": {"query": "SELECT * WHERE {\n ?s ?p }"}}, 400, "line 2, column 2"),
        (
            {"query_string": {"query": "SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"}},
            400,
            "SERVICE",
        ),
        (
            {"query_string": {"query": "SELECT * FROM <http://127.0.0.1:9/> { ?s ?p ?o }"}},
            400,
            "not a graph",
        ),
        ({"query_string": "query=ASK%20%7B%7D&query=ASK%20%7B%7D"}, 400, "exactly one"),
        ({"data": "ASK {}", "content_type": "text/plain"}, 415, "application/sparql-query"),
        (
            {"data": "ASK {}", "content_type": "application/sparql-query; charset=latin-1"},
            415,
            "UTF-8",
        ),
        ({"data": b"ASK { \xff }", "content_type": "application/sparql-query"}, 415, "UTF-8"),
    ],
)
def test_client_mistakes_are_4xx_with_a_message(client, kwargs, status, message) -> None:
    method = client.post if "data" in kwargs else client.get
    response = method("/sparql", **kwargs)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    assert message in response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_post_without_a_query_is_400(client) -> None:
    empty = client.post("/sparql", data="", content_type="application/x-www-form-urlencoded")
    assert empty.status_code == 400
    assert client.post("/sparql").status_code == 415  # no body, no media type


def test_other_methods_are_refused(client) -> None:
    assert client.put("/sparql", query_string={"query": "ASK {}"}).status_code == 405
    assert client.delete("/sparql").status_code == 405


def _big_form(client, settings: Settings):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * settings.max_body
    return client.post("/sparql", data={"query": big}, headers={"Accept": BROWSER})


@pytest.mark.parametrize(
    ("send", "status", "message"),
    [
        (lambda c, s: c.put("/sparql", headers={"Accept": BROWSER}), 405, "not PUT"),
        (lambda c, s: c.delete("/sparql/", headers={"Accept": BROWSER}), 405, "not DELETE"),
        (lambda c, s: c.open("/sparql", method="PROPFIND"), 405, "not PROPFIND"),
        (lambda c, s: c.get("/sparql/query", headers={"Accept": BROWSER}), 404, "send queries to"),
        (lambda c, s: c.put("/sparql/query", headers={"Accept": BROWSER}), 404, "send queries to"),
        (_big_form, 413, "larger than"),
        (
            lambda c, s: c.post("/sparql", data="ASK {}", headers={"Accept": BROWSER}),
            415,
            "application/sparql-query",
        ),
        (
            lambda c, s: c.get(
                "/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "image/png"}
            ),
            406,
            "cannot answer Accept",
        ),
    ],
    ids=[
        "405-put",
        "405-delete-slash",
        "405-unknown-method",
        "404",
        "404-put",
        "413",
        "415",
        "406",
    ],
)
def test_every_error_on_sparql_is_plain_text_with_cors(client, settings, send, status, message):
    """Regression: a 405 (or a path below /sparql/) got the site's HTML error page, no CORS."""
    response = send(client, settings)
    assert response.status_code == status
    assert response.mimetype == "text/plain"
    assert message in response.get_data(as_text=True)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    if status == 405:
        assert {"GET", "POST"} <= set(response.allow)


def test_an_unexpected_failure_on_sparql_is_plain_text_with_cors(
    site, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(Settings(), site)  # not TESTING: the 500 is answered, not raised

    def fail(*args: object) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.extensions["thbkg.sparql"], "answer", fail)
    response = app.test_client().get(
        "/sparql", query_string={"query": "ASK {}"}, headers={"Accept": BROWSER}
    )
    assert response.status_code == 500 and response.mimetype == "text/plain"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_errors_elsewhere_keep_the_site_error_page(client) -> None:
    response = client.put("/context.jsonld", headers={"Accept": BROWSER})
    assert response.status_code == 405 and response.mimetype == "text/html"


def test_body_too_large_is_413(client, settings: Settings) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * settings.max_body
    assert client.post("/sparql", data={"query": big}).status_code == 413
    direct = client.post("/sparql", data=big, content_type="application/sparql-query")
    assert direct.status_code == 413
    assert client.get("/sparql", query_string={"query": big}).status_code == 413


@pytest.mark.parametrize(
    "params",
    [
        "query=%FF%FE",
        "query=%00",
        "query=SELECT%20*%20%7B%7D&default-graph-uri=not%20an%20iri",
        "query=SELECT%20*%20%7B%7D&named-graph-uri=%00",
        "query=SELECT%20*%20%7B%7D&format=%FF",
        "query=" + quote("SELECT * WHERE { ?s ?p ?o } LIMIT 99999999999999999999999"),
        "query=" + quote("SELECT (1/0 AS ?x) (STRDT('x', xsd:integer) + 1 AS ?y) {}"),
        "query=" + quote("SELECT * WHERE { ?s <" + "a" * 5000 + "> ?o }"),
        "query=" + quote('SELECT * WHERE { ?s ?p ?o FILTER REGEX(?o, "(") }'),
        "query=" + quote("DESCRIBE ?x WHERE { VALUES ?x { 1 } }"),
    ],
)
def test_nothing_a_client_sends_is_a_500(client, params: str) -> None:
    for accept in ("*/*", "application/sparql-results+xml;q=0.x, text/csv", "\x00", ""):
        response = client.get(f"/sparql?{params}", headers={"Accept": accept})
        assert response.status_code < 500, response.get_data(as_text=True)


def test_cors_simple_and_preflight(client) -> None:
    response = client.get(
        "/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "http://elsewhere.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "http://elsewhere.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code in (200, 204)
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"].lower()
    posted = client.post(
        "/sparql", data={"query": "ASK {}"}, headers={"Origin": "http://elsewhere.example"}
    )
    assert posted.headers["Access-Control-Allow-Origin"] == "*"


def test_service_description_for_machines(client) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.data, format="turtle")
    service = next(graph.subjects(RDF.type, SD.Service))
    assert str(service) == "http://localhost/sparql"
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    formats_ = {str(o).rsplit("/", 1)[1] for o in graph.objects(service, SD.resultFormat)}
    assert {
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
    } <= formats_
    names = {str(n) for n in graph.objects(None, SD.name)}
    assert "https://w3id.org/thbkg/graph/data" in names
    jsonld = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert isomorphic(parse_rdf(jsonld.data, "json-ld"), graph)
    assert client.get("/sparql").mimetype == "text/turtle"  # */* gets the description


def test_editor_for_browsers(client, settings: Settings) -> None:
    response = client.get("/sparql", headers={"Accept": BROWSER})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "yasgui/yasgui.min.js" in page and "yasgui/yasgui.min.css" in page
    assert "PREFIX thb: <https://w3id.org/thbkg/ontology#>" in html.unescape(page)
    stored = load_queries(settings.queries)
    assert len(stored) >= 12
    for query in stored:
        assert f'id="query-{query.name}"' in page
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
    assert all(url.startswith("http://localhost/") for url in external), external
    for asset in ("yasgui/yasgui.min.js", "yasgui/yasgui.min.css"):
        with client.get(f"/static/{asset}") as served:
            assert served.status_code == 200


@pytest.fixture(scope="module")
def slow_app(site):
    settings = Settings().with_overrides(query_timeout=1.0, max_rows=20)
    app = create_app(settings, site)
    app.config["TESTING"] = True
    return app


def test_runaway_query_is_503_while_others_are_answered(slow_app) -> None:
    app = slow_app
    outcome: dict[str, object] = {}

    def runaway() -> None:
        start = time.monotonic()
        response = app.test_client().get("/sparql", query_string={"query": RUNAWAY})
        outcome["runaway"] = (response.status_code, response.get_data(as_text=True))
        outcome["elapsed"] = time.monotonic() - start
        outcome["finished"] = time.monotonic()

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.2)
    quick = app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    answered = time.monotonic()
    thread.join(10)
    assert quick.status_code == 200
    assert answered < outcome["finished"]  # answered while the runaway query was running
    status, message = outcome["runaway"]
    assert status == 503 and "longer than 1 s" in message
    assert outcome["elapsed"] < 3


def test_a_malformed_graph_iri_is_a_400(slow_app) -> None:
    params = {"query": "SELECT * { ?s ?p ?o }", "named-graph-uri": "not an iri"}
    response = slow_app.test_client().get("/sparql", query_string=params)
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith(
        "named-graph-uri 'not an iri' is not an absolute IRI"
    )


def test_too_many_rows_is_refused_with_a_message(slow_app) -> None:
    response = slow_app.test_client().get(
        "/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"}
    )
    assert response.status_code == 413
    assert "more than 20 rows" in response.get_data(as_text=True)
