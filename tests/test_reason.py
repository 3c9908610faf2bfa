"""`thbkg reason`: HermiT over ontology + data; inconsistencies explained; the committed
graph/inferred up to date; thb:concerns and the defined classes as read off the source by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, RDF, RDFS, XSD

from publish.config import ROOT, Settings
from publish.errors import Inconsistent
from publish.explain import explain
from publish.graph import load_dataset, load_graph
from publish.namespaces import INFERRED_GRAPH, THB, resource
from publish.reason import _stand_in, infer, partition, reason_files, reasoner_input
from publish.validate import validate_graph

from .conftest import run_cli

COMMITTED = ROOT / "data" / "annex2018.inferred.ttl"
QUERIES = ROOT / "queries"


def rec(number: int) -> URIRef:
    return resource(f"recommendation/2018-{number}")


def actor(slug: str) -> URIRef:
    return resource(f"actor/{slug}")


def recs(*numbers: int) -> set[URIRef]:
    return {rec(n) for n in numbers}


# Read off the source by hand. The police: 2018/35 and /36 name "Police"; /38 its local services
# ("Services de police locaux de villes importantes"); /42 its training services. 2018/39's text
# says "La police doit ..." but the recommendation is addressed to others: it does not concern it.
CONCERNING_POLICE = recs(35, 36, 38, 42)
# The magistracy: its expertise network (/35, /40, /42), the federal prosecutor's office and the
# reference magistrates, both of the public prosecution service, itself of the magistracy (/40).
CONCERNING_MAGISTRACY = recs(35, 40, 42)
DEFINED = {
    THB.MultiAddresseeRecommendation: recs(32, 35, 36, 38, 39, 40, 42),
    THB.LawEnforcementRecommendation: CONCERNING_POLICE,
    THB.JudiciaryRecommendation: CONCERNING_MAGISTRACY,
    # Federal actors: the coordination unit, the guardianship service, the police (federal and
    # local), the federal prosecutor's office, the ministers. /38 and /42 address none of them.
    THB.FederalLevelRecommendation: recs(32, 33, 34, 35, 36, 37, 39, 40, 41),
    THB.TraffickingRecommendation: recs(32, 33, 34, 35, 36, 37, 38),
    THB.SmugglingRecommendation: recs(39, 40, 41, 42),
    # From the curators' annotations (data/annotations.ttl), by hand: the groups under "minors"
    # are unaccompanied foreign minors (/33, /35), minor victims of trafficking (/32, /33, /34)
    # and Nigerian minor girls (/35, /37); under "victims" also the victims of trafficking (/38),
    # Nigerian victims (/36) and victims of smuggling (/39, /41); investigative capacity is what
    # /38 ("la capacité de recherche nécessaire") and /39 ("une capacité de recherche
    # suffisante") call for.
    THB.MinorsRecommendation: recs(32, 33, 34, 35, 37),
    THB.VictimsRecommendation: recs(32, 33, 34, 35, 36, 37, 38, 39, 41),
    THB.InvestigativeCapacityRecommendation: recs(38, 39),
}


@pytest.fixture(scope="module")
def inferred(settings: Settings) -> Graph:
    if not _java():
        pytest.skip("no Java runtime")
    return reason_files(settings.data + settings.annotations, settings)


def _java() -> bool:
    try:
        return subprocess.run(["java", "-version"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


def _asserted(settings: Settings) -> Graph:
    return load_graph([settings.ontology, *settings.data, *settings.annotations])


# ------------------------------------------------------------------ what HermiT entails


@pytest.mark.java
def test_committed_inferred_graph_is_up_to_date(tmp_path: Path) -> None:
    out = tmp_path / "inferred.ttl"
    result = run_cli("reason", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "consistent" in result.stderr
    assert isomorphic(entailments(Graph().parse(out)), entailments(Graph().parse(COMMITTED))), (
        "data/annex2018.inferred.ttl is stale: run `thbkg reason` and commit it"
    )


def entailments(graph: Graph) -> Graph:
    """What the reasoner entails, without the provenance (which carries times)."""
    found = Graph()
    for s, p, o in graph:
        if not str(s).startswith(str(INFERRED_GRAPH)):
            found.add((s, p, o))
    return found


def test_the_inferred_graph_says_where_it_comes_from(settings: Settings) -> None:
    """PROV-O: which reasoner and version, when, from which graphs and files."""
    import hashlib

    from rdflib.namespace import DCTERMS, OWL, PROV, RDF

    from publish.namespaces import DATA_GRAPH, ONTOLOGY_GRAPH
    from publish.reason import hermit_version

    g = Graph().parse(COMMITTED)
    activity = g.value(INFERRED_GRAPH, PROV.wasGeneratedBy)
    assert (activity, RDF.type, PROV.Activity) in g
    agent = g.value(activity, PROV.wasAssociatedWith)
    assert (agent, RDF.type, PROV.SoftwareAgent) in g
    assert str(g.value(agent, OWL.versionInfo)) == hermit_version() != "unknown"
    start, end = g.value(activity, PROV.startedAtTime), g.value(activity, PROV.endedAtTime)
    assert (
        start.toPython()
        <= end.toPython()
        == g.value(INFERRED_GRAPH, PROV.generatedAtTime).toPython()
    )
    used = set(g.objects(activity, PROV.used))
    assert {DATA_GRAPH, ONTOLOGY_GRAPH} <= used
    files = {
        str(g.value(u, DCTERMS.title)): str(g.value(u, DCTERMS.identifier))
        for u in used - {DATA_GRAPH, ONTOLOGY_GRAPH}
    }
    expected = {
        path.name: "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        for path in (settings.ontology, *settings.data, *settings.annotations)
    }
    assert files == expected, "data/annex2018.inferred.ttl was inferred from other files"


@pytest.mark.java
def test_concerns_the_police_through_its_services(inferred: Graph, settings: Settings) -> None:
    union = inferred + load_graph(settings.data)
    assert set(union.subjects(THB.concerns, actor("police"))) == CONCERNING_POLICE
    # /38 and /42 are not addressed to the police itself: only the reasoner links them.
    assert (rec(38), THB.concerns, actor("police")) in inferred
    assert (rec(42), THB.concerns, actor("police")) in inferred


@pytest.mark.java
def test_concerns_follows_the_hierarchy_transitively(inferred: Graph, settings: Settings) -> None:
    union = inferred + load_graph(settings.data)
    assert set(union.subjects(THB.concerns, actor("magistrature"))) == CONCERNING_MAGISTRACY
    # parquet fédéral -> ministère public -> magistrature: two steps up.
    assert set(union.objects(rec(40), THB.concerns)) == {
        actor("reseau-d-expertise-traite-et-trafic-d-etres-humains-de-la-magistrature"),
        actor("parquet-federal"),
        actor("magistrats-de-reference-trafic-d-etres-humains"),
        actor("ministere-public"),
        actor("magistrature"),
    }
    assert (
        actor("parquet-federal"),
        ORG.transitiveSubOrganizationOf,
        actor("magistrature"),
    ) in inferred


@pytest.mark.java
@pytest.mark.parametrize("cls", list(DEFINED), ids=lambda c: c.fragment)
def test_defined_classes(inferred: Graph, cls: URIRef) -> None:
    assert set(inferred.subjects(RDF.type, cls)) == DEFINED[cls]


def test_defined_classes_are_documented_and_never_asserted(settings: Settings) -> None:
    ontology = load_graph([settings.ontology])
    data = load_graph(settings.data + settings.annotations)
    for cls in DEFINED:
        assert (cls, OWL.equivalentClass, None) in ontology, cls
        for prop in (RDFS.label, RDFS.comment):
            assert {o.language for o in ontology.objects(cls, prop)} >= {"fr", "en"}, cls
        assert (None, RDF.type, cls) not in data, f"{cls} must be inferred, not asserted"


@pytest.mark.java
def test_inferred_is_entailed_and_not_asserted(inferred: Graph, settings: Settings) -> None:
    asserted = _asserted(settings)
    assert len(inferred) > 0
    assert not [t for t in inferred if t in asserted]
    assert not [t for t in inferred if any(isinstance(n, BNode) for n in t)]
    # Sub-property closure: thb:theme is a dcterms:subject; types: an actor is a foaf:Agent.
    assert (rec(32), DCTERMS.subject, None) in inferred
    assert (actor("police"), RDF.type, FOAF.Agent) in inferred


@pytest.mark.java
def test_data_with_inferences_still_conforms(inferred: Graph, settings: Settings) -> None:
    """The server unions graph/inferred with the data: that must not invent a dangling actor."""
    report = validate_graph(inferred + load_graph(settings.data + settings.annotations), settings)
    assert report.conforms, report.text()
    assert (actor("centre-d-accueil-esperanto"), RDF.type, THB.Actor) not in inferred


@pytest.mark.java
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "reasoning-defined-classes.rq",
            {
                str(cls): {str(r).rsplit("/", 1)[1].replace("-", "/") for r in members}
                for cls, members in DEFINED.items()
            },
        ),
        (
            "reasoning-reached-through-hierarchy.rq",
            {
                "2018/32": {"service-public-federal-justice"},
                "2018/35": {"magistrature"},
                "2018/38": {"police"},
                "2018/39": {"autorites-politiques-federales", "autorites-politiques-locales"},
                "2018/40": {"magistrature", "ministere-public"},
                "2018/42": {"magistrature", "police"},
            },
        ),
    ],
)
def test_reasoning_queries(settings: Settings, query: str, expected: dict) -> None:
    dataset = load_dataset(settings)
    rows = list(dataset.query((QUERIES / query).read_text(encoding="utf-8")))
    answer: dict[str, set[str]] = {}
    if query == "reasoning-defined-classes.rq":
        for cls, _label, count, identifiers in rows:
            answer[str(cls)] = set(str(identifiers).split())
            assert int(count) == len(answer[str(cls)])
    else:
        for identifier, organisation, _label in rows:
            answer.setdefault(str(identifier), set()).add(str(organisation).rsplit("/", 1)[1])
    assert answer == expected


def test_shipped_dataset_carries_the_inferred_graph(settings: Settings) -> None:
    """No request waits for Java: the server loads the committed file into graph/inferred."""
    inferred = load_dataset(settings).graph(INFERRED_GRAPH)
    assert (rec(42), THB.concerns, actor("police")) in inferred


def test_loading_the_dataset_never_starts_the_reasoner() -> None:
    code = (
        "import sys; from publish.config import Settings; from publish.graph import load_dataset;"
        "load_dataset(Settings()); assert 'owlready2' not in sys.modules, 'owlready2 imported';"
        "assert 'publish.reason' not in sys.modules"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------ inconsistencies


BOTH_RECOMMENDATION_AND_ACTOR = """
@prefix thb: <https://w3id.org/thbkg/ontology#> .
<https://w3id.org/thbkg/recommendation/2018-32> a thb:Actor .
"""
TWO_YEARS = """
@prefix thb: <https://w3id.org/thbkg/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/thbkg/recommendation/2018-33> thb:year "2019"^^xsd:gYear .
"""


@pytest.mark.java
@pytest.mark.parametrize(
    ("injected", "expected"),
    [
        (
            BOTH_RECOMMENDATION_AND_ACTOR,
            [
                "<https://w3id.org/thbkg/recommendation/2018-32> is both thb:Recommendation "
                "and thb:Actor",
                "owl:AllDisjointClasses",
            ],
        ),
        (
            TWO_YEARS,
            [
                "<https://w3id.org/thbkg/recommendation/2018-33> has 2 values of thb:year",
                '"2018"^^xsd:gYear, "2019"^^xsd:gYear',
                "owl:FunctionalProperty",
            ],
        ),
    ],
    ids=["recommendation-and-actor", "two-years"],
)
def test_inconsistency_exits_1_naming_individuals_and_axioms(
    tmp_path: Path, injected: str, expected: list[str]
) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(injected, encoding="utf-8")
    out = tmp_path / "inferred.ttl"
    out.write_text("# untouched\n", encoding="utf-8")
    result = run_cli("reason", "data/annex2018.ttl", str(bad), "-o", str(out))
    assert result.returncode == 1, result.stderr
    assert "inconsistent" in result.stderr
    for fragment in expected:
        assert fragment in result.stderr
    assert out.read_text(encoding="utf-8") == "# untouched\n"


@pytest.mark.java
@pytest.mark.parametrize("chunk_size", [100, 4], ids=["one-run", "chunked"])
def test_second_theme_clashes_with_functional_theme(settings: Settings, chunk_size: int) -> None:
    """Our IRIs are pairwise different (owl:AllDifferent in HermiT's input): two themes clash,
    in one run or in the chunk that holds the recommendation."""
    data = load_graph(settings.data)
    data.add((rec(39), THB.theme, resource("theme/traite-des-etres-humains")))
    with pytest.raises(Inconsistent) as caught:
        infer(load_graph([settings.ontology]), data, chunk_size=chunk_size)
    assert "has 2 values of thb:theme" in caught.value.message


def test_missing_java_exits_2_with_a_remedy(tmp_path: Path) -> None:
    result = run_cli("reason", "-o", str(tmp_path / "out.ttl"), env={"PATH": str(tmp_path)})
    assert result.returncode == 2, result.stderr
    assert "Java" in result.stderr and "default-jre-headless" in result.stderr
    assert not (tmp_path / "out.ttl").exists()


# ------------------------------------------------------------------ the input HermiT gets


def test_reasoner_input_maps_datatypes_outside_the_owl2_map(settings: Settings) -> None:
    prepared = reasoner_input(_asserted(settings))
    literals = [o for o in prepared.objects() if isinstance(o, Literal)]
    assert not [o for o in literals if o.datatype in (XSD.gYear, XSD.date)]
    assert (rec(32), THB.year, Literal(2018, datatype=XSD.integer)) in prepared
    date = Literal("2018-10-22", datatype=XSD.date)
    assert _stand_in(date) == Literal("2018-10-22", datatype=XSD.string)


def test_reasoner_input_keeps_only_literals_an_axiom_uses(settings: Settings) -> None:
    prepared = reasoner_input(_asserted(settings))
    assert (rec(32), THB.text, None) in prepared  # functional: two texts must clash
    assert (rec(32), DCTERMS.identifier, None) not in prepared  # no axiom speaks of it
    assert (resource("report/mineurs-en-danger-majeur"), DCTERMS.issued, None) not in prepared
    # Literals inside axioms (a cardinality) stay.
    assert Literal(2, datatype=XSD.nonNegativeInteger) in set(prepared.objects())


@pytest.mark.java
def test_chunked_reasoning_equals_one_run(settings: Settings) -> None:
    """Beyond CHUNK_SIZE recommendations HermiT runs per chunk, in parallel: same result."""
    if not _java():
        pytest.skip("no Java runtime")
    ontology, data = load_graph([settings.ontology]), load_graph(settings.data)
    shared, chunks = partition(data, 4)
    assert [len(set(c.subjects(RDF.type, THB.Recommendation))) for c in chunks] == [4, 4, 3]
    assert not set(shared.subjects(RDF.type, THB.Recommendation))
    assert isomorphic(infer(ontology, data, chunk_size=4), infer(ontology, data))


def test_reasoner_input_says_our_resources_are_different(settings: Settings) -> None:
    prepared = reasoner_input(_asserted(settings))
    (axiom,) = prepared.subjects(RDF.type, OWL.AllDifferent)
    members = set(Collection(prepared, prepared.value(axiom, OWL.distinctMembers)))
    assert actor("police") in members and actor("magistrature") in members
    assert resource("theme/traite-des-etres-humains") in members
    assert not members & recs(*range(32, 43))


def test_explanation_names_a_type_implied_by_a_range(settings: Settings) -> None:
    graph = _asserted(settings)
    graph.add((rec(32), THB.addressedTo, resource("theme/traite-des-etres-humains")))
    message = explain(graph)
    assert "<https://w3id.org/thbkg/theme/traite-des-etres-humains> is both thb:Theme and " in (
        message
    )
    assert "object of thb:addressedTo, rdfs:range thb:Actor" in message


def test_explanation_falls_back_to_hermit_verdict() -> None:
    assert "HermiT finds the ontology and the data inconsistent" in explain(Graph())
