"""Links to EU vocabularies: every external identifier checked against a real list (EuroVoc's
own labels, ISO 3166-1 and ISO 639 via pycountry), every mapping the reviewed one and in the
README's table, and thb:mentions exactly the places and bodies the texts name."""

from __future__ import annotations

import re

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SKOS

from publish.config import ROOT, Settings
from publish.graph import load_dataset, load_graph
from publish.ingest import Authorities
from publish.namespaces import EU_COUNTRY, EU_LANGUAGE, EUROVOC, THB, resource
from publish.validate import validate_graph

eurovoc = pytest.importorskip("eurovoc", reason="pip install --no-deps eurovoc (see .ci/run)")
pycountry = pytest.importorskip("pycountry")

AUTHORITIES = ROOT / "data" / "authorities.ttl"
QUERIES = ROOT / "queries"
MAPPING_PROPERTIES = (
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
)

# Every EuroVoc concept we use, with its English label in EuroVoc.
EUROVOC_LABELS = {
    "5933": "trafficking in human beings",
    "1915": "illegal migration",
    "5560": "organised crime",
    "c_63446d6e": "unaccompanied child",
    "3919": "child protection",
    "6727": "help for victims",
    "2440": "police",
    "7381": "municipal police",
    "1735": "magistrate",
    "1938": "public prosecutor's department",
    "4581": "guardianship",
    "5116": "ministry",
    "1939": "minister",
    "5501": "local authority",
    "5118": "representative of local or regional authority",
    "4839": "Belgium",
    "2058": "Nigeria",
    "3061": "Flanders (Belgium)",
}

# The reviewed mappings (README, "Links to EU vocabularies", says why each holds).
MAPPINGS = {
    ("theme/traite-des-etres-humains", "exactMatch", "5933"),
    ("theme/trafic-d-etres-humains", "relatedMatch", "1915"),
    (
        "theme/ameliorer-la-detection-et-la-protection-des-victimes-mineures-d-age",
        "broadMatch",
        "5933",
    ),
    (
        "theme/ameliorer-la-detection-et-la-protection-des-victimes-mineures-d-age",
        "relatedMatch",
        "c_63446d6e",
    ),
    (
        "theme/ameliorer-la-detection-et-la-protection-des-victimes-mineures-d-age",
        "relatedMatch",
        "3919",
    ),
    (
        "theme/ameliorer-la-detection-et-la-protection-des-victimes-mineures-d-age",
        "relatedMatch",
        "6727",
    ),
    ("theme/casser-le-business-model-des-passeurs", "relatedMatch", "1915"),
    ("theme/casser-le-business-model-des-passeurs", "relatedMatch", "5560"),
    ("actor/police", "broadMatch", "2440"),
    ("actor/services-de-police-locaux-de-villes-importantes", "broadMatch", "7381"),
    ("actor/magistrature", "relatedMatch", "1735"),
    ("actor/ministere-public", "broadMatch", "1938"),
    ("actor/parquet-federal", "broadMatch", "1938"),
    ("actor/magistrats-de-reference-trafic-d-etres-humains", "broadMatch", "1735"),
    ("actor/service-des-tutelles", "relatedMatch", "4581"),
    ("actor/service-public-federal-justice", "broadMatch", "5116"),
    ("actor/ministre-de-l-interieur", "broadMatch", "1939"),
    ("actor/ministre-de-la-justice", "broadMatch", "1939"),
    ("actor/autorites-politiques-locales", "broadMatch", "5501"),
    ("actor/autorites-locales-des-grandes-villes", "broadMatch", "5501"),
    ("actor/bourgmestres", "broadMatch", "5118"),
    ("country/BEL", "exactMatch", "4839"),
    ("country/NGA", "exactMatch", "2058"),
}

# Read off the texts by hand: "en Flandre" and the "centre d'accueil « Esperanto »" (2018/33);
# "nigérianes" (2018/35, /36, /37). 2018/38's "comme Bruxelles" is in the addressee cell and names
# a city, not EuroVoc's "Brussels region": deliberately not a mention.
ESPERANTO = resource("actor/centre-d-accueil-esperanto")
MENTIONS = {
    "2018/33": {EUROVOC["3061"], ESPERANTO},
    "2018/35": {EU_COUNTRY.NGA},
    "2018/36": {EU_COUNTRY.NGA},
    "2018/37": {EU_COUNTRY.NGA},
}


@pytest.fixture(scope="module")
def authorities() -> Graph:
    return load_graph([AUTHORITIES])


