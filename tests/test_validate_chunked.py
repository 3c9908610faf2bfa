"""Validation in chunks and parallel processes gives pySHACL's whole-graph report, exactly.

The reference is `validate_whole` (one pySHACL run over the whole graph, as thbkg validated
before issue 8); `validate_graph` with a small chunk size forces many chunks, two workers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, SKOS, XSD

from publish import chunking
from publish.config import ROOT
from publish.graph import load_graph
from publish.namespaces import THB, resource
from publish.shacl_sparql import unsupported
from publish.validate import validate_graph, validate_whole

from .conftest import DATA

INVALID = sorted((DATA / "invalid").glob("*.ttl"))


@pytest.fixture(scope="module")
def shapes(settings) -> Graph:
    return load_graph([settings.shapes])


@pytest.fixture(scope="module")
def ontology(settings) -> Graph:
    return load_graph([settings.ontology])


def _assert_same(
    data: Graph, settings, shapes: Graph, ontology: Graph, chunk_size: int, *, single: bool = False
) -> None:
    """Chunked (and, with ``single``, in one process) equals one pySHACL run."""
    whole = validate_whole(data, shapes, ontology)
    chunked = validate_graph(
        data, settings, shapes=shapes, ontology=ontology, chunk_size=chunk_size, workers=2
    )
    assert chunked == whole, (
        f"only whole: {set(whole.results) - set(chunked.results)}\n"
        f"only chunked: {set(chunked.results) - set(whole.results)}"
    )
    if single:
        assert validate_graph(data, settings, shapes=shapes, ontology=ontology) == whole


def test_shipped_shapes_can_be_chunked(shapes) -> None:
    assert chunking.unchunkable(shapes) is None
    assert unsupported(shapes) is None


def _shipped(settings) -> list[Path]:
    """What `thbkg build` validates: the data, the curators' annotations and the links."""
    return [*settings.data, *settings.annotations, *settings.links]


def test_forward_paths_of_any_length_and_inverse_paths_can_be_chunked() -> None:
    shapes = Graph().parse(
        data=SHAPES_PREFIXES
        + "ex:S sh:targetNode ex:a ; sh:property [ sh:path ( ex:p [ sh:oneOrMorePath ex:q ] ) ;"
        " sh:minCount 1 ] , [ sh:path [ sh:inversePath ex:r ] ; sh:class ex:C ] .",
        format="turtle",
    )
    assert chunking.unchunkable(shapes) is None


def test_shipped_data_chunked_equals_whole(settings, shapes, ontology) -> None:
    data = load_graph(_shipped(settings))
    _assert_same(data, settings, shapes, ontology, chunk_size=2, single=True)
    assert validate_whole(data, shapes, ontology).conforms


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_chunked_equals_whole(path: Path, settings, shapes, ontology) -> None:
    """Each broken file alone, and merged into the shipped data (more recommendations, so
    more chunks, and the broken resources next to real ones)."""
    alone = load_graph([path])
    _assert_same(alone, settings, shapes, ontology, chunk_size=1)
    assert not validate_whole(alone, shapes, ontology).conforms
    _assert_same(load_graph([*_shipped(settings), path]), settings, shapes, ontology, chunk_size=4)


def _recommendations(graph: Graph) -> list[URIRef]:
    return sorted(graph.subjects(RDF.type, THB.Recommendation))


