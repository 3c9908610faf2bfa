"""The ingest: the committed graph is the ingest's output, faithful to the source, and bad
input stops it with a clear message and the output untouched."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SKOS, XSD

from publish.config import ROOT
from publish.namespaces import BASE, THB, resource
from publish.validate import validate_graph

from .conftest import run_cli

SOURCE = ROOT / "data" / "sources" / "annex2018.fr.txt"
SHIPPED_SOURCE = ROOT.parent / "shared" / "sources" / "annex2018.fr.txt"
COMMITTED = ROOT / "data" / "annex2018.ttl"
AUTHORITIES = ROOT / "data" / "authorities.ttl"

# Read off the source text by hand: the most specific actors each addressee cell names.
EXPECTED_ADDRESSEES = {
    "2018/32": {"cellule-interdepartementale-de-coordination", "service-des-tutelles"},
    "2018/33": {"cellule-interdepartementale-de-coordination"},
    "2018/34": {"cellule-interdepartementale-de-coordination"},
    "2018/35": {
        "police",
        "reseau-d-expertise-traite-et-trafic-d-etres-humains-de-la-magistrature",
        "cellule-interdepartementale-de-coordination",
    },
    "2018/36": {"cellule-interdepartementale-de-coordination", "police"},
    "2018/37": {"cellule-interdepartementale-de-coordination"},
    "2018/38": {
        "services-de-police-locaux-de-villes-importantes",
        "autorites-locales-des-grandes-villes",
    },
    "2018/39": {
        "cellule-interdepartementale-de-coordination",
        "ministre-de-l-interieur",
        "ministre-de-la-justice",
        "gouverneurs-de-province",
        "bourgmestres",
    },
    "2018/40": {
        "reseau-d-expertise-traite-et-trafic-d-etres-humains-de-la-magistrature",
        "parquet-federal",
        "magistrats-de-reference-trafic-d-etres-humains",
    },
    "2018/41": {"cellule-interdepartementale-de-coordination"},
    "2018/42": {
        "reseau-d-expertise-traite-et-trafic-d-etres-humains-de-la-magistrature",
        "services-de-formation-de-la-police",
    },
}
MINORS = "theme/ameliorer-la-detection-et-la-protection-des-victimes-mineures-d-age"
SMUGGLERS = "theme/casser-le-business-model-des-passeurs"


@pytest.fixture(scope="module")
def data() -> Graph:
    return Graph().parse(COMMITTED)


def _rec(identifier: str) -> URIRef:
    return resource("recommendation/" + identifier.replace("/", "-"))


def _source_rows() -> list[tuple[str, str, str]]:
    """The rows of the source, read independently of the ingest code."""
    text = SOURCE.read_text(encoding="utf-8")
    return re.findall(r"^(\d{4}/\d+)\t([^\t\n]*)\t([^\t\n]*)$", text, re.MULTILINE)


def test_committed_graph_is_the_ingest_output(tmp_path: Path) -> None:
    out = tmp_path / "annex2018.ttl"
    result = run_cli("ingest", str(SOURCE), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert isomorphic(Graph().parse(out), Graph().parse(COMMITTED)), (
        "data/annex2018.ttl is stale: run "
        "`thbkg ingest data/sources/annex2018.fr.txt -o data/annex2018.ttl`"
    )


def test_source_copy_is_the_shared_source() -> None:
    if not SHIPPED_SOURCE.is_file():
        pytest.skip("shared/sources is not beside this checkout")
    assert SOURCE.read_bytes() == SHIPPED_SOURCE.read_bytes()


def test_all_eleven_recommendations(data: Graph) -> None:
    identifiers = {str(i) for i in data.objects(None, DCTERMS.identifier)}
    assert identifiers == {f"2018/{n}" for n in range(32, 43)}
    assert len(set(data.subjects(RDF.type, THB.Recommendation))) == 11


def test_texts_are_verbatim(data: Graph) -> None:
    rows = _source_rows()
    assert len(rows) == 11
    for identifier, text, cell in rows:
        rec = _rec(identifier)
        assert list(data.objects(rec, THB.text)) == [Literal(text, lang="fr")], identifier
        assert list(data.objects(rec, THB.addresseeText)) == [Literal(cell, lang="fr")]


def test_identifier_year_sequence_and_labels(data: Graph) -> None:
    rec = _rec("2018/35")
    assert data.value(rec, THB.year) == Literal("2018", datatype=XSD.gYear)
    assert data.value(rec, THB.sequence) == Literal(35, datatype=XSD.positiveInteger)
    labels = set(data.objects(rec, RDFS.label))
    assert labels == {
        Literal("Recommandation 2018/35", lang="fr"),
        Literal("Recommendation 2018/35", lang="en"),
    }
    assert data.value(rec, DCTERMS.isPartOf) == resource("report/mineurs-en-danger-majeur")


def test_addressees_are_the_most_specific_actors(data: Graph) -> None:
    for identifier, slugs in EXPECTED_ADDRESSEES.items():
        addressed = {
            str(a).removeprefix(BASE + "actor/")
            for a in data.objects(_rec(identifier), THB.addressedTo)
        }
        assert addressed == slugs, identifier


def test_groups_named_with_members_become_parents(data: Graph) -> None:
    federal, local = (
        resource("actor/autorites-politiques-federales"),
        resource("actor/autorites-politiques-locales"),
    )
    for member in ("ministre-de-l-interieur", "ministre-de-la-justice"):
        assert (resource(f"actor/{member}"), ORG.subOrganizationOf, federal) in data
    for member in ("gouverneurs-de-province", "bourgmestres"):
        assert (resource(f"actor/{member}"), ORG.subOrganizationOf, local) in data
    assert (None, THB.addressedTo, federal) not in data
    assert (federal, SKOS.prefLabel, Literal("Autorités politiques fédérales", lang="fr")) in data


def test_qualifiers_become_qualified_addressings(data: Graph) -> None:
    found = {
        (
            str(data.value(rec, DCTERMS.identifier)),
            data.value(node, THB.actor),
            data.value(node, THB.qualifier),
        )
        for rec, node in data.subject_objects(THB.qualifiedAddressing)
    }
    assert found == {
        (
            "2018/33",
            resource("actor/cellule-interdepartementale-de-coordination"),
            Literal("niveau politique", lang="fr"),
        ),
        (
            "2018/38",
            resource("actor/services-de-police-locaux-de-villes-importantes"),
            Literal("comme Bruxelles", lang="fr"),
        ),
    }


def test_themes_follow_the_sections(data: Graph) -> None:
    for n in range(32, 43):
        expected = MINORS if n <= 38 else SMUGGLERS
        assert data.value(_rec(f"2018/{n}"), THB.theme) == resource(expected), n
    headings = {
        line
        for line in SOURCE.read_text(encoding="utf-8").splitlines()
        if " : " in line and "\t" not in line and not line.startswith("Annexe")
    }
    assert {str(h) for h in data.objects(None, THB.headingText)} == headings
    assert data.value(resource(MINORS), SKOS.broader) == resource("theme/traite-des-etres-humains")
    assert data.value(resource(SMUGGLERS), SKOS.broader) == resource("theme/trafic-d-etres-humains")


def test_output_is_self_contained(data: Graph) -> None:
    """Every actor, theme and report the graph points to is described in it."""
    for prop in (
        THB.addressedTo,
        ORG.subOrganizationOf,
        THB.theme,
        SKOS.broader,
        DCTERMS.isPartOf,
        DCTERMS.publisher,
    ):
        for target in data.objects(None, prop):
            assert (target, SKOS.prefLabel, None) in data or (target, DCTERMS.title, None) in data


def test_ingested_graph_conforms(data: Graph, settings) -> None:
    assert validate_graph(data, settings).conforms


# ---------------------------------------------------------------- bad input


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SOURCE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "annex.txt"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


BAD_INPUTS = {
    "unknown addressee": (
        "- Service des Tutelles",
        "- Service des Tutelle",
        ["annex.txt:8:", "unknown addressee 'Service des Tutelle'", "authorities"],
    ),
    "unknown member": (
        "de l'Intérieur et de la Justice",
        "de l'Intérieur et de la Culture",
        ["annex.txt:19:", "unknown member 'Ministres de la Culture'"],
    ),
    "malformed identifier": (
        "2018/34\t",
        "2018-34\t",
        ["annex.txt:10:", "malformed identifier '2018-34'"],
    ),
    "missing column": (
        "\tCellule interdépartementale de coordination (niveau politique)",
        "",
        ["annex.txt:9:", "needs 3 tab-separated columns"],
    ),
    "outside any section": (
        "\n\nAnnexe : Recommandations\n",
        "\n\nAnnexe : Recommandations\n2018/31\tTexte.\tPolice\n",
        ["annex.txt:4:", "'2018/31' stands outside any section"],
    ),
    "duplicate identifier": (
        "2018/41\t",
        "2018/40\t",
        ["annex.txt:21:", "'2018/40' already used at", "annex.txt:20"],
    ),
    "unknown theme": (
        "CASSER LE BUSINESS MODEL DES PASSEURS",
        "CASSER LES RESEAUX",
        ["annex.txt:16:", "unknown theme 'CASSER LES RESEAUX'"],
    ),
    "heading without colon": (
        "TRAFIC D'ÊTRES HUMAINS : CASSER",
        "TRAFIC D'ÊTRES HUMAINS CASSER",
        ["annex.txt:16:", "must be a section heading"],
    ),
    "no report for the year": (
        "2018/42\t",
        "2019/1\t",
        ["annex.txt:22:", "exactly one report issued in 2019"],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_reported_and_output_untouched(tmp_path: Path, case: str) -> None:
    old, new, expected = BAD_INPUTS[case]
    source = _broken(tmp_path, old, new)
    out = tmp_path / "out.ttl"
    out.write_text("previous content\n")
    result = run_cli("ingest", str(source), "-o", str(out))
    assert result.returncode == 1
    for fragment in expected:
        assert fragment in result.stderr, result.stderr
    assert out.read_text() == "previous content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annex.txt", "out.ttl"]


def test_non_utf8_source_is_reported(tmp_path: Path) -> None:
    source = tmp_path / "annex.txt"
    source.write_bytes(SOURCE.read_bytes().replace("É".encode(), b"\xc9"))
    result = run_cli("ingest", str(source), "-o", str(tmp_path / "out.ttl"))
    assert result.returncode == 1
    assert "annex.txt: cannot read the annex" in result.stderr
    assert not (tmp_path / "out.ttl").exists()


def test_unparseable_authority_file_is_reported(tmp_path: Path) -> None:
    authorities = tmp_path / "authorities.ttl"
    authorities.write_text(
        "@prefix thb: <https://w3id.org/thbkg/ontology#> .\n"
        'thb:a thb:b thb:c .\nthb:c thb:d "unterminated\n'
    )
    result = run_cli(
        "ingest", str(SOURCE), "--authorities", str(authorities), "-o", str(tmp_path / "out.ttl")
    )
    assert result.returncode == 2
    assert "authorities.ttl:3:26: cannot parse as turtle" in result.stderr


def test_a_label_that_is_not_a_literal_is_named(tmp_path: Path) -> None:
    authorities = tmp_path / "authorities.ttl"
    authorities.write_text(
        "@prefix thb: <https://w3id.org/thbkg/ontology#> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/thbkg/actor/x> a thb:Actor ; skos:prefLabel <http://example.org/x> .\n"
    )
    result = run_cli(
        "ingest", str(SOURCE), "--authorities", str(authorities), "-o", str(tmp_path / "out.ttl")
    )
    assert result.returncode == 1, result.stderr
    assert "<https://w3id.org/thbkg/actor/x> has skos:prefLabel <http://example.org/x>" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_further_annexes_join_the_same_graph(tmp_path: Path, settings) -> None:
    """Another year's annex, with its report in the authority file, lands in one graph."""
    authorities = tmp_path / "authorities.ttl"
    authorities.write_text(
        AUTHORITIES.read_text(encoding="utf-8")
        + """
<https://w3id.org/thbkg/report/rapport-annuel-2019> a thb:Report ;
    dcterms:title "Rapport annuel 2019"@fr ;
    dcterms:publisher <https://w3id.org/thbkg/actor/myria-centre-federal-migration> ;
    dcterms:issued "2019-10-01"^^xsd:date ;
    dcterms:language <http://publications.europa.eu/resource/authority/language/FRA> .
""",
        encoding="utf-8",
    )
    annex = tmp_path / "annex2019.fr.txt"
    annex.write_text(
        "Annexe : Recommandations\n\nTRAITE DES ÊTRES HUMAINS : AMÉLIORER LA DÉTECTION ET LA "
        "PROTECTION DES VICTIMES MINEURES D'ÂGE\n\n\t\tDestinataire\n"
        "2019/7\tUn texte d'essai.\t- Police - Parquet fédéral\n",
        encoding="utf-8",
    )
    out = tmp_path / "all.ttl"
    result = run_cli(
        "ingest", str(SOURCE), str(annex), "--authorities", str(authorities), "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    graph = Graph().parse(out)
    assert len(set(graph.subjects(RDF.type, THB.Recommendation))) == 12
    new = resource("recommendation/2019-7")
    assert graph.value(new, DCTERMS.isPartOf) == resource("report/rapport-annuel-2019")
    assert set(graph.objects(new, THB.addressedTo)) == {
        resource("actor/police"),
        resource("actor/parquet-federal"),
    }
    assert validate_graph(graph, settings).conforms


def test_concept_schemes_are_published_whole(data: Graph) -> None:
    """Every level the shapes allow is described, though 2018 uses only two of them."""
    levels = set(data.subjects(SKOS.inScheme, resource("level/scheme")))
    assert levels == {resource(f"level/{n}") for n in ("federal", "regional", "community", "local")}
    for level in levels:
        assert {o.language for o in data.objects(level, SKOS.prefLabel)} >= {"fr", "en"}


def test_written_files_get_ordinary_permissions_not_mkstemps_0600(tmp_path: Path) -> None:
    from publish.output import write_atomically

    umask = os.umask(0o022)
    try:
        new = tmp_path / "new.ttl"
        write_atomically(Graph(), new)
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        kept = tmp_path / "kept.ttl"
        kept.write_text("")
        kept.chmod(0o640)
        write_atomically(Graph(), kept)
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(umask)
