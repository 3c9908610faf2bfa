"""Downloads of the whole graph, and JSON-LD checked with a real JSON-LD processor (PyLD)."""

from __future__ import annotations

import json

import pytest
from pyld import jsonld
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from publish.describe import DOWNLOAD_FORMATS, download_path
from publish.formats import JSONLD, NTRIPLES, RDFXML, TRIG, TURTLE
from publish.namespaces import BASE, DATA_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH

from .conftest import parse_rdf, union_graph

LOCAL = "http://localhost/"
REC = "recommendation/2018-33"


@pytest.mark.parametrize("fmt", [TURTLE, NTRIPLES, RDFXML, JSONLD], ids=lambda f: f.name)
def test_download_is_the_whole_graph(client, knowledge, fmt) -> None:
    response = client.get("/" + download_path(fmt))
    assert response.status_code == 200
    assert response.mimetype == fmt.media_type
    name = download_path(fmt).rsplit("/", 1)[1]
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response.headers["ETag"]
    assert isomorphic(parse_rdf(response.data, fmt.rdflib), union_graph(knowledge))


def test_trig_download_keeps_the_named_graphs(client, knowledge) -> None:
    response = client.get("/" + download_path(TRIG))
    assert response.status_code == 200 and response.mimetype == TRIG.media_type
    dataset = Dataset()
    dataset.parse(data=response.data, format="trig")
    for name in (DATA_GRAPH, ONTOLOGY_GRAPH, INFERRED_GRAPH):
        assert isomorphic(dataset.graph(name), knowledge.graph(name)), name
    assert len(knowledge.graph(INFERRED_GRAPH)) > 0


def test_every_download_format_is_published_and_described(client) -> None:
    description = parse_rdf(client.get("/dataset.ttl").data, "turtle")
    urls = {
        str(o) for o in description.objects(None, URIRef("http://www.w3.org/ns/dcat#downloadURL"))
    }
    for fmt in DOWNLOAD_FORMATS:
        assert BASE + download_path(fmt) in urls
        assert client.head("/" + download_path(fmt)).status_code == 200


def test_download_304(client) -> None:
    first = client.get("/" + download_path(TURTLE))
    again = client.get(
        "/" + download_path(TURTLE), headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


# ---------------------------------------------------------------- JSON-LD and its context


@pytest.fixture()
def loader(client):
    """A PyLD document loader that fetches our URLs through the test client, and nothing else."""

    def load(url: str, options: dict | None = None) -> dict:
        for base in (LOCAL, BASE):
            if url.startswith(base):
                response = client.get("/" + url[len(base) :], headers={"Accept": JSONLD.media_type})
                assert response.status_code == 200, url
                return {
                    "contextUrl": None,
                    "documentUrl": url,
                    "document": response.get_json(force=True),
                }
        raise AssertionError(f"the JSON-LD processor tried to fetch {url}")

    return load


def pyld_triples(document: dict, loader) -> Graph:
    """Every statement PyLD reads in ``document``, whichever graph holds it (a description keeps
    its inferred statements in the named graph ``graph/inferred``)."""
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": loader})
    return parse_rdf(nquads, "nquads")


def test_context_is_published(client) -> None:
    response = client.get("/context.jsonld")
    assert response.status_code == 200 and response.mimetype == JSONLD.media_type
    context = response.get_json(force=True)["@context"]
    for term in ("identifier", "text", "addressedTo", "theme", "label", "prefLabel", "year"):
        assert term in context
    assert (
        client.get(
            "/context.jsonld", headers={"If-None-Match": response.headers["ETag"]}
        ).status_code
        == 304
    )


def test_a_recommendation_reads_as_plain_json(client, knowledge) -> None:
    document = client.get(f"/{REC}.jsonld").get_json(force=True)
    node = next(n for n in document["@graph"] if n.get("id") == BASE + REC)
    types = node["type"] if isinstance(node["type"], list) else [node["type"]]
    assert "Recommendation" in types  # with the classes the reasoner adds
    assert node["identifier"] == "2018/33"
    assert node["year"] == "2018"
    assert node["text"].startswith("Améliorer la prise en charge")
    assert node["label"] == {"fr": "Recommandation 2018/33", "en": "Recommendation 2018/33"}
    addressed = (
        node["addressedTo"] if isinstance(node["addressedTo"], list) else [node["addressedTo"]]
    )
    assert BASE + "actor/cellule-interdepartementale-de-coordination" in addressed
    assert node["qualifiedAddressing"]["qualifier"] == "niveau politique"  # nested, no blank id
    assert node["isPartOf"] == BASE + "report/mineurs-en-danger-majeur"


def test_pyld_expands_our_jsonld_to_the_same_triples_as_the_turtle(client, loader) -> None:
    turtle = parse_rdf(client.get(f"/{REC}.ttl").data, "turtle")
    document = client.get(f"/{REC}.jsonld").get_json(force=True)
    assert isomorphic(pyld_triples(document, loader), turtle)
    # The same document pointing at the published context instead of carrying it.
    document["@context"] = LOCAL + "context.jsonld"
    expanded = jsonld.expand(document, {"documentLoader": loader})
    assert expanded and all("@id" in n or "@type" in n for n in expanded)
    assert isomorphic(pyld_triples(document, loader), turtle)


def test_pyld_expands_the_whole_jsonld_download(client, loader) -> None:
    turtle = parse_rdf(client.get("/" + download_path(TURTLE)).data, "turtle")
    document = client.get("/" + download_path(JSONLD)).get_json(force=True)
    document["@context"] = LOCAL + "context.jsonld"
    assert isomorphic(pyld_triples(document, loader), turtle)


@pytest.mark.parametrize("path", ["dataset", "ontology", "shapes", "actor/police", "theme/scheme"])
def test_pyld_agrees_on_other_resources(client, loader, path) -> None:
    turtle = parse_rdf(client.get(f"/{path}.ttl").data, "turtle")
    document = json.loads(client.get(f"/{path}.jsonld").data)
    assert isomorphic(pyld_triples(document, loader), turtle)
