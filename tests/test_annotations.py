"""Issue 10: the curators' annotations (graph/annotations), their evidence, the identifiers they
use, the external labels (graph/links), the report's pages, and the researchers' queries, each
against its answer worked out by hand from data/sources/annex2018.fr.txt."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS, SKOS

from publish.config import ROOT, Settings
from publish.graph import KnowledgeGraph, load_dataset, load_graph
from publish.ingest import slugify
from publish.namespaces import (
    ANNOTATIONS_GRAPH,
    CURATORS,
    DATA_GRAPH,
    EUROVOC,
    LINKS_GRAPH,
    THB,
    resource,
)
from publish.sparql import SparqlService
from publish.validate import validate_graph

from .conftest import DATA, run_cli, select

eurovoc = pytest.importorskip("eurovoc", reason="pip install --no-deps eurovoc (see .ci/run)")

QUERIES = ROOT / "queries"
DIR_2011_36 = URIRef("http://data.europa.eu/eli/dir/2011/36/oj")
DIR_2002_90 = URIRef("http://data.europa.eu/eli/dir/2002/90/oj")
KINDS = {
    THB.SubjectAnnotation: DCTERMS.subject,
    THB.GroupAnnotation: THB.affectedGroup,
    THB.ActionAnnotation: THB.callsFor,
    THB.LegalAnchor: THB.legalAnchor,
}

# Every EuroVoc concept the annotations use, with its English label in EuroVoc.
EUROVOC_LABELS = {
    "1073": "in-service training",
    "5933": "trafficking in human beings",
    "c_63446d6e": "unaccompanied child",
    "6727": "help for victims",
    "441": "dissemination of information",
    "2440": "police",
    "1747": "age of majority",
    "4581": "guardianship",
    "3919": "child protection",
    "7381": "municipal police",
    "573": "criminal law",
    "5560": "organised crime",
    "5465": "money laundering",
    "216": "international cooperation",
    "5415": "criminal proceedings",
    "758": "child",
    "4695": "victim",
}
# The reviewed mappings of our groups (README, "Annotations").
GROUP_MAPPINGS = {
    ("mineurs-d-age", SKOS.closeMatch, "758"),
    ("mineurs-etrangers-non-accompagnes", SKOS.closeMatch, "c_63446d6e"),
    ("victimes", SKOS.closeMatch, "4695"),
}


def rec(number: int) -> URIRef:
    return resource(f"recommendation/2018-{number}")


@pytest.fixture(scope="module")
def annotations(settings: Settings) -> Graph:
    return load_graph(settings.annotations)


@pytest.fixture(scope="module")
def data(settings: Settings) -> Graph:
    return load_graph(settings.data)


# ------------------------------------------------------------------ coverage and evidence


def test_every_recommendation_has_subjects_and_actions(annotations: Graph) -> None:
    for number in range(32, 43):
        assert set(annotations.objects(rec(number), DCTERMS.subject)), number
        assert set(annotations.objects(rec(number), THB.callsFor)), number
    assert set(annotations.subjects(THB.annotation, None)) == {rec(n) for n in range(32, 43)}


def test_every_piece_of_evidence_occurs_in_the_text_it_annotates(
    annotations: Graph, data: Graph
) -> None:
    checked = 0
    for recommendation, node in annotations.subject_objects(THB.annotation):
        where = annotations.value(node, THB.evidenceIn)
        assert where in (THB.text, THB.addresseeText)
        text = str(data.value(recommendation, where))
        evidence = list(annotations.objects(node, THB.evidence))
        assert evidence
        for words in evidence:
            assert words.language == "fr"
            assert str(words) in text, (recommendation, str(words))
            checked += 1
    assert checked >= 60
    # The addressee cell is evidence too (2018/42's police training services).
    assert (None, THB.evidenceIn, THB.addresseeText) in annotations


def test_every_direct_tag_has_its_annotation_and_back(annotations: Graph) -> None:
    for recommendation, node in annotations.subject_objects(THB.annotation):
        (kind,) = set(annotations.objects(node, RDF.type)) & set(KINDS)
        assert (recommendation, KINDS[kind], annotations.value(node, THB.tag)) in annotations
    for kind, prop in KINDS.items():
        for recommendation, value in annotations.subject_objects(prop):
            assert any(
                (node, RDF.type, kind) in annotations and (node, THB.tag, value) in annotations
                for node in annotations.objects(recommendation, THB.annotation)
            ), (recommendation, prop, value)


def test_annotations_are_the_curators_never_myria(annotations: Graph) -> None:
    nodes = set(annotations.objects(None, THB.annotation))
    assert {annotations.value(n, PROV.wasAttributedTo) for n in nodes} == {CURATORS}
    assert (CURATORS, RDF.type, PROV.Agent) in annotations
    assert "myria" not in str(CURATORS).lower()


def test_annotations_stay_apart_from_myrias_words(settings: Settings) -> None:
    dataset = load_dataset(settings)
    assert (None, THB.annotation, None) not in dataset.graph(DATA_GRAPH)
    assert (None, THB.annotation, None) in dataset.graph(ANNOTATIONS_GRAPH)
    assert (rec(33), DCTERMS.subject, EUROVOC["c_63446d6e"]) in dataset  # the union


# ------------------------------------------------------------------ identifiers against real lists


def test_every_eurovoc_identifier_exists_with_its_label(annotations: Graph) -> None:
    used = {
        str(node).removeprefix(str(EUROVOC))
        for triple in annotations
        for node in triple
        if isinstance(node, URIRef) and node.startswith(str(EUROVOC))
    }
    assert used == set(EUROVOC_LABELS)
    for identifier, label in EUROVOC_LABELS.items():
        assert eurovoc.en_labels.get(identifier) == label, identifier


def test_group_mappings_are_the_reviewed_ones(annotations: Graph) -> None:
    prefix = str(resource("group/"))
    found = {
        (str(s).removeprefix(prefix), p, str(o).removeprefix(str(EUROVOC)))
        for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.relatedMatch)
        for s, o in annotations.subject_objects(p)
    }
    assert found == GROUP_MAPPINGS


def test_legal_anchors_are_the_two_acts_by_their_verified_eli(annotations: Graph) -> None:
    """Only the act-level ELI form (EUR-Lex's template {typedoc}/{year}/{number}/oj) is used;
    the article is a number, never a guessed subdivision IRI."""
    assert set(annotations.objects(None, THB.legalAnchor)) == {DIR_2011_36, DIR_2002_90}
    assert not [o for o in annotations.objects() if "/eli/" in o and not o.endswith("/oj")]
    anchors = {
        (annotations.value(n, THB.tag), annotations.value(n, THB.article))
        for n in annotations.subjects(RDF.type, THB.LegalAnchor)
    }
    articles = {(act, int(a)) for act, a in anchors if a is not None}
    assert articles == {(DIR_2011_36, n) for n in (9, 11, 13, 14, 16, 18)} | {(DIR_2002_90, 1)}


@pytest.mark.parametrize("scheme", ["group", "action"])
def test_our_schemes_have_three_languages_and_derived_slugs(
    annotations: Graph, scheme: str
) -> None:
    concepts = set(annotations.subjects(SKOS.inScheme, resource(f"{scheme}/scheme")))
    assert len(concepts) >= 8
    for concept in concepts:
        labels = {o.language: str(o) for o in annotations.objects(concept, SKOS.prefLabel)}
        assert set(labels) == {"fr", "en", "nl"}, concept
        assert concept == resource(f"{scheme}/{slugify(labels['fr'])}")


def test_annotated_fixture_conforms(settings: Settings) -> None:
    report = validate_graph(load_graph([DATA / "valid" / "annotated.ttl"]), settings)
    assert report.conforms, report.text()


def test_shipped_data_and_annotations_conform_and_load(settings: Settings) -> None:
    knowledge = KnowledgeGraph.load(settings)  # validates data and annotations together
    assert len(knowledge.graph(ANNOTATIONS_GRAPH)) > 500
    names = ["data", "ontology", "inferred", "annotations", "links"]
    assert list(settings.graph_sources()) == names
    assert settings.graph_sources()["annotations"] == settings.annotations


# ------------------------------------------------------------------ the report's pages


def test_report_pages_are_the_verified_addresses(data: Graph) -> None:
    report = resource("report/mineurs-en-danger-majeur")
    with (ROOT / "data" / "sources" / "report-pages.tsv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream, delimiter="\t"))
    assert set(data.objects(report, FOAF.page)) == {URIRef(r["url"]) for r in rows}
    titles = {o.language: str(o) for o in data.objects(report, DCTERMS.title)}
    for row in rows:
        assert row["url"].startswith("https://www.myria.be/")
        title = titles[row["language"]]
        assert title.replace(",", "") in row["title as the stored page shows it"].replace(",", "")
    assert (report, DCTERMS.source, None) not in data  # no verified PDF address


# ------------------------------------------------------------------ graph/links


def test_links_file_is_what_thbkg_links_builds(tmp_path: Path, settings: Settings) -> None:
    out = tmp_path / "links.ttl"
    result = run_cli("links", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert isomorphic(Graph().parse(out), load_graph(settings.links)), (
        "data/links.ttl is stale: run `thbkg links` and commit it"
    )
    links = load_dataset(settings).graph(LINKS_GRAPH)
    assert (EUROVOC["c_63446d6e"], SKOS.prefLabel, None) in links
    assert str(links.value(EUROVOC["4581"], SKOS.prefLabel)) == "guardianship"
    act_names = {str(o) for o in links.objects(DIR_2011_36, RDFS.label)}
    assert act_names == {"Directive 2011/36", "Richtlijn 2011/36"}


def test_links_refuses_an_identifier_no_list_holds(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "<https://w3id.org/thbkg/theme/x> <http://www.w3.org/2004/02/skos/core#relatedMatch>"
        " <http://eurovoc.europa.eu/99999999> .\n",
        encoding="utf-8",
    )
    out = tmp_path / "links.ttl"
    result = run_cli("links", str(bad), "-o", str(out))
    assert result.returncode == 1
    assert "http://eurovoc.europa.eu/99999999: no EuroVoc concept" in result.stderr
    assert not out.exists()
    subdivision = tmp_path / "subdivision.ttl"
    subdivision.write_text(
        "<https://w3id.org/thbkg/recommendation/2018-32> <https://w3id.org/thbkg/ontology#"
        "legalAnchor> <http://data.europa.eu/eli/dir/2011/36/oj/art_18> .\n",
        encoding="utf-8",
    )
    result = run_cli("links", str(subdivision), "-o", str(out))
    assert result.returncode == 1 and "art_18: not an act-level ELI" in result.stderr
    unparseable = tmp_path / "broken.ttl"
    unparseable.write_text("<a> <b> .\n", encoding="utf-8")
    result = run_cli("links", str(unparseable), "-o", str(out))
    assert result.returncode == 2 and "broken.ttl:1:" in result.stderr


# ------------------------------------------------------------------ the researchers' queries


def numbers(identifiers: str) -> set[int]:
    return {int(i.split("/")[1]) for i in identifiers.split()}


def test_query_by_affected_group(service: SparqlService) -> None:
    """By hand from the tags: a group counts its own and its narrower groups' recommendations."""
    rows = {
        r["label"]: numbers(r["identifiers"])
        for r in select(service, "annotations-by-affected-group")
    }
    assert rows == {
        "Victims": {32, 33, 34, 35, 36, 37, 38, 39, 41},
        "Victims of trafficking in human beings": {32, 33, 34, 35, 36, 37, 38},
        "Minor victims of trafficking in human beings": {32, 33, 34, 35, 37},
        "Minors": {32, 33, 34, 35, 37},
        "Nigerian victims of trafficking in human beings": {35, 36, 37},
        "Nigerian minor girls": {35, 37},
        "Unaccompanied foreign minors": {33, 35},
        "Smugglers": {39, 40},
        "Victims of smuggling of human beings": {39, 41},
    }


def test_query_by_eurovoc_subject_with_labels(service: SparqlService) -> None:
    rows = select(service, "annotations-by-eurovoc-subject")
    found = {
        (r["subject"].removeprefix(str(EUROVOC)), r["label"]): numbers(r["identifiers"])
        for r in rows
    }
    assert found == {
        ("6727", "help for victims"): {33, 34, 36, 38, 41},
        ("2440", "police"): {35, 39, 42},
        ("1073", "in-service training"): {32, 42},
        ("5933", "trafficking in human beings"): {32, 37},
        ("1747", "age of majority"): {35},
        ("3919", "child protection"): {37},
        ("573", "criminal law"): {39},
        ("5415", "criminal proceedings"): {41},
        ("441", "dissemination of information"): {34},
        ("4581", "guardianship"): {35},
        ("216", "international cooperation"): {40},
        ("5465", "money laundering"): {40},
        ("7381", "municipal police"): {38},
        ("5560", "organised crime"): {40},
        ("c_63446d6e", "unaccompanied child"): {33},
    }
    assert rows[0]["label"] == "help for victims"


def test_query_by_directive_article(service: SparqlService) -> None:
    rows = select(service, "annotations-by-directive-article")
    found = [(r["act"], int(r["article"]) if "article" in r else None, r["id"]) for r in rows]
    trafficking, smuggling = str(DIR_2011_36), str(DIR_2002_90)
    assert sorted(found, key=lambda t: (t[0], t[1] or 0, t[2])) == [
        (smuggling, None, "2018/40"),
        (smuggling, 1, "2018/39"),
        (trafficking, 9, "2018/38"),
        (trafficking, 11, "2018/38"),
        (trafficking, 13, "2018/34"),
        (trafficking, 13, "2018/35"),
        (trafficking, 14, "2018/33"),
        (trafficking, 16, "2018/33"),
        (trafficking, 16, "2018/35"),
        (trafficking, 18, "2018/32"),
        (trafficking, 18, "2018/35"),
    ]


def test_query_investigative_capacity(service: SparqlService) -> None:
    rows = select(service, "annotations-investigative-capacity")
    assert [(r["id"], r["evidence"]) for r in rows] == [
        ("2018/38", "disposent dans ce cadre de la capacité de recherche nécessaire"),
        ("2018/39", "disposer d'une capacité de recherche suffisante"),
    ]
    assert set(rows[0]["addressees"].split(", ")) == {
        "Local police services of major cities",
        "Local authorities of major cities",
    }
    assert len(rows[1]["addressees"].split(", ")) == 5  # 2018/39's five addressees


# ------------------------------------------------------------------ pages


def _page(client, path: str, lang: str = "en") -> str:
    response = client.get(f"{path}?lang={lang}", headers={"Accept": "text/html"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_recommendation_page_shows_tags_with_their_evidence(client) -> None:
    html = _page(client, "/recommendation/2018-33")
    section = html.split('class="annotations"', 1)[1].split("</section>", 1)[0]
    assert "not Myria" in section
    assert ">unaccompanied child</a>" in section  # a EuroVoc subject by its label
    assert ">Unaccompanied foreign minors</a>" in section  # a group, by our label
    assert ">Create or recognise a structure</a>" in section
    assert ">Directive 2011/36</a>, article 16" in section
    assert "tagged by the curators, from the words" in section
    assert '<span lang="fr">mineurs étrangers non accompagnés</span>' in section
    french = _page(client, "/recommendation/2018-42", "fr")
    assert "étiqueté par les curateurs, d&#39;après les mots" in french
    assert (
        "Services de formation de la police</span>&nbsp;» (dans la cellule des destinataires)"
        in french
    )


def test_eurovoc_links_show_by_label(client) -> None:
    html = _page(
        client, "/theme/ameliorer-la-detection-et-la-protection-des-victimes-mineures-d-age"
    )
    assert ">unaccompanied child</a>" in html and ">c_63446d6e</a>" not in html


def test_group_and_action_pages_dereference(client) -> None:
    assert "Nigeriaanse minderjarige meisjes" in _page(client, "/group/jeunes-mineures-nigerianes")
    assert "Allocate investigative capacity" in _page(client, "/action/scheme")
    turtle = client.get("/graph/annotations", headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and b"thb:evidence" in turtle.data
