"""Dereferencing over HTTP (Flask test client): formats, negotiation, caching headers, errors."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.compare import graph_diff, isomorphic
from rdflib.namespace import RDFS

from publish.catalogue import Catalogue
from publish.config import Settings
from publish.formats import HTML, JSONLD, NTRIPLES, RDF_FORMATS, RDFXML, TURTLE
from publish.graph import load_graph
from publish.namespaces import BASE, THB

from .conftest import DATA, built_site, parse_rdf, shipped_site

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
REC = "recommendation/2018-33"


def _catalogue(app) -> Catalogue:
    return app.extensions["thbkg.catalogue"]


def parse(body: bytes, fmt) -> Graph:
    """Parse a response body as a client would."""
    return parse_rdf(body, fmt.rdflib)


def all_paths() -> list[str]:
    """Every resource path, computed from the shipped data (parametrisation happens early)."""
    site = shipped_site()
    shapes = load_graph([Settings().shapes])
    return Catalogue(site.store, site.stats, shapes, site.version).paths()


PATHS = all_paths()


def test_every_kind_of_resource_is_published() -> None:
    prefixes = {p.split("/")[0] for p in PATHS}
    for expected in ("recommendation", "actor", "theme", "level", "report", "dataset", "graph"):
        assert expected in prefixes
    for path in ("theme/scheme", "ontology", "shapes", "graph/data", "graph/inferred"):
        assert path in PATHS


@pytest.mark.parametrize("path", PATHS)
def test_every_resource_in_every_format_gives_the_same_triples(
    app, client, knowledge, path
) -> None:
    # Compared with each other and with what the data says, not with Catalogue.graph_of (the
    # implementation compared with itself proved nothing).
    reference = parse(client.get(f"/{path}.ttl").data, TURTLE)
    assert len(reference) > 0 or path == "graph/inferred"
    iri = _catalogue(app).iri(path)
    if not path.startswith(("graph/", "dataset", "ontology", "shapes")):
        stated = set(knowledge.dataset.triples((iri, None, None)))  # as rdflib reads the files
        assert {t for t in stated if not isinstance(t[2], BNode)} <= set(reference)
    for fmt in RDF_FORMATS:
        by_suffix = client.get(f"/{path}.{fmt.suffix}")
        assert by_suffix.status_code == 200, (path, fmt.name)
        assert by_suffix.mimetype == fmt.media_type
        assert isomorphic(parse(by_suffix.data, fmt), reference), (path, fmt.name)
        by_accept = client.get(f"/{path}", headers={"Accept": fmt.media_type})
        assert by_accept.mimetype == fmt.media_type
        assert isomorphic(parse(by_accept.data, fmt), reference), (path, fmt.name)
    page = client.get(f"/{path}", headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.mimetype == HTML.media_type


@pytest.fixture(scope="module")
def small_client(settings, tmp_path_factory):
    """The app over the smallest conforming graph (tests/data/valid/minimal.ttl)."""
    from publish.web import create_app

    small = settings.with_overrides(data=(DATA / "valid" / "minimal.ttl",), inferred=())
    return create_app(small, built_site(small, tmp_path_factory.mktemp("small"))).test_client()


def test_description_is_cbd_plus_labels_of_linked_resources(small_client) -> None:
    expected = Graph().parse(DATA / "expected" / "minimal-recommendation-2018-33.ttl")
    for fmt in RDF_FORMATS:
        served = parse(small_client.get(f"/{REC}.{fmt.suffix}").data, fmt)
        assert isomorphic(served, expected), (fmt.name, sorted(graph_diff(served, expected)[1]))


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, TURTLE),
        ("", TURTLE),
        ("*/*", TURTLE),
        (BROWSER, HTML),
        ("text/html", HTML),
        ("application/xhtml+xml", HTML),
        ("text/turtle", TURTLE),
        ("application/ld+json", JSONLD),
        ("application/json", JSONLD),
        ("application/n-triples", NTRIPLES),
        ("application/rdf+xml", RDFXML),
        ("text/turtle;q=0.5, application/rdf+xml", RDFXML),
        ("text/html;q=0.1, application/n-triples;q=0.9", NTRIPLES),
        ("text/*", TURTLE),
        ("application/rdf+xml;q=0, */*;q=0.1", TURTLE),
    ],
)
def test_content_negotiation(client, accept, expected) -> None:
    headers = {} if accept is None else {"Accept": accept}
    response = client.get(f"/{REC}", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == expected.media_type
    assert "Accept" in response.vary
    assert response.headers["Content-Location"] == f"/{REC}.{expected.suffix}"


def test_format_parameter_overrides_accept(client) -> None:
    for value in ("jsonld", "application/ld+json", "JSONLD"):
        response = client.get(
            f"/{REC}", query_string={"format": value}, headers={"Accept": "text/html"}
        )
        assert response.mimetype == JSONLD.media_type
    assert client.get(f"/{REC}?format=ttl").mimetype == TURTLE.media_type
    assert client.get(f"/{REC}.ttl?format=html").mimetype == HTML.media_type


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("json", JSONLD),
        ("xml", RDFXML),
        ("ttl", TURTLE),
        ("turtle", TURTLE),
        ("jsonld", JSONLD),
        ("nt", NTRIPLES),
        ("rdf", RDFXML),
        ("html", HTML),
        ("application/rdf+xml", RDFXML),
    ],
)
def test_format_parameter_names_the_resource_formats(client, value, expected) -> None:
    # Regression: json and xml were read as SPARQL results formats, and answered 406.
    response = client.get(f"/{REC}", query_string={"format": value})
    assert response.status_code == 200, value
    assert response.mimetype == expected.media_type


def test_suffix_beats_accept(client) -> None:
    response = client.get(f"/{REC}.nt", headers={"Accept": "text/html"})
    assert response.mimetype == NTRIPLES.media_type
    assert "Content-Location" not in response.headers


def test_link_headers_name_every_representation(client) -> None:
    response = client.get(f"/{REC}")
    links = response.headers["Link"]
    assert f'<{BASE}{REC}>; rel="canonical"' in links
    for fmt in (*RDF_FORMATS, HTML):
        assert f'</{REC}.{fmt.suffix}>; rel="alternate"; type="{fmt.media_type}"' in links


def test_html_varies_on_language_too(client) -> None:
    response = client.get(f"/{REC}", headers={"Accept": "text/html"})
    assert {"Accept", "Accept-Language"} <= set(response.vary)


def test_head_has_the_headers_and_no_body(client) -> None:
    get = client.get(f"/{REC}.ttl")
    head = client.head(f"/{REC}.ttl")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert int(head.headers["Content-Length"]) == len(get.data)


def test_etag_and_304(client) -> None:
    first = client.get(f"/{REC}.ttl")
    etag = first.headers["ETag"]
    again = client.get(f"/{REC}.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    other = client.get(f"/{REC}.ttl", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.data == first.data
    assert client.get(f"/{REC}.nt").headers["ETag"] != etag  # one tag per representation
    page = client.get(f"/{REC}", headers={"Accept": "text/html"})
    cached = client.get(
        f"/{REC}", headers={"Accept": "text/html", "If-None-Match": page.headers["ETag"]}
    )
    assert cached.status_code == 304


def test_documents_serve_their_whole_graph(app, client, knowledge) -> None:
    cat = _catalogue(app)
    ontology = parse(client.get("/ontology.ttl").data, TURTLE)
    assert isomorphic(ontology, cat.ontology)
    assert isomorphic(parse(client.get("/ontology/0.1.0.ttl").data, TURTLE), cat.ontology)
    shapes = parse(client.get("/shapes", headers={"Accept": "text/turtle"}).data, TURTLE)
    assert isomorphic(shapes, cat.shapes)
    from publish.namespaces import DATA_GRAPH

    data = parse(client.get("/graph/data.nt").data, NTRIPLES)
    assert isomorphic(data, knowledge.graph(DATA_GRAPH))
    # The ontology's terms (ontology#Recommendation) have labels there.
    assert (THB.Recommendation, RDFS.label, None) in ontology


def test_well_known_void_is_the_dataset_description(client) -> None:
    void = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    dataset = client.get("/dataset.ttl")
    assert void.status_code == 200
    assert isomorphic(parse(void.data, TURTLE), parse(dataset.data, TURTLE))
    assert void.headers["Content-Location"] == "/dataset.ttl"
    page = client.get("/.well-known/void", headers={"Accept": BROWSER})
    assert page.mimetype == HTML.media_type


def test_the_same_iri_whatever_the_host(client) -> None:
    here = client.get(f"/{REC}.ttl", base_url="http://localhost:8080")
    there = client.get(f"/{REC}.ttl", base_url="https://example.org")
    assert here.data == there.data
    assert URIRef(BASE + REC) in set(parse(here.data, TURTLE).subjects())


def test_resources_are_open_to_scripts_on_other_sites(client) -> None:
    for path in (f"/{REC}", "/download/thbkg.ttl", "/context.jsonld", "/.well-known/void"):
        response = client.get(path)
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        assert "Link" in response.headers["Access-Control-Expose-Headers"]


def test_landing_page_points_to_the_dataset_description(client) -> None:
    response = client.get("/", headers={"Accept": "text/html"})
    assert '</dataset>; rel="describedby"' in response.headers["Link"]


def test_context_and_landing_lists_are_computed_once(app, client) -> None:
    cat = _catalogue(app)
    first = client.get("/context.jsonld")
    assert first.status_code == 200 and first.mimetype == JSONLD.media_type
    assert first.get_data(as_text=True) == cat.context_document
    again = client.get("/context.jsonld", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert cat.theme_tree is cat.theme_tree and cat.counts is cat.counts
    assert cat.actors_by_label("en") is cat.actors_by_label("en")
    page = client.get("/", headers={"Accept": "text/html"})
    cached = client.get("/", headers={"Accept": "text/html", "If-None-Match": page.headers["ETag"]})
    assert cached.status_code == 304