@pytest.fixture(scope="module")
def published(settings: Settings) -> Graph:
    return load_graph([*settings.data, settings.ontology, AUTHORITIES])


def _iris(graph: Graph, namespace: str) -> set[URIRef]:
    return {n for t in graph for n in t if isinstance(n, URIRef) and n.startswith(namespace)}


def _short(node: URIRef) -> str:
    for prefix in ("https://w3id.org/thbkg/", str(EU_COUNTRY)[:-8], str(EUROVOC)):
        if node.startswith(prefix):
            return node.removeprefix(prefix)
    return str(node)


# ------------------------------------------------------------------ identifiers against real lists


def test_every_eurovoc_identifier_exists_with_its_label(published: Graph) -> None:
    used = {iri.removeprefix(str(EUROVOC)) for iri in _iris(published, str(EUROVOC))}
    assert used == set(EUROVOC_LABELS)
    for identifier, label in EUROVOC_LABELS.items():
        assert eurovoc.en_labels.get(identifier) == label, identifier


def test_every_country_is_an_iso_3166_alpha_3_code(published: Graph) -> None:
    countries = _iris(published, str(EU_COUNTRY))
    assert {c.removeprefix(str(EU_COUNTRY)) for c in countries} == {"BEL", "NGA"}
    for country in countries:
        code = country.removeprefix(str(EU_COUNTRY))
        entry = pycountry.countries.get(alpha_3=code)
        assert entry is not None, code
        english = {str(o) for o in published.objects(country, RDFS.label) if o.language == "en"}
        assert english == {entry.name}


def test_every_language_is_an_iso_639_terminology_code(published: Graph) -> None:
    languages = _iris(published, str(EU_LANGUAGE))
    names = {}
    for language in languages:
        code = language.removeprefix(str(EU_LANGUAGE))
        entry = pycountry.languages.get(alpha_3=code.lower())
        assert entry is not None, code
        # The EU table uses the terminology codes (FRA, NLD), not the bibliographic (FRE, DUT).
        assert getattr(entry, "bibliographic", code.lower()) != code.lower() or code == "ENG"
        names[code] = entry.name
    assert names == {"FRA": "French", "NLD": "Dutch"}


def test_eli_of_the_acts_the_contract_names(authorities: Graph) -> None:
    eli = re.compile(r"^http://data\.europa\.eu/eli/(dir|reg|dec)/\d{4}/\d+/oj$")
    links = dict(authorities.subject_objects(THB.legalDefinition))
    assert all(eli.match(str(o)) for o in links.values())
    assert links == {
        resource("theme/traite-des-etres-humains"): URIRef(
            "http://data.europa.eu/eli/dir/2011/36/oj"
        ),
        resource("theme/trafic-d-etres-humains"): URIRef(
            "http://data.europa.eu/eli/dir/2002/90/oj"
        ),
    }
    # The definitions name the same acts: Directive 2011/36/EU, Council Directive 2002/90/EC.
    for theme, act in (("traite", "2011/36/"), ("trafic", "2002/90/")):
        subject = next(s for s in links if f"/{theme}-" in s)
        definitions = [str(d) for d in authorities.objects(subject, SKOS.definition)]
        assert definitions and all(act in d for d in definitions)


# ------------------------------------------------------------------ mappings and their docs


def test_mappings_are_the_reviewed_ones(authorities: Graph) -> None:
    found = {
        (_short(s), p.removeprefix(str(SKOS)), _short(o))
        for p in MAPPING_PROPERTIES
        for s, o in authorities.subject_objects(p)
    }
    assert found == MAPPINGS


def test_readme_mapping_table_shows_every_link() -> None:
    rows = [
        line
        for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("|")
    ]
    for subject, prop, target in MAPPINGS:
        assert any(
            f"`{subject}`" in row
            and f"skos:{prop}" in row
            and f"eurovoc.europa.eu/{target})" in row
            for row in rows
        ), (subject, prop, target)
    for target in ("country/NGA", "3061", "actor/centre-d-accueil-esperanto", "language/FRA"):
        assert any("thb:mentions" in row or "dcterms:" in row for row in rows if target in row)


# ------------------------------------------------------------------ mentions


def test_mentions_are_what_the_texts_name(settings: Settings) -> None:
    data = load_graph(settings.data)
    found: dict[str, set[URIRef]] = {}
    for rec, target in data.subject_objects(THB.mentions):
        found.setdefault(str(data.value(rec, DCTERMS.identifier)), set()).add(target)
    assert found == MENTIONS
    assert EUROVOC["3039"] not in {o for _, _, o in data}


