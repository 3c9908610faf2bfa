"""Each query of queries/ (ours) against its answer, worked out by hand from the 2018 annex.

The expected values come from reading data/sources/annex2018.fr.txt (the addressee column) and
data/authorities.ttl (labels, hierarchy, levels, EuroVoc links), not from running the queries.
Every query runs through the query service, as the endpoint runs it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from publish.config import Settings
from publish.graph import KnowledgeGraph
from publish.namespaces import THB, resource
from publish.sparql import SparqlService

from .conftest import select

QUERIES = Path(__file__).parent.parent / "queries"

# From the source's addressee column, one recommendation per line:
# 32 CIC, Tutelles | 33 CIC (niveau politique) | 34 CIC | 35 Police, Réseau, CIC | 36 CIC, Police
# 37 CIC | 38 Police locale (comme Bruxelles), Autorités locales GV | 39 CIC, Min. Intérieur,
# Min. Justice, gouverneurs, bourgmestres | 40 Réseau, Parquet fédéral, Magistrats de référence
# 41 CIC | 42 Réseau, Services de formation de la police.
CIC = "Cellule interdépartementale de coordination"
RESEAU = "Réseau d'expertise Traite et trafic d'êtres humains de la magistrature"
MINORS = "Improving the detection and protection of minor victims"
SMUGGLERS = "Breaking the smugglers' business model"


def ids(value: str) -> list[str]:
    return sorted(value.split(", "))


def test_recommendations_per_theme(service: SparqlService) -> None:
    rows = select(service, "recommendations-per-theme")
    assert [(r["label"], int(r["recommendations"])) for r in rows] == [(MINORS, 7), (SMUGGLERS, 4)]
    assert ids(rows[0]["identifiers"]) == [f"2018/{n}" for n in range(32, 39)]
    assert ids(rows[1]["identifiers"]) == [f"2018/{n}" for n in range(39, 43)]


def test_recommendations_per_actor(service: SparqlService) -> None:
    rows = select(service, "recommendations-per-actor")
    counts = {r["label"]: int(r["recommendations"]) for r in rows}
    assert counts == {
        CIC: 8,
        RESEAU: 3,
        "Police": 2,
        "Service des Tutelles": 1,
        "Services de police locaux de villes importantes": 1,
        "Autorités locales des grandes villes": 1,
        "Ministre de l'Intérieur": 1,
        "Ministre de la Justice": 1,
        "Gouverneurs de province": 1,
        "Bourgmestres": 1,
        "Parquet fédéral": 1,
        "Magistrats de référence Trafic d'êtres humains": 1,
        "Services de formation de la police": 1,
    }
    assert [r["label"] for r in rows[:3]] == [CIC, RESEAU, "Police"]
    cic = ["32", "33", "34", "35", "36", "37", "39", "41"]
    assert ids(rows[0]["identifiers"]) == [f"2018/{n}" for n in cic]
    assert sum(counts.values()) == 23


def test_actors_ranked_by_recommendations(service: SparqlService) -> None:
    rows = select(service, "actors-ranked-by-recommendations")
    ranked = {r["label"]: (int(r["concerning"]), int(r["addressed"])) for r in rows}
    assert len(ranked) == 19  # every actor of the authority file reaches the data
    assert [r["label"] for r in rows[:4]] == [CIC, "Police", RESEAU, "Magistrature"]
    assert ranked[CIC] == (8, 8)
    assert ranked["Police"] == (4, 2)  # 35, 36 by name; 38 local police; 42 training services
    assert ranked["Magistrature"] == (3, 0)  # 35, 42 (network), 40 (network, prosecutors)
    assert ranked["Ministère public"] == (1, 0)  # 40
    assert ranked["Service public fédéral Justice"] == (1, 0)  # 32, through the Tutelles
    assert ranked["Autorités politiques fédérales"] == (1, 0)  # 39, through both ministers
    assert ranked["Autorités politiques locales"] == (1, 0)  # 39, governors and mayors
    assert ranked["Myria – Centre fédéral Migration"] == (0, 0)  # the publisher


def test_police_and_its_services(service: SparqlService) -> None:
    rows = select(service, "police-and-its-services")
    assert [r["id"] for r in rows] == ["2018/35", "2018/36", "2018/38", "2018/42"]
    addressees = {r["id"]: set(r["addressees"].split(" | ")) for r in rows}
    assert addressees["2018/38"] == {
        "Services de police locaux de villes importantes",
        "Autorités locales des grandes villes",
    }
    assert addressees["2018/42"] == {RESEAU, "Services de formation de la police"}


def test_multi_addressee_recommendations(service: SparqlService) -> None:
    rows = select(service, "multi-addressee-recommendations")
    assert [(r["id"], int(r["addressees"])) for r in rows] == [
        ("2018/32", 2),
        ("2018/35", 3),
        ("2018/36", 2),
        ("2018/38", 2),
        ("2018/39", 5),
        ("2018/40", 3),
        ("2018/42", 2),
    ]


def test_text_search_is_accent_and_case_insensitive(service: SparqlService) -> None:
    # "NIGERIANE" against "nigérianes": 35 (jeunes mineures nigérianes), 36 and 37 (victimes).
    rows = select(service, "text-search-accent-insensitive")
    assert [r["id"] for r in rows] == ["2018/35", "2018/36", "2018/37"]


def test_actor_hierarchy(service: SparqlService) -> None:
    rows = select(service, "actor-hierarchy")
    assert {(r["child"], r["parent"], r["top"]) for r in rows} == {
        (
            "Service des Tutelles",
            "Service public fédéral Justice",
            "Service public fédéral Justice",
        ),
        ("Services de police locaux de villes importantes", "Police", "Police"),
        ("Services de formation de la police", "Police", "Police"),
        ("Ministère public", "Magistrature", "Magistrature"),
        (RESEAU, "Magistrature", "Magistrature"),
        ("Parquet fédéral", "Ministère public", "Magistrature"),
        ("Magistrats de référence Trafic d'êtres humains", "Ministère public", "Magistrature"),
        (
            "Ministre de l'Intérieur",
            "Autorités politiques fédérales",
            "Autorités politiques fédérales",
        ),
        (
            "Ministre de la Justice",
            "Autorités politiques fédérales",
            "Autorités politiques fédérales",
        ),
        ("Gouverneurs de province", "Autorités politiques locales", "Autorités politiques locales"),
        ("Bourgmestres", "Autorités politiques locales", "Autorités politiques locales"),
    }
    assert len(rows) == 11


def test_themes_with_eurovoc_matches(service: SparqlService) -> None:
    skos, ev = str(SKOS), "http://eurovoc.europa.eu/"
    rows = select(service, "themes-with-eurovoc-matches")
    assert {
        (r["label"], r["mapping"].removeprefix(skos), r["eurovoc"].removeprefix(ev)) for r in rows
    } == {
        ("Trafficking in human beings", "exactMatch", "5933"),
        ("Smuggling of human beings", "relatedMatch", "1915"),
        (MINORS, "broadMatch", "5933"),
        (MINORS, "relatedMatch", "c_63446d6e"),
        (MINORS, "relatedMatch", "3919"),
        (MINORS, "relatedMatch", "6727"),
        (SMUGGLERS, "relatedMatch", "1915"),
        (SMUGGLERS, "relatedMatch", "5560"),
    }


def test_qualified_addressees(service: SparqlService) -> None:
    rows = select(service, "qualified-addressees")
    assert [(r["id"], r["actor"], r["qualifier"]) for r in rows] == [
        ("2018/33", CIC, "niveau politique"),
        ("2018/38", "Services de police locaux de villes importantes", "comme Bruxelles"),
    ]


def test_dataset_statistics(service: SparqlService) -> None:
    (row,) = select(service, "dataset-statistics")
    assert {k: int(v) for k, v in row.items()} == {
        "recommendations": 11,  # 2018/32 .. 2018/42
        "themes": 4,  # two phenomena, two sections
        "actors": 19,  # the authority file's actors, all used or ancestors or the publisher
        "reports": 1,
        "addressings": 23,  # 2+1+1+3+2+1+2+5+3+1+2
        "qualifiedAddressings": 2,  # (niveau politique), comme Bruxelles
    }


def test_recommendations_by_government_level(service: SparqlService) -> None:
    rows = select(service, "recommendations-by-government-level")
    got = {r["label"]: ids(r["identifiers"]) for r in rows}
    assert got == {
        # CIC (32-37, 39, 41), Tutelles (32), police (35, 36), ministers (39), parquet (40)
        "Federal": ["2018/" + n for n in ["32", "33", "34", "35", "36", "37", "39", "40", "41"]],
        # police (35, 36), local police and local authorities (38), governors and mayors (39)
        "Local": ["2018/35", "2018/36", "2018/38", "2018/39"],
    }
    assert [r["label"] for r in rows] == ["Federal", "Local"]


def _source_rows(settings: Settings) -> list[list[str]]:
    lines = settings.source.read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line[:5] == "2018/"]


def test_recommendations_overview(service: SparqlService, settings: Settings) -> None:
    text = (QUERIES / "recommendations-overview.rq").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(service.query(text, "csv").decode("utf-8"))))
    assert rows[0] == ["id", "theme", "addressees", "text"]
    source = _source_rows(settings)
    assert [[r[0], r[3], r[2]] for r in rows[1:]] == [[s[0], s[1], s[2]] for s in source]
    themes = [r[1] for r in rows[1:]]
    assert (
        themes
        == ["Améliorer la détection et la protection des victimes mineures d'âge"] * 7
        + ["Casser le business model des passeurs"] * 4
    )


def test_police_mentioned_but_not_concerned(service: SparqlService) -> None:
    # "police" occurs in 35, 38 and 39; 35 and 38 concern the police, 39 ("La police doit ...")
    # is addressed to the coordination unit and to political authorities only.
    rows = select(service, "police-mentioned-but-not-concerned")
    assert [r["id"] for r in rows] == ["2018/39"]


def test_recommendation_as_rdf(service: SparqlService) -> None:
    text = (QUERIES / "recommendation-as-rdf.rq").read_text(encoding="utf-8")
    graph = Graph().parse(data=service.query(text, "turtle").decode("utf-8"), format="turtle")
    r = resource("recommendation/2018-33")
    cic = resource("actor/cellule-interdepartementale-de-coordination")
    assert set(graph.objects(r, THB.addressedTo)) == {cic}
    assert (r, DCTERMS.identifier, Literal("2018/33")) in graph
    assert (cic, SKOS.prefLabel, Literal(CIC, lang="fr")) in graph
    theme = resource("theme/ameliorer-la-detection-et-la-protection-des-victimes-mineures-d-age")
    assert (r, THB.theme, theme) in graph
    assert str(graph.value(r, THB.text)).startswith("Améliorer la prise en charge des mineurs")
    assert set(graph.subjects()) == {r, cic, theme}
    assert isinstance(graph.value(r, THB.theme), URIRef)


def test_every_recommendation_is_addressed(service: SparqlService) -> None:
    text = (QUERIES / "is-every-recommendation-addressed.rq").read_text(encoding="utf-8")
    assert json.loads(service.query(text, "json"))["boolean"] is False


OURS = {
    "recommendations-per-theme",
    "recommendations-per-actor",
    "actors-ranked-by-recommendations",
    "police-and-its-services",
    "multi-addressee-recommendations",
    "text-search-accent-insensitive",
    "actor-hierarchy",
    "themes-with-eurovoc-matches",
    "qualified-addressees",
    "dataset-statistics",
    "recommendations-by-government-level",
    "recommendations-overview",
    "police-mentioned-but-not-concerned",
    "recommendation-as-rdf",
    "is-every-recommendation-addressed",
}


def test_each_of_our_queries_has_a_test_and_a_header() -> None:
    tested = {n.removeprefix("test_").replace("_", "-") for n in globals() if n.startswith("test_")}
    for name in OURS:
        text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
        assert text.startswith("# "), f"{name}.rq has no header comment"
    assert len(OURS) >= 12
    assert {"recommendations-per-theme", "dataset-statistics"} <= tested


def test_every_stored_query_parses_and_passes_the_guard(service: SparqlService) -> None:
    for path in sorted(QUERIES.glob("*.rq")):
        service.answer(path.read_text(encoding="utf-8"))


def _terms(service: SparqlService, text: str, form: str) -> object:
    """A query's answer as engine-neutral values: full terms (language, datatype), or a graph.

    GROUP_CONCAT joins in no defined order, so a value is compared as the sorted list of its
    parts, split on the separators the query names; rows are compared as a sorted list (the
    other tests check the order each query promises).
    """
    if form in ("CONSTRUCT", "DESCRIBE"):
        return Graph().parse(data=service.query(text, "ntriples"), format="nt")
    return _normalised(json.loads(service.query(text, "json")), text)


def _rdflib_terms(knowledge: KnowledgeGraph, text: str, form: str) -> object:
    """The same, as rdflib's own SPARQL engine answers over the union of all our graphs."""
    from rdflib import Dataset

    from publish.namespaces import graph_iri

    dataset = Dataset(default_union=True)
    for name, paths in Settings().graph_sources().items():
        for path in paths:
            if Path(path).is_file():
                dataset.graph(graph_iri(name)).parse(path)
    result = dataset.query(text)
    if form in ("CONSTRUCT", "DESCRIBE"):
        return Graph() + result.graph
    return _normalised(json.loads(result.serialize(format="json")), text)


