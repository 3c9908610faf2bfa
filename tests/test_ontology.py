"""The ontology declares every term of the contract, bilingually, and stays within OWL 2 DL's
typing rules; slugs are derived from French names."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from publish.config import ROOT
from publish.ingest import slugify
from publish.namespaces import BASE, ONTOLOGY, THB

CLASSES = ["Recommendation", "Theme", "Actor", "Report", "Addressing"]
PROPERTIES = [
    "year",
    "sequence",
    "text",
    "translation",
    "theme",
    "addressedTo",
    "qualifiedAddressing",
    "actor",
    "qualifier",
    "addresseeText",
    "mentions",
    "headingText",
    "level",
    "concerns",
    "legalDefinition",
]
VANN = "http://purl.org/vocab/vann/"


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "thbkg.ttl")


@pytest.mark.parametrize("name", CLASSES + PROPERTIES)
def test_term_is_declared_with_labels_and_comments_in_both_languages(
    ontology: Graph, name: str
) -> None:
    term = THB[name]
    kinds = set(ontology.objects(term, RDF.type))
    expected = OWL.Class if name in CLASSES else {OWL.ObjectProperty, OWL.DatatypeProperty}
    assert kinds & ({expected} if name in CLASSES else expected), f"{name} is not declared"
    for prop in (RDFS.label, RDFS.comment):
        languages = {o.language for o in ontology.objects(term, prop)}
        assert {"fr", "en"} <= languages, f"{name} lacks an {prop} in French or English"
    assert (term, RDFS.isDefinedBy, ONTOLOGY) in ontology


def test_alignments_to_standard_vocabularies(ontology: Graph) -> None:
    assert (THB.Theme, RDFS.subClassOf, SKOS.Concept) in ontology
    assert (THB.Actor, RDFS.subClassOf, URIRef("http://xmlns.com/foaf/0.1/Agent")) in ontology
    assert (THB.theme, RDFS.subPropertyOf, DCTERMS.subject) in ontology
    assert (THB.addressedTo, RDFS.subPropertyOf, THB.concerns) in ontology


def test_ontology_metadata(ontology: Graph) -> None:
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in ontology
    for prop in (OWL.versionIRI, DCTERMS.license, DCTERMS.creator, DCTERMS.title):
        assert ontology.value(ONTOLOGY, prop) is not None, prop
    assert ontology.value(ONTOLOGY, URIRef(VANN + "preferredNamespacePrefix")) == Literal("thb")


def test_owl2_dl_typing(ontology: Graph) -> None:
    """OWL 2 DL needs every property typed once, as object, datatype or annotation property,
    and every class used in an axiom declared."""
    kinds = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    used = {p for _, p, _ in ontology if p not in (RDF.type, RDF.first, RDF.rest)}
    used -= {
        RDFS.label,
        RDFS.comment,
        RDFS.subClassOf,
        RDFS.subPropertyOf,
        RDFS.domain,
        RDFS.range,
        RDFS.isDefinedBy,
        RDFS.seeAlso,
        OWL.versionIRI,
        OWL.versionInfo,
        OWL.members,
        OWL.propertyChainAxiom,
        OWL.equivalentClass,
        OWL.onProperty,
        OWL.someValuesFrom,
        OWL.allValuesFrom,
        OWL.hasValue,
        OWL.minCardinality,
        OWL.minQualifiedCardinality,
        OWL.onClass,
        OWL.intersectionOf,
        OWL.unionOf,
        OWL.disjointWith,
        OWL.qualifiedCardinality,
        OWL.cardinality,
        OWL.inverseOf,
    }
    for prop in used | set(ontology.subjects(RDFS.subPropertyOf, None)):
        declared = {k for k in kinds if (prop, RDF.type, k) in ontology}
        assert len(declared) == 1, f"{prop} is typed {declared or 'nowhere'}"
    for cls in set(ontology.objects(None, RDFS.subClassOf)) | set(
        ontology.objects(None, RDFS.domain)
    ):
        if isinstance(cls, URIRef):
            assert (cls, RDF.type, OWL.Class) in ontology, f"{cls} is not declared a class"


def test_ontology_loads_in_owlready2(tmp_path) -> None:
    owlready2 = pytest.importorskip("owlready2")
    path = tmp_path / "ontology.nt"
    Graph().parse(ROOT / "ontology" / "thbkg.ttl").serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    onto = world.get_ontology(path.as_uri()).load(format="ntriples")
    assert world[str(THB.Recommendation)] is not None
    assert world[str(THB.concerns)] in world[str(THB.addressedTo)].is_a
    onto.destroy()


def test_slugs_are_derived_from_french_names() -> None:
    data = Graph().parse(ROOT / "data" / "annex2018.ttl")
    checked = 0
    for subject in set(data.subjects(RDF.type, None)):
        path = str(subject).removeprefix(BASE)
        kind, _, slug = path.partition("/")
        if kind not in {"actor", "theme", "report"} or slug == "scheme":
            continue
        names = [o for o in data.objects(subject, SKOS.prefLabel) if o.language == "fr"] or [
            o for o in data.objects(subject, DCTERMS.title) if o.language == "fr"
        ]
        assert slug == slugify(names[0]), f"{subject}: slug should be {slugify(names[0])}"
        checked += 1
    assert checked >= 20