def test_mentioned_places_and_bodies_are_described(settings: Settings) -> None:
    data = load_graph(settings.data)
    assert (ESPERANTO, RDF.type, ORG.Organization) in data
    assert (ESPERANTO, RDF.type, THB.Actor) not in data  # not addressed: it would dangle
    for place in (EU_COUNTRY.NGA, EUROVOC["3061"]):
        assert {o.language for o in data.objects(place, RDFS.label)} >= {"fr", "en"}
    report = resource("report/mineurs-en-danger-majeur")
    assert set(data.objects(report, DCTERMS.language)) == {EU_LANGUAGE.FRA, EU_LANGUAGE.NLD}
    assert set(data.objects(report, DCTERMS.spatial)) == {EU_COUNTRY.BEL}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("les victimes Nigérianes", {EU_COUNTRY.NGA}),
        ("au NIGÉRIA", {EU_COUNTRY.NGA}),
        ("une victime antinigériane", set()),
        ("le centre d’accueil « Esperanto »", {ESPERANTO}),
        ("le  centre\u00a0Esperanto.", {ESPERANTO}),
        ("l'espéranto", set()),
        ("en Flandre-Occidentale et en Belgique", {EUROVOC["3061"], EU_COUNTRY.BEL}),
        ("Flandres", set()),
    ],
)
def test_mention_matching_is_whole_word_and_case_insensitive(text: str, expected: set) -> None:
    assert set(Authorities.load(AUTHORITIES).mentions(text)) == expected


MENTION_OF_NOWHERE = """
@prefix thb: <https://w3id.org/thbkg/ontology#> .
<https://w3id.org/thbkg/theme/x> thb:mentions <http://example.org/nowhere> .
"""


def test_shapes_reject_a_bad_mention(settings: Settings) -> None:
    report = validate_graph(Graph().parse(data=MENTION_OF_NOWHERE, format="turtle"), settings)
    messages = " ".join(r.message for r in report.violations)
    assert "Only a thb:Recommendation thb:mentions" in messages
    assert "thb:mentions must be an IRI of the EU country table" in messages
    assert "must be described in the graph with a French rdfs:label" in messages


# ------------------------------------------------------------------ the queries that use the links


def _query(settings: Settings, name: str) -> list[tuple[str, ...]]:
    text = (QUERIES / name).read_text(encoding="utf-8")
    return [tuple(str(v) for v in row) for row in load_dataset(settings).query(text)]


def test_query_by_country(settings: Settings) -> None:
    assert _query(settings, "links-by-country.rq") == [
        (str(EU_COUNTRY.NGA), "Nigeria", f"2018/{n}") for n in (35, 36, 37)
    ]


def test_query_places_and_bodies_mentioned(settings: Settings) -> None:
    rows = _query(settings, "links-places-and-bodies-mentioned.rq")
    assert {(i, m) for i, m, _ in rows} == {
        (i, str(m)) for i, targets in MENTIONS.items() for m in targets
    }
    assert ("2018/33", str(ESPERANTO), "Esperanto reception centre") in rows


def test_query_by_eurovoc_concept(settings: Settings) -> None:
    """Worked out by hand from the themes, the actors each recommendation concerns (with the
    hierarchy) and the places it names; needs graph/inferred for thb:concerns."""
    trafficking, smuggling = range(32, 39), range(39, 43)
    expected = {
        "5933": trafficking,
        "c_63446d6e": trafficking,
        "3919": trafficking,
        "6727": trafficking,
        "1915": smuggling,
        "5560": smuggling,
        "4581": [32],  # the guardianship service
        "5116": [32],  # FPS Justice, of which the guardianship service is part
        "2440": [35, 36, 38, 42],  # the police, its local and training services
        "1735": [35, 40, 42],  # the magistracy and its reference magistrates
        "1938": [40],  # public prosecution: the federal prosecutor's office
        "7381": [38],
        "5501": [38, 39],
        "1939": [39],
        "5118": [39],
        "3061": [33],
        "2058": [35, 36, 37],  # Nigeria, through the country table's exactMatch
    }
    rows = {
        (c.removeprefix(str(EUROVOC)), i)
        for c, i in _query(settings, "links-by-eurovoc-concept.rq")
    }
    assert rows == {(c, f"2018/{n}") for c, numbers in expected.items() for n in numbers}