def _normalised(doc: dict, text: str) -> object:
    if "boolean" in doc:
        return doc["boolean"]
    separators = re.findall(r'separator\s*=\s*"([^"]*)"', text)

    def parts(value: str) -> list[str]:
        pieces = [value]
        for sep in separators:
            pieces = [x for piece in pieces for x in piece.split(sep)]
        return sorted(pieces)

    rows = [
        sorted((k, {**v, "value": parts(v["value"])}) for k, v in b.items())
        for b in doc["results"]["bindings"]
    ]
    return sorted(rows, key=json.dumps)  # ties of ORDER BY come in either order


# Found by this test, not fixed here: Oxigraph stores every integer-derived XSD literal as
# xsd:integer (oxigraph/oxigraph#526), so thb:article's "9"^^xsd:positiveInteger comes out of a
# SELECT as "9"^^xsd:integer; descriptions and pages restore the type (store.Retyper), a SELECT
# cannot know which property a variable came from.
_DERIVED_INTEGER = pytest.mark.xfail(strict=True, reason="Oxigraph canonicalises xsd:integer")
_QUERY_PATHS = [
    pytest.param(p, marks=_DERIVED_INTEGER) if p.stem == "annotations-by-directive-article" else p
    for p in sorted(QUERIES.glob("*.rq"))
]


@pytest.mark.parametrize("path", _QUERY_PATHS, ids=lambda p: p.stem)
def test_rdflib_gives_the_same_terms(
    path: Path, knowledge: KnowledgeGraph, service: SparqlService
) -> None:
    # Regression: Oxigraph (pyoxigraph 0.5.13) tags GROUP_CONCAT of @fr labels as @fr, where
    # rdflib and Jena return a plain string; the values agreed, so the tests above missed it.
    from rdflib.compare import isomorphic

    from publish.sparql import parse

    text = path.read_text(encoding="utf-8")
    form = parse(text)[1]
    ours, theirs = _terms(service, text, form), _rdflib_terms(knowledge, text, form)
    if isinstance(ours, Graph):
        assert isomorphic(ours, theirs)
    else:
        assert ours == theirs


@pytest.mark.parametrize("name", ["multi-addressee-recommendations", "police-and-its-services"])
def test_group_concat_of_labels_is_a_plain_string(service: SparqlService, name: str) -> None:
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    doc = json.loads(service.query(text, "json"))
    column = "actors" if name.startswith("multi") else "addressees"
    cells = [b[column] for b in doc["results"]["bindings"]]
    assert cells and all(c == {"type": "literal", "value": c["value"]} for c in cells)
