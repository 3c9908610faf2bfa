"""Metadata for people, portals and search engines: the ontology's header and page, and the
links and schema.org markup in every HTML page."""

from __future__ import annotations

import json
from html import escape as html_escape
from html.parser import HTMLParser

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DC, DCTERMS, OWL, SKOS, XSD

from publish.describe import DOWNLOAD_FORMATS, PUBLISHER, download_path
from publish.namespaces import BASE, ONTOLOGY, THB, resource

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SCHEMA = "https://schema.org/"


class Head(HTMLParser):
    """The ``<link>`` elements and JSON-LD data blocks of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str]] = []
        self.jsonld: list[str] = []
        self._in_jsonld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "link":
            self.links.append(found)
        self._in_jsonld = tag == "script" and found.get("type") == "application/ld+json"

    def handle_endtag(self, tag: str) -> None:
        self._in_jsonld = False

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld.append(data)


def head(client, path: str) -> Head:
    response = client.get(path, headers={"Accept": BROWSER})
    assert response.status_code == 200, path
    parser = Head()
    parser.feed(response.get_data(as_text=True))
    return parser


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/", BASE),
        ("/recommendation/2018-32", BASE + "recommendation/2018-32"),
        ("/actor/police", BASE + "actor/police"),
        ("/ontology", BASE + "ontology"),
        ("/dataset", BASE + "dataset"),
    ],
)
def test_pages_link_their_canonical_iri_and_their_data(client, path: str, canonical: str) -> None:
    links = head(client, path).links
    assert [x["href"] for x in links if x.get("rel") == "canonical"] == [canonical]
    data = "/dataset" if path == "/" else path
    alternates = {x["type"]: x["href"] for x in links if x.get("rel") == "alternate"}
    assert alternates == {
        "text/turtle": f"{data}.ttl",
        "application/ld+json": f"{data}.jsonld",
        "application/n-triples": f"{data}.nt",
        "application/rdf+xml": f"{data}.rdf",
    }
    for url in alternates.values():
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("path", ["/", "/dataset", "/dataset?lang=fr"])
def test_schema_org_dataset_markup_reads_with_pyld(client, path: str) -> None:
    from pyld import jsonld

    blocks = head(client, path).jsonld
    assert len(blocks) == 1
    expanded = jsonld.expand(json.loads(blocks[0]))  # an inline context: nothing is fetched
    assert len(expanded) == 1
    node = expanded[0]
    assert node["@id"] == BASE + "dataset"
    assert node["@type"] == [SCHEMA + "Dataset"]
    assert node[SCHEMA + "license"][0]["@value"] == "https://creativecommons.org/licenses/by/4.0/"
    assert node[SCHEMA + "temporalCoverage"][0]["@value"] == "2018-01-01/2018-12-31"
    assert sorted(x["@value"] for x in node[SCHEMA + "inLanguage"]) == ["en", "fr", "nl"]
    urls = {
        d[SCHEMA + "contentUrl"][0]["@value"]: d[SCHEMA + "encodingFormat"][0]["@value"]
        for d in node[SCHEMA + "distribution"]
    }
    from publish.formats import CSV

    tables = (*DOWNLOAD_FORMATS, CSV)  # the whole graph, and the table of recommendations
    assert urls == {str(resource(download_path(f))): f.media_type for f in tables}
    name = node[SCHEMA + "name"][0]["@value"]
    assert name.startswith("Recommandations de Myria" if "fr" in path else "Myria's")


def test_resource_pages_carry_no_dataset_markup(client) -> None:
    assert head(client, "/recommendation/2018-32").jsonld == []


@pytest.fixture(scope="module")
def ontology(knowledge) -> Graph:
    from publish.namespaces import ONTOLOGY_GRAPH

    return knowledge.graph(ONTOLOGY_GRAPH)


def test_the_ontology_names_creator_and_publisher_as_resources(ontology: Graph) -> None:
    assert ontology.value(ONTOLOGY, DCTERMS.creator) == PUBLISHER
    assert ontology.value(ONTOLOGY, DC.publisher) == PUBLISHER
    assert ontology.value(ONTOLOGY, DCTERMS.modified) == Literal("2026-11-28", datatype=XSD.date)
    assert ontology.value(ONTOLOGY, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    citations = {
        c.language: str(c) for c in ontology.objects(ONTOLOGY, DCTERMS.bibliographicCitation)
    }
    version = ontology.value(ONTOLOGY, OWL.versionIRI)
    assert set(citations) == {"fr", "en"} and all(str(version) in c for c in citations.values())
    assert ontology.value(ONTOLOGY, DCTERMS.hasVersion) == version
    assert ontology.value(version, SKOS.changeNote) is not None


def test_the_creator_dereferences(client) -> None:
    response = client.get("/dataset.ttl")
    graph = Graph().parse(data=response.data, format="turtle")
    assert (PUBLISHER, None, None) in graph


# Worked out by hand from ontology/thbkg.ttl's owl:equivalentClass axioms.
DEFINITIONS = {
    "MultiAddresseeRecommendation": "thb:Recommendation and (thb:addressedTo min 2 thb:Actor)",
    "LawEnforcementRecommendation": (
        f"thb:Recommendation and (thb:concerns value <{BASE}actor/police>)"
    ),
    "JudiciaryRecommendation": (
        f"thb:Recommendation and (thb:concerns value <{BASE}actor/magistrature>)"
    ),
    "FederalLevelRecommendation": (
        f"thb:Recommendation and (thb:addressedTo some (thb:level value <{BASE}level/federal>))"
    ),
}


def test_the_ontology_page_shows_definitions_and_disjointness(client) -> None:
    html = client.get("/ontology", headers={"Accept": BROWSER}).get_data(as_text=True)
    for name, definition in DEFINITIONS.items():
        section = html.split(f'id="{name}"', 1)[1].split("</article>", 1)[0]
        assert "Defined as" in section
        assert html_escape(definition) in section, (name, section)
    section = html.split('id="Recommendation"', 1)[1].split("</article>", 1)[0]
    assert "Disjoint with" in section
    for other in ("Theme", "Actor", "Report", "Addressing"):
        assert f'href="/ontology#{other}"' in section or f"#{other}" in section, other
    assert "Cite as" in html and "Version history" in html


def test_manchester_rendering_of_each_defined_class(ontology: Graph) -> None:
    from publish.web.docs import disjoint, manchester

    for name, definition in DEFINITIONS.items():
        (expression,) = ontology.objects(THB[name], OWL.equivalentClass)
        assert manchester(ontology, expression) == definition
    assert disjoint(ontology, THB.Theme) == sorted(
        [THB.Recommendation, THB.Actor, THB.Report, THB.Addressing, THB.Annotation]
    )
