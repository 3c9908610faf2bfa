"""HTTP by the book: negotiation with media-type parameters and refusals, ``/`` for RDF
clients, generic types on /sparql, trailing slashes, robots.txt and sitemap.xml, caching
headers and compression. Each regression of issue 11 has a test here, with a real client
(rdflib, PyLD) where one applies."""

from __future__ import annotations

import gzip
import io
import json
import urllib.request
from xml.etree import ElementTree

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF
from rdflib.query import Result

from publish.namespaces import BASE, DATASET
from publish.web import crawl

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
REC = "/recommendation/2018-32"
#: For tests that change the app under the server's response cache, which may hold an answer.
PAST_THE_CACHE = {"Cache-Control": "no-cache"}
SELECT = "SELECT ?s WHERE { ?s a <https://w3id.org/thbkg/ontology#Theme> } ORDER BY ?s"
CONSTRUCT = (
    "CONSTRUCT { ?s a <https://w3id.org/thbkg/ontology#Theme> } "
    "WHERE { ?s a <https://w3id.org/thbkg/ontology#Theme> }"
)
THEMES = 4  # theme/scheme's concepts typed thb:Theme: two phenomena, two report sections


# ---------------------------------------------------------------- negotiation on resources


@pytest.mark.parametrize(
    ("accept", "mimetype", "parser"),
    [
        ("text/turtle; charset=utf-8", "text/turtle", "turtle"),
        ("text/turtle;charset=UTF-8", "text/turtle", "turtle"),
        (
            'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"',
            "application/ld+json",
            "json-ld",
        ),
        ("application/n-triples; charset=utf-8", "application/n-triples", "nt"),
        ("text/plain", "application/n-triples", "nt"),
        ("application/xml", "application/rdf+xml", "xml"),
    ],
)
def test_media_type_parameters_are_accepted(client, accept, mimetype, parser) -> None:
    # Regression: any parameter, even our own Content-Type's charset, was a 406.
    response = client.get(REC, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.mimetype == mimetype
    graph = Graph().parse(data=response.data, format=parser)
    assert (URIRef(BASE + REC[1:]), None, None) in graph


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        ("text/turtle; charset=iso-8859-1", 406),
        ('application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"', 406),
        ("text/csv; header=present", 406),
    ],
)
def test_parameters_we_cannot_serve_are_refused(client, accept, status) -> None:
    assert client.get(REC, headers={"Accept": accept}).status_code == status


def test_an_explicit_refusal_is_never_overridden(client) -> None:
    # Regression: `text/turtle;q=0, */*` got Turtle through the alias application/x-turtle.
    response = client.get(REC, headers={"Accept": "text/turtle;q=0, */*"})
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    assert "Accept" in response.vary
    refused = client.get(REC, headers={"Accept": "text/turtle;q=0, application/x-turtle"})
    assert refused.status_code == 406


def test_pyld_reads_the_profiled_json_ld(client) -> None:
    from pyld import jsonld

    profile = 'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"'
    response = client.get(REC, headers={"Accept": profile})
    expanded = jsonld.expand(json.loads(response.data))
    ids = {node["@id"] for node in expanded}
    assert BASE + REC[1:] in ids


# ---------------------------------------------------------------- the base IRI


