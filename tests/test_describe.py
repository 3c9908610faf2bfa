"""The dataset description: our shapes, the official DCAT-AP 3.0.1 shapes, and VoID figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SH, VOID, XSD

from publish.catalogue import Catalogue
from publish.config import ROOT
from publish.describe import (
    DOWNLOAD_FORMATS,
    PUBLISHER,
    SPARQL_ENDPOINT,
    describe_dataset,
    download_path,
)
from publish.formats import CSV
from publish.graph import KnowledgeGraph, load_graph
from publish.namespaces import (
    BASE,
    DATA_GRAPH,
    DATASET,
    EU_COUNTRY,
    EU_LANGUAGE,
    SPDX,
    THB,
    resource,
)
from publish.portal import CATALOGUE

from .conftest import built_site, union_graph

DCAT_AP = ROOT.parent / "shared" / "dcat-ap"
# Property shapes that the official 3.0.1 files reference but never define (checked below, so a
# new release that fixes or changes them shows up here). pySHACL refuses such dangling
# references, so they are dropped in memory; the files stay unchanged.
KNOWN_DANGLING = 5


@pytest.fixture(scope="module")
def description(site) -> Graph:
    return describe_dataset(site.stats)


@pytest.fixture(scope="module")
def dcat_ap_shapes() -> Graph:
    files = [DCAT_AP / "dcat-ap-SHACL.ttl", DCAT_AP / "ranges.ttl"]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        pytest.fail(
            f"the DCAT-AP 3.0.1 SHACL shapes are missing: {', '.join(missing)}; CI puts the "
            "shared/ directory beside the checkout (../shared/dcat-ap)"
        )
    shapes = load_graph(files)
    dangling = [
        (shape, prop)
        for shape, prop in shapes.subject_objects(SH.property)
        if (prop, None, None) not in shapes
    ]
    assert len(dangling) == KNOWN_DANGLING, dangling
    for shape, prop in dangling:
        shapes.remove((shape, SH.property, prop))
    return shapes


def _conforms(data: Graph, shapes: Graph) -> tuple[bool, str]:
    conforms, _, text = validate(
        data, shacl_graph=shapes, inference="none", advanced=True, do_owl_imports=False
    )
    return bool(conforms), text


def test_description_conforms_to_dcat_ap(description: Graph, dcat_ap_shapes: Graph) -> None:
    conforms, text = _conforms(description, dcat_ap_shapes)
    assert conforms, text


# Recommended properties we leave out, each for a reason: who publishes thbkg is not an agent
# type of the ADMS list we could state truthfully, and Belgium's geometry is the EU country
# table's to give, not ours to guess.
KNOWN_GAPS = {
    (PUBLISHER, DCTERMS.type),
    (EU_COUNTRY.BEL, DCAT.bbox),
    (EU_COUNTRY.BEL, DCAT.centroid),
}


def _warnings(data: Graph) -> set[tuple[object, object]]:
    shapes = load_graph([ROOT / "tests" / "data" / "dcat-ap-3.0.1-recommended.ttl"])
    _, report, _ = validate(data, shacl_graph=shapes, inference="none", do_owl_imports=False)
    return {
        (report.value(r, SH.focusNode), report.value(r, SH.resultPath))
        for r in report.subjects(RDF.type, SH.ValidationResult)
    }


def test_description_has_dcat_ap_recommended_properties(description: Graph) -> None:
    assert _warnings(description) == KNOWN_GAPS


@pytest.mark.parametrize(
    ("subject", "prop"),
    [
        (DATASET, DCAT.contactPoint),
        (DATASET, DCTERMS.temporal),
        (DATASET, DCAT.theme),
        (CATALOGUE, DCTERMS.modified),
        (SPARQL_ENDPOINT, DCAT.servesDataset),
    ],
)
def test_recommended_checks_catch_a_missing_property(
    description: Graph, subject: URIRef, prop: URIRef
) -> None:
    broken = Graph() + description
    broken.remove((subject, prop, None))
    assert _warnings(broken) == KNOWN_GAPS | {(subject, prop)}


def test_portal_fields_are_worked_out_from_the_data(description: Graph, client) -> None:
    value = description.value
    period = value(DATASET, DCTERMS.temporal)
    assert (str(value(period, DCAT.startDate)), str(value(period, DCAT.endDate))) == (
        "2018-01-01",
        "2018-12-31",
    )
    languages = set(description.objects(DATASET, DCTERMS.language))
    assert languages == {EU_LANGUAGE.FRA, EU_LANGUAGE.ENG, EU_LANGUAGE.NLD}
    assert value(DATASET, DCTERMS.spatial) == EU_COUNTRY.BEL
    catalogue = set(description.subjects(RDF.type, DCAT.Catalog))
    assert catalogue == {CATALOGUE}
    assert value(CATALOGUE, DCAT.dataset) == DATASET
    assert value(CATALOGUE, DCAT.service) == SPARQL_ENDPOINT


def test_checksums_are_those_of_the_served_downloads(app, client) -> None:
    import hashlib

    description = app.extensions["thbkg.catalogue"].description
    for fmt in DOWNLOAD_FORMATS:
        dist = URIRef(f"{DATASET}#distribution-{fmt.name}")
        body = client.get("/" + download_path(fmt), headers={"Accept-Encoding": "identity"}).data
        checksum = description.value(dist, SPDX.checksum)
        assert description.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert (
            str(description.value(checksum, SPDX.checksumValue)) == hashlib.sha256(body).hexdigest()
        )
        assert int(description.value(dist, DCAT.byteSize)) == len(body)


def test_dutch_labels_exist_so_dutch_is_a_language(knowledge: KnowledgeGraph) -> None:
    union = union_graph(knowledge)
    assert any(getattr(o, "language", None) == "nl" for o in union.objects())


def test_belgium_is_in_the_country_table() -> None:
    pycountry = pytest.importorskip("pycountry")
    assert pycountry.countries.get(alpha_3="BEL").name == "Belgium"


def test_description_conforms_to_our_shapes(description: Graph, settings) -> None:
    conforms, text = _conforms(description, load_graph([settings.shapes]))
    assert conforms, text


@pytest.mark.parametrize("prop", [DCTERMS.license, DCAT.distribution, VOID.sparqlEndpoint])
def test_our_shapes_catch_a_description_without(description: Graph, settings, prop) -> None:
    broken = Graph() + description
    broken.remove((DATASET, prop, None))
    conforms, text = _conforms(broken, load_graph([settings.shapes]))
    assert not conforms
    assert str(prop).rsplit("/", 1)[-1].split("#")[-1] in text


def test_dcat_ap_catches_a_distribution_without_access_url(
    description: Graph, dcat_ap_shapes: Graph
) -> None:
    broken = Graph() + description
    broken.remove((None, DCAT.accessURL, None))
    conforms, text = _conforms(broken, dcat_ap_shapes)
    assert not conforms
    assert "accessURL" in text


def test_void_figures_are_computed_from_the_graph(
    knowledge: KnowledgeGraph, description: Graph
) -> None:
    union = union_graph(knowledge)
    value = description.value
    assert value(DATASET, VOID.triples) == Literal(len(union), datatype=XSD.integer)
    recommendations = set(union.subjects(RDF.type, THB.Recommendation))
    partitions = {
        value(p, VOID["class"]): int(value(p, VOID.entities))
        for p in description.objects(DATASET, VOID.classPartition)
    }
    assert partitions[THB.Recommendation] == len(recommendations) > 0
    property_triples = sum(
        int(value(p, VOID.triples)) for p in description.objects(DATASET, VOID.propertyPartition)
    )
    assert property_triples == len(union)
    subsets = {s: int(value(s, VOID.triples)) for s in description.objects(DATASET, VOID.subset)}
    assert subsets[DATA_GRAPH] == len(knowledge.graph(DATA_GRAPH))
    entities = {s for s in union.subjects() if str(s).startswith(BASE)}
    assert int(value(DATASET, VOID.entities)) == len(entities)


def test_void_links(knowledge: KnowledgeGraph, description: Graph) -> None:
    union = union_graph(knowledge)
    assert description.value(DATASET, VOID.sparqlEndpoint) == SPARQL_ENDPOINT
    assert str(description.value(DATASET, VOID.uriSpace)) == BASE
    examples = list(description.objects(DATASET, VOID.exampleResource))
    assert examples and all((e, None, None) in union for e in examples)


def test_a_distribution_per_download_format(description: Graph) -> None:
    found = {}
    for dist in description.objects(DATASET, DCAT.distribution):
        found[description.value(dist, DCAT.mediaType)] = description.value(dist, DCAT.downloadURL)
    expected = {URIRef(fmt.iana): resource(download_path(fmt)) for fmt in DOWNLOAD_FORMATS}
    expected[URIRef(CSV.iana)] = resource("download/thbkg.csv")  # the table, with CSVW metadata
    assert found == expected


def test_statistics_of_an_other_graph(tmp_path: Path, settings) -> None:
    minimal = ROOT / "tests" / "data" / "valid" / "minimal.ttl"
    stats = built_site(settings.with_overrides(data=(minimal,), inferred=()), tmp_path).stats
    assert stats.graphs[DATA_GRAPH] == len(load_graph([minimal]))
    assert stats.classes[THB.Recommendation] == 1


def test_the_description_is_built_once_at_load(app, client, monkeypatch) -> None:
    """Requests read the description the app built at start-up; none rebuilds it."""
    import publish.catalogue
    import publish.describe

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the dataset description was rebuilt during a request")

    monkeypatch.setattr(publish.describe, "describe_dataset", refuse)
    monkeypatch.setattr(publish.catalogue, "describe_dataset", refuse)
    monkeypatch.setattr(publish.describe, "statistics", refuse)
    catalogue: Catalogue = app.extensions["thbkg.catalogue"]
    for path in ("/dataset", "/dataset.ttl", "/.well-known/void", "/"):
        assert client.get(path).status_code == 200
    assert catalogue.description is app.extensions["thbkg.catalogue"].description