def inject_defects(graph: Graph) -> None:
    """Defects that cross chunks, or that a chunk alone could get wrong."""
    recs = _recommendations(graph)
    first, second, far, last = recs[0], recs[1], recs[len(recs) // 2], recs[-1]
    # The same identifier in two chunks (and so disagreeing with year and sequence).
    graph.set((last, DCTERMS.identifier, graph.value(first, DCTERMS.identifier)))
    # One qualified addressing shared by two recommendations of different chunks.
    shared = next(graph.objects(None, THB.qualifiedAddressing))
    graph.add((far, THB.qualifiedAddressing, shared))
    # A recommendation addressed to another recommendation, in another chunk.
    graph.add((second, THB.addressedTo, last))
    # A qualified addressing that is an IRI, not a blank node, of a recommendation.
    addressing = resource("addressing/one")
    graph.add((far, THB.qualifiedAddressing, addressing))
    graph.add((addressing, RDF.type, THB.Addressing))
    graph.add((addressing, THB.actor, resource("actor/police")))
    # A leaf actor nobody addresses any more: dangling.
    leaf = next(
        a
        for a in sorted(graph.subjects(RDF.type, THB.Actor))
        if not any(graph.subjects(ORG.subOrganizationOf, a))
        and len(set(graph.subjects(THB.addressedTo, a))) >= 1
    )
    for rec in list(graph.subjects(THB.addressedTo, leaf)):
        graph.remove((rec, THB.addressedTo, leaf))
    # A cycle in the hierarchy.
    graph.add((resource("actor/police"), ORG.subOrganizationOf, resource("actor/police")))
    # A section theme without its phenomenon.
    theme = next(graph.subjects(THB.headingText, None))
    graph.remove((theme, SKOS.broader, None))
    # A shared resource pointing to a recommendation, and a report pointing to it too.
    graph.add((resource("actor/police"), SKOS.exactMatch, first))
    # A recommendation that links to a malformed EuroVoc IRI and mentions a place no one describes.
    graph.add((far, SKOS.closeMatch, URIRef("https://eurovoc.europa.eu/100/")))
    graph.add(
        (far, THB.mentions, URIRef("http://publications.europa.eu/resource/authority/country/XXX"))
    )
    # Local defects in the last chunk.
    graph.set((last, THB.year, Literal("2030", datatype=XSD.integer)))
    graph.add((last, THB.text, Literal("A second text in English", lang="en")))
    graph.add((BNode(), THB.qualifier, Literal("orphan", lang="fr")))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("chunked") / "g.ttl"
    command = [sys.executable, str(ROOT / "bench" / "generate.py"), "-n", "100", "-o", str(out)]
    subprocess.run(command, check=True, capture_output=True)
    return out


def test_generated_graph_with_defects_chunked_equals_whole(
    generated, settings, shapes, ontology
) -> None:
    data = load_graph([generated])
    inject_defects(data)
    report = validate_whole(data, shapes, ontology)
    assert not report.conforms
    assert len({r.message for r in report.results}) >= 10
    _assert_same(data, settings, shapes, ontology, chunk_size=25, single=True)


SHAPES_PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
"""


@pytest.mark.parametrize(
    ("shape", "reason"),
    [
        (
            "ex:S sh:targetNode ex:a ;"
            " sh:property [ sh:path ( ex:p [ sh:inversePath ex:q ] ) ; sh:minCount 1 ] .",
            "an inverse step inside",
        ),
        (
            "ex:S sh:targetNode ex:a ;"
            " sh:property [ sh:path [ sh:zeroOrMorePath [ sh:inversePath ex:p ] ] ;"
            " sh:minCount 1 ] .",
            "an inverse step inside",
        ),
        (
            "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:node ex:T ] .\n"
            "ex:T sh:property [ sh:path [ sh:inversePath ex:q ] ; sh:minCount 1 ] .",
            "applied to value nodes",
        ),
        (
            "ex:S sh:target [ a sh:SPARQLTarget ;"
            ' sh:select "SELECT ?this WHERE { ?this ?p ?o }" ] .',
            "sh:target",
        ),
        (
            "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ;"
            ' sh:sparql [ sh:select "SELECT $this WHERE {}" ] ] .',
            "SPARQL constraint on a property shape",
        ),
    ],
)
def test_shapes_that_would_break_chunking_are_named(shape: str, reason: str) -> None:
    shapes = Graph().parse(data=SHAPES_PREFIXES + shape, format="turtle")
    assert reason in (chunking.unchunkable(shapes) or "")


def test_shapes_that_chunking_cannot_handle_are_validated_whole(settings, ontology) -> None:
    """A path back from an actor then forward reads other chunks: validate_graph falls back
    to one run."""
    shapes = Graph().parse(
        data=SHAPES_PREFIXES
        + """@prefix thb: <https://w3id.org/thbkg/ontology#> .
@prefix org: <http://www.w3.org/ns/org#> .
ex:S sh:targetClass thb:Actor ;
    sh:property [ sh:path ( [ sh:inversePath thb:addressedTo ] thb:theme ) ; sh:maxCount 1 ;
                  sh:message "an actor addressed in two themes" ] .""",
        format="turtle",
    )
    data = load_graph(settings.data)
    chunked = validate_graph(data, settings, shapes=shapes, ontology=ontology, chunk_size=1)
    assert chunked == validate_whole(data, shapes, ontology)
    assert not chunked.conforms


def test_sparql_constraints_chunking_cannot_run_are_named() -> None:
    shapes = Graph().parse(
        data=SHAPES_PREFIXES
        + 'ex:S sh:targetNode ex:a ; sh:sparql [ sh:message "m" ;'
        + ' sh:select "SELECT ?x WHERE { $this ?p ?x }" ] .',
        format="turtle",
    )
    assert "does not select $this" in unsupported(shapes)


def test_bench_prints_figures_and_compares_with_one_run(tmp_path: Path) -> None:
    command = [
        *(sys.executable, str(ROOT / "bench" / "bench_validate.py"), "--sizes", "60"),
        *("--chunk-size", "20", "--workers", "2", "--whole-up-to", "60", "--dir", str(tmp_path)),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    [row] = [line.split() for line in result.stdout.splitlines() if line.split()[0] == "60"]
    assert row[6] == "True", result.stdout  # the column "same": chunked report == one run
    assert float(row[3]) > 0 and float(row[4]) > 0