def test_the_root_sends_rdf_clients_to_the_dataset(client) -> None:
    # Regression: `Accept: text/turtle` on / got 200 text/html without Vary.
    response = client.get("/", headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/dataset"
    assert "Accept" in response.vary
    explicit = client.get("/?format=jsonld")
    assert (explicit.status_code, explicit.headers["Location"]) == (303, "/dataset.jsonld")


@pytest.mark.parametrize("accept", [BROWSER, "*/*", None, "text/turtle;q=0, */*"])
def test_the_root_is_the_landing_page_for_everyone_else(client, accept) -> None:
    response = client.get("/", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert {"Accept", "Accept-Language"} <= set(response.vary)


def test_nothing_acceptable_at_the_root_is_406(client) -> None:
    response = client.get("/", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "Accept" in response.vary


@pytest.mark.server
def test_rdflib_loads_the_site_root(live_server: str) -> None:
    graph = Graph().parse(live_server + "/")
    assert (DATASET, RDF.type, DCAT.Dataset) in graph
    ntriples = Graph().parse(live_server + REC, format="nt")  # rdflib asks for text/plain
    assert (URIRef(BASE + REC[1:]), None, None) in ntriples


# ---------------------------------------------------------------- /sparql


@pytest.mark.parametrize(
    ("accept", "mimetype", "reader"),
    [
        (
            "application/sparql-results+json; charset=utf-8",
            "application/sparql-results+json",
            "json",
        ),
        ("text/csv; header=present", "text/csv", "csv"),
        ("application/xml", "application/sparql-results+xml", "xml"),
        ("text/xml", "application/sparql-results+xml", "xml"),
        ("text/plain", "text/tab-separated-values", "tsv"),
    ],
)
def test_sparql_select_accepts_parameters_and_generic_types(client, accept, mimetype, reader):
    # Regression: parameters were a 406, and so were application/xml, text/xml, text/plain.
    response = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": accept})
    assert response.status_code == 200, response.data
    assert response.mimetype == mimetype
    result = Result.parse(io.BytesIO(response.data), format=reader)
    assert len(list(result)) == THEMES


@pytest.mark.parametrize(
    ("accept", "mimetype", "parser"),
    [
        ("text/plain", "application/n-triples", "nt"),
        ("application/xml", "application/rdf+xml", "xml"),
        ("text/turtle; charset=utf-8", "text/turtle", "turtle"),
    ],
)
def test_sparql_construct_accepts_generic_types(client, accept, mimetype, parser) -> None:
    response = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": accept})
    assert response.status_code == 200, response.data
    assert response.mimetype == mimetype
    assert len(Graph().parse(data=response.data, format=parser)) == THEMES


def test_sparql_ask_refuses_what_cannot_carry_a_boolean(client) -> None:
    response = client.get(
        "/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "text/plain"}
    )
    assert response.status_code == 406


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(client) -> None:
    response = client.get(
        "/sparql",
        headers={"Accept": "text/turtle", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil"},
    )
    graph = Graph().parse(data=response.data, format="turtle")
    sd = URIRef("http://www.w3.org/ns/sparql-service-description#endpoint")
    assert set(graph.objects(None, sd)) == {URIRef("http://localhost/sparql")}


# ---------------------------------------------------------------- URLs crawlers use


def test_a_trailing_slash_redirects_to_the_resource(client) -> None:
    response = client.get(REC + "/?lang=fr")
    assert response.status_code == 301
    assert response.headers["Location"] == REC + "?lang=fr"


def test_robots_txt(client) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[:3] == ["User-agent: *", "Allow: /", "Disallow: /sparql?"]
    assert "Sitemap: http://localhost/sitemap.xml" in lines


def test_sitemap_lists_every_page(client, app) -> None:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [loc.text for loc in root.findall("s:url/s:loc", ns)]
    paths = app.extensions["thbkg.catalogue"].paths()
    assert len(urls) == len(set(urls)) == len(paths) + 2
    assert "http://localhost/recommendation/2018-42" in urls
    for url in urls[:12]:
        assert client.get(url.removeprefix("http://localhost")).status_code == 200, url


def test_a_sitemap_past_the_protocols_limit_is_an_index_of_parts(
    client, app, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond MAX_URLS (50,000 in the Sitemaps protocol; 10 here), /sitemap.xml is a sitemap
    index and /sitemap-N.xml list the URLs in turn, each once."""
    monkeypatch.setattr(crawl, "MAX_URLS", 10)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    # Past the server's response cache, which may hold the sitemap of the real limit.
    index = ElementTree.fromstring(client.get("/sitemap.xml", headers=PAST_THE_CACHE).data)
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [loc.text for loc in index.findall("s:sitemap/s:loc", ns)]
    total = len(app.extensions["thbkg.catalogue"].paths()) + 2
    assert len(parts) == -(-total // 10) and parts[0] == "http://localhost/sitemap-1.xml"
    urls = []
    for part in parts:
        response = client.get(part.removeprefix("http://localhost"), headers=PAST_THE_CACHE)
        assert response.status_code == 200 and response.mimetype == "application/xml"
        listed = ElementTree.fromstring(response.data).findall("s:url/s:loc", ns)
        found = [loc.text for loc in listed]
        assert 0 < len(found) <= 10
        urls += found
    assert len(urls) == len(set(urls)) == total
    for missing in ("/sitemap-0.xml", f"/sitemap-{len(parts) + 1}.xml"):
        response = client.get(missing)
        assert response.status_code == 404 and b"sitemap" in response.data


# ---------------------------------------------------------------- caching and compression


@pytest.mark.parametrize(
    "path",
    [REC, REC + ".ttl", "/dataset", "/", "/download/thbkg.ttl", "/context.jsonld", "/sitemap.xml"],
)
def test_every_representation_has_cache_control_and_etag(client, path) -> None:
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 200
    assert response.cache_control.public and response.cache_control.max_age == 3600
    etag = response.headers["ETag"]
    again = client.get(path, headers={"Accept": BROWSER, "If-None-Match": etag})
    assert again.status_code == 304


def test_query_results_have_an_etag_and_errors_are_not_stored(client) -> None:
    response = client.get("/sparql", query_string={"query": SELECT})
    assert response.headers.get("ETag") and response.cache_control.max_age == 3600
    missing = client.get("/actor/nobody")
    assert missing.status_code == 404 and missing.cache_control.no_store


def test_large_responses_are_compressed_by_accept_encoding(client) -> None:
    plain = client.get("/download/thbkg.nt", headers={"Accept-Encoding": "identity"})
    packed = client.get("/download/thbkg.nt", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.vary
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 3
    assert packed.headers["ETag"] != plain.headers["ETag"]  # one validator per encoding
    again = client.get(
        "/download/thbkg.nt",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304
    small = client.get("/robots.txt", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers


@pytest.mark.server
def test_compression_over_a_real_connection(live_server: str) -> None:
    request = urllib.request.Request(
        live_server + "/download/thbkg.ttl", headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        body = gzip.decompress(response.read())
    assert len(Graph().parse(data=body, format="turtle")) > 300


# ---------------------------------------------------------------- one home per concept


@pytest.mark.parametrize("path", ["/?lang=fr", "/recommendation/2018-32", "/actor/nobody"])
def test_the_language_is_chosen_once_per_request(client, monkeypatch, path) -> None:
    from publish.web import i18n

    calls = []
    original = i18n.choose_language
    monkeypatch.setattr(i18n, "choose_language", lambda r: calls.append(1) or original(r))
    client.get(path, headers={"Accept": BROWSER, **PAST_THE_CACHE})
    assert calls == [1]


# ---------------------------------------------------------------- inferred statements, marked

INFERRED = URIRef(BASE + "graph/inferred")
R38 = URIRef(BASE + "recommendation/2018-38")


@pytest.mark.parametrize(
    ("suffix", "parser"), [("trig", "trig"), ("nq", "nquads"), ("jsonld", "json-ld")]
)
def test_inferred_statements_are_a_named_graph_of_the_description(client, suffix, parser):
    from rdflib import Dataset
    from rdflib.namespace import PROV

    thb = "https://w3id.org/thbkg/ontology#"
    dataset = Dataset()
    dataset.parse(data=client.get(f"/recommendation/2018-38.{suffix}").data, format=parser)
    inferred = dataset.graph(INFERRED)
    # By hand: 2018/38 is addressed to the local police services of major cities ("comme
    # Bruxelles") and the local authorities of major cities; the first are part of the police.
    # So it concerns all three, and is a law-enforcement, multi-addressee, trafficking one.
    concerns = set(inferred.objects(R38, URIRef(thb + "concerns")))
    assert concerns == {
        URIRef(BASE + "actor/" + a)
        for a in (
            "police",
            "services-de-police-locaux-de-villes-importantes",
            "autorites-locales-des-grandes-villes",
        )
    }
    types = set(inferred.objects(R38, RDF.type))
    assert {URIRef(thb + "LawEnforcementRecommendation"), PROV.Entity} <= types
    asserted = Graph()
    for s, p, o, g in dataset.quads((None, None, None, None)):
        if g != INFERRED:
            asserted.add((s, p, o))
    assert (R38, URIRef(thb + "addressedTo"), URIRef(BASE + "actor/police")) not in asserted
    assert not set(asserted) & set(inferred)
    whole = Graph().parse(data=client.get("/recommendation/2018-38.nt").data, format="nt")
    union = Graph()
    for triple in (*asserted, *inferred):
        union.add(triple)
    from rdflib.compare import isomorphic

    assert isomorphic(union, whole)


def test_pyld_finds_the_inferred_graph_in_json_ld(client) -> None:
    from pyld import jsonld

    document = json.loads(client.get("/recommendation/2018-38.jsonld").data)
    graphs = [n for n in document["@graph"] if "@graph" in n]
    assert [n["id"] for n in graphs] == [str(INFERRED)]
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads"})
    police = (
        f"<{R38}> <https://w3id.org/thbkg/ontology#concerns> <{BASE}actor/police> <{INFERRED}> ."
    )
    assert police in nquads.splitlines()


def test_the_page_marks_inferred_values(client) -> None:
    html = client.get("/recommendation/2018-38?lang=en", headers={"Accept": BROWSER}).get_data(
        as_text=True
    )
    marked = html.count('<dd class="inferred">')
    assert marked >= 3 and "inferred by the reasoner" in html
    assert '<dd class="inferred"><a href="/actor/police?lang=en">Police</a>' in html
    assert 'class="inferred"><a href="/actor/autorites-locales-des-grandes-villes?lang=en"' in html
    # the same actor in a statement of the source (the qualified addressing) is not marked
    assert '<dd><a href="/actor/services-de-police-locaux-de-villes-importantes?lang=en">' in html


def test_one_response_policy_for_errors_and_cors(app, client) -> None:
    # Errors and CORS are registered once, on the app; no blueprint keeps its own.
    handlers = {bp for bp, codes in app.error_handler_spec.items() if any(codes.values())}
    assert handlers == {None}
    after = {
        bp
        for bp, funcs in app.after_request_funcs.items()
        if any(f.__name__ == "open_to_scripts" for f in funcs)
    }
    assert after == {None}
    for path in ("/", "/robots.txt", REC, "/sparql", "/actor/nobody"):
        response = client.get(path)
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
    # The endpoint says its errors in plain text even to a browser; the site negotiates.
    query = client.get("/sparql", query_string={"query": "SELEC"}, headers={"Accept": BROWSER})
    assert query.status_code == 400 and query.mimetype == "text/plain"
    page = client.get("/actor/nobody", headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.mimetype == "text/html"
