"""HTML pages: verbatim texts, labels in the asked language, filters, escaping, documentation."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SH, SKOS

from publish.config import ROOT
from publish.graph import KnowledgeGraph
from publish.namespaces import BASE, DATA_GRAPH, THB
from publish.web import create_app

from .conftest import built_site

HTML_ACCEPT = {"Accept": "text/html"}


class Links(HTMLParser):
    """Collects (href, text) of every link, and the text of the whole page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._href: str | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self._buffer = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._buffer).strip()))
            self._href = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._href is not None:
            self._buffer.append(data)


def page(client, path: str, **headers: str) -> tuple[str, Links]:
    response = client.get(path, headers={**HTML_ACCEPT, **headers})
    assert response.status_code == 200, (path, response.status_code)
    body = response.get_data(as_text=True)
    parser = Links()
    parser.feed(body)
    return body, parser


def texts(knowledge: KnowledgeGraph) -> dict[str, str]:
    data = knowledge.graph(DATA_GRAPH)
    return {
        str(data.value(r, DCTERMS.identifier)): str(data.value(r, THB.text))
        for r in data.subjects(RDF.type, THB.Recommendation)
    }


def test_landing_page_lists_every_recommendation_verbatim(client, knowledge) -> None:
    body, parsed = page(client, "/")
    text = "".join(parsed.text)
    expected = texts(knowledge)
    assert len(expected) >= 11
    for identifier, verbatim in expected.items():
        assert identifier in text
        assert verbatim in text  # character for character, once the HTML is read
    assert f"<strong>{len(expected)}</strong>" in body


def test_landing_page_shows_themes_actors_and_source(client, knowledge) -> None:
    _, parsed = page(client, "/?lang=en")
    text = "".join(parsed.text)
    data = knowledge.graph(DATA_GRAPH)
    for theme in data.subjects(RDF.type, THB.Theme):
        english = [str(x) for x in data.objects(theme, SKOS.prefLabel) if x.language == "en"]
        assert english and english[0] in text
    assert "Police" in text and "Mayors" in text
    assert "Annual report 2018: Minors in major danger" in text
    downloads = {href for href, _ in parsed.links if href.startswith("/download/")}
    assert {"/download/thbkg.ttl", "/download/thbkg.jsonld", "/download/thbkg.trig"} <= downloads


def _identifiers_shown(client, query: str) -> set[str]:
    _, parsed = page(client, "/" + query)
    return {text for href, text in parsed.links if href.startswith("/recommendation/")}


def test_filter_by_theme(client) -> None:
    smuggling = _identifiers_shown(client, "?theme=casser-le-business-model-des-passeurs")
    assert smuggling == {"2018/39", "2018/40", "2018/41", "2018/42"}
    # A phenomenon includes the sections below it.
    assert _identifiers_shown(client, "?theme=trafic-d-etres-humains") == smuggling


def test_filter_by_actor_includes_its_parts(client) -> None:
    police = _identifiers_shown(client, "?actor=police")
    assert {"2018/35", "2018/36"} <= police  # addressed to the police
    assert "2018/38" in police  # addressed to local police services, part of the police
    assert "2018/42" in police  # police training services
    assert "2018/32" not in police


def test_filters_combine_and_links_are_plain(client) -> None:
    both = _identifiers_shown(client, "?actor=police&theme=casser-le-business-model-des-passeurs")
    assert both == {"2018/42"}
    assert _identifiers_shown(client, "?year=2018") == _identifiers_shown(client, "")
    _, parsed = page(client, "/")
    hrefs = [href for href, _ in parsed.links]
    assert "/?actor=police" in hrefs and "/?year=2018" in hrefs


def test_language_from_parameter_then_accept_language(client) -> None:
    _, fr = page(client, "/actor/police?lang=fr")
    assert "Recommandations" in "".join(fr.text)
    _, by_header = page(client, "/theme/scheme", **{"Accept-Language": "fr-BE,fr;q=0.9"})
    assert "Thèmes des recommandations de Myria" in "".join(by_header.text)
    _, plain_fr = page(client, "/theme/scheme", **{"Accept-Language": "fr"})
    assert "Thèmes des recommandations de Myria" in "".join(plain_fr.text)
    _, forced = page(client, "/theme/scheme?lang=en", **{"Accept-Language": "fr"})
    assert "Themes of Myria's recommendations" in "".join(forced.text)
    _, unknown = page(client, "/theme/scheme?lang=de", **{"Accept-Language": "nl"})
    assert "Themes of Myria's recommendations" in "".join(unknown.text)  # English fallback


def test_label_fallback_to_the_other_language(client) -> None:
    # The report has no English dcterms:title but an English rdfs:label; an actor without a
    # French label would fall back the other way. Here: Dutch is asked, English is shown.
    _, parsed = page(client, "/report/mineurs-en-danger-majeur", **{"Accept-Language": "nl"})
    assert "Annual report 2018: Minors in major danger" in "".join(parsed.text)


def test_recommendation_page(client, knowledge) -> None:
    body, parsed = page(client, "/recommendation/2018-33?lang=en")
    text = "".join(parsed.text)
    assert texts(knowledge)["2018/33"] in text
    assert "Interdepartmental Coordination Unit" in text
    assert "niveau politique" in text  # the qualifier
    assert "Cellule interdépartementale de coordination (niveau politique)" in text  # verbatim
    # 2018/33 stands in the first section of the annex (2018/32 to 2018/38).
    assert "Improving the detection and protection of minor victims" in text
    assert "Breaking the smugglers' business model" not in text
    assert "Annual report 2018: Minors in major danger" in text
    for suffix in ("ttl", "jsonld", "nt", "rdf"):
        assert f'href="/recommendation/2018-33.{suffix}"' in body
    assert 'rel="alternate" type="text/turtle"' in body


def test_linked_resources_show_labels_not_iris(client) -> None:
    for path in ("/recommendation/2018-39", "/actor/police", "/theme/scheme", "/"):
        _, parsed = page(client, path)
        for href, text in parsed.links:
            assert not text.startswith(("http://", "https://")), (path, href, text)


def test_actor_page(client) -> None:
    _, parsed = page(client, "/actor/services-de-police-locaux-de-villes-importantes?lang=fr")
    text = "".join(parsed.text)
    assert "Services de police locaux de villes importantes" in text
    assert "Local police services of major cities" in text  # every label, tagged
    assert ("/actor/police?lang=fr", "Police") in parsed.links  # its parent, same language
    # Its one recommendation, with the qualifier the source gives it there.
    assert "2018/38" in text and "2018/35" not in text
    assert "(précision: comme Bruxelles)" in " ".join(text.split())
    _, police = page(client, "/actor/police?lang=en")
    assert "Local police services of major cities" in "".join(police.text)  # a part


def test_an_actors_listing_shows_its_qualifiers_where_the_source_gives_them(client) -> None:
    body = client.get(
        "/actor/cellule-interdepartementale-de-coordination?lang=en",
        headers={"Accept": "text/html"},
    ).get_data(as_text=True)
    items = dict(re.findall(r'<li id="r2018-(\d+)">(.*?)</li>', body, re.S))
    # The annex names the Cellule in the addressee cell of 2018/32-37, 39 and 41.
    assert set(items) == {"32", "33", "34", "35", "36", "37", "39", "41"}
    qualified = {n for n, item in items.items() if 'class="qualifier"' in item}
    assert qualified == {"33"}  # 2018/33: "CIC (niveau politique)"
    assert '(qualified as: <span lang="fr">niveau politique</span>)' in items["33"]


def test_theme_page(client) -> None:
    _, parsed = page(client, "/theme/traite-des-etres-humains?lang=en")
    text = "".join(parsed.text)
    hrefs = {href for href, _ in parsed.links}
    assert "http://data.europa.eu/eli/dir/2011/36/oj" in hrefs
    assert any(h.startswith("http://eurovoc.europa.eu/") for h in hrefs)
    assert "Improving the detection and protection of minor victims" in text  # narrower
    _, section = page(client, "/theme/casser-le-business-model-des-passeurs")
    assert "TRAFIC D'ÊTRES HUMAINS : CASSER LE BUSINESS MODEL DES PASSEURS" in "".join(section.text)


def test_ontology_page_documents_every_term(client, app) -> None:
    body, parsed = page(client, "/ontology?lang=en")
    text = "".join(parsed.text)
    ontology: Graph = app.extensions["thbkg.catalogue"].ontology
    for term in set(ontology.subjects(RDFS.isDefinedBy, None)):
        if not str(term).startswith(str(THB)):
            continue
        anchor = str(term).rpartition("#")[2]
        assert f'id="{anchor}"' in body
        for label in ontology.objects(term, RDFS.label):
            assert str(label) in text, (term, label)
        for comment in ontology.objects(term, RDFS.comment):
            assert str(comment) in text, (term, comment)
    assert "Domain" in text and "Range" in text
    assert 'href="#Recommendation"' in body  # the table of contents
    assert ("/ontology?lang=en#Recommendation", "Recommendation") in parsed.links  # a domain


def test_shapes_page_says_constraints_in_words(client, app) -> None:
    body, parsed = page(client, "/shapes?lang=en")
    text = html.unescape("".join(parsed.text))
    shapes: Graph = app.extensions["thbkg.catalogue"].shapes
    for message in shapes.objects(None, SH.message):
        assert str(message) in text, message
    assert "exactly 1 value(s)" in text
    assert "at most one per language" in text
    assert "Every instance of" in text
    _, fr = page(client, "/shapes?lang=fr")
    assert "exactement 1 valeur(s)" in "".join(fr.text)


def test_dataset_page(client) -> None:
    _, parsed = page(client, "/dataset?lang=en")
    text = "".join(parsed.text)
    assert "Myria's recommendations on trafficking and smuggling of human beings" in text
    assert "text/turtle" in text and "application/trig" in text
    assert "https://w3id.org/thbkg/sparql" in text
    assert "Knowledge graph of the recommendations that Myria" in text  # the description


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/graph/data?lang=en", "https://w3id.org/thbkg/graph/data"),
        ("/level/federal?lang=en", "Federal"),
        ("/level/federal?lang=fr", "Fédéral"),
        ("/report/mineurs-en-danger-majeur?lang=fr", "Mineurs en danger majeur"),
    ],
)
def test_other_pages(client, path, heading) -> None:
    body, _ = page(client, path)
    h1 = body.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert heading in h1, (path, h1)


@pytest.fixture(scope="module")
def hostile_client(settings, tmp_path_factory):
    """An app over data whose labels and texts carry markup, to prove that pages escape."""
    data = Graph()
    data.parse(ROOT / "data" / "annex2018.ttl")
    police = URIRef(BASE + "actor/police")
    data.remove((police, SKOS.prefLabel, Literal("Police", lang="en")))
    data.add((police, SKOS.prefLabel, Literal('<script>alert("x")</script>', lang="en")))
    rec = URIRef(BASE + "recommendation/2018-35")
    data.set((rec, THB.text, Literal("<b>bold</b> & <i>more</i>", lang="fr")))
    path: Path = tmp_path_factory.mktemp("hostile") / "hostile.ttl"
    data.serialize(path, format="turtle")
    custom = settings.with_overrides(data=(path,), inferred=())
    app = create_app(custom, built_site(custom, path.parent))
    return app.test_client()


@pytest.mark.parametrize(
    "path", ["/", "/actor/police", "/recommendation/2018-35", "/?actor=police"]
)
def test_every_value_is_escaped(hostile_client, path) -> None:
    body = hostile_client.get(
        path + "?lang=en" if "?" not in path else path + "&lang=en", headers=HTML_ACCEPT
    ).get_data(as_text=True)
    assert "<script>alert" not in body
    assert "<b>bold</b>" not in body
    assert "&lt;" in body


def test_recommendation_page_shows_mentions_and_inferred_concerns(client) -> None:
    _, parsed = page(client, "/recommendation/2018-38?lang=en")
    text = "".join(parsed.text)
    assert "Concerns" in text
    assert ("/actor/police?lang=en", "Police") in parsed.links  # via local police services
    _, nigeria = page(client, "/recommendation/2018-35?lang=en")
    hrefs = {href for href, _ in nigeria.links}
    assert "http://publications.europa.eu/resource/authority/country/NGA" in hrefs
    assert "Nigeria" in "".join(nigeria.text)


def test_ontology_page_names_external_classes_by_prefixed_name(client) -> None:
    _, parsed = page(client, "/ontology?lang=en")
    texts_of_links = {text for _, text in parsed.links}
    assert "prov:Agent" in texts_of_links and "foaf:Agent" in texts_of_links
    assert not any(t.startswith("http") for t in texts_of_links)


def test_one_translation_table_with_every_word_in_both_languages() -> None:
    # Regression: a check that an old private table was gone could not fail once it was. What
    # matters is that every word a page or a view asks for is in the table, in both languages.
    import re

    from publish.web import docs
    from publish.web.i18n import MESSAGES

    assert set(MESSAGES["en"]) == set(MESSAGES["fr"])
    web = Path(docs.__file__).parent
    sources = [*web.glob("*.py"), *web.glob("templates/*.html")]
    asked = {
        key
        for source in sources
        for key in re.findall(
            r"""\bt\(\s*['"]([a-z_]+)['"]\s*[,)]""", source.read_text(encoding="utf-8")
        )
    }
    assert {"exactly", "subjects", "equivalent_to", "home"} <= asked
    assert asked - set(MESSAGES["en"]) == set()


def test_page_frames_are_translated(client) -> None:
    _, graph = page(client, "/graph/data?lang=fr")
    text = "".join(graph.text)
    assert "sujets" in text and "Données : rapports annuels de Myria" in text
    _, ontology = page(client, "/ontology?lang=fr")
    assert "Termes externes" in "".join(ontology.text)
    _, english = page(client, "/ontology?lang=en")
    assert "External terms" in "".join(english.text)


@pytest.fixture(scope="module")
def many_client(settings, tmp_path_factory):
    """An app over the 2018 recommendations copied under five more years: 66 in all, more than
    one page of a listing."""
    source = (ROOT / "data" / "annex2018.ttl").read_text(encoding="utf-8")
    graph = Graph().parse(data=source, format="turtle")
    for year in range(2019, 2024):
        text = source.replace("recommendation/2018-", f"recommendation/{year}-")
        text = text.replace('"2018/', f'"{year}/').replace(
            '"2018"^^xsd:gYear', f'"{year}"^^xsd:gYear'
        )
        graph.parse(data=text, format="turtle")
    path: Path = tmp_path_factory.mktemp("many") / "many.ttl"
    graph.serialize(path, format="turtle")
    custom = settings.with_overrides(data=(path,), inferred=())
    return create_app(custom, built_site(custom, path.parent)).test_client()


def test_listings_are_paginated(many_client) -> None:
    body, links = page(many_client, "/")
    assert body.count('class="identifier"') == 50
    assert "2018/32" in body and "2023/42" not in body
    assert ("/?page=2", "Next") in links.links
    second, _ = page(many_client, "/?page=2")
    assert second.count('class="identifier"') == 16
    assert "2023/42" in second and "2018/32" not in second
    year, _ = page(many_client, "/?year=2020")
    assert year.count('class="identifier"') == 11
    actor, _ = page(many_client, "/actor/cellule-interdepartementale-de-coordination")
    total = int(re.search(r"Recommendations \((\d+)\)", actor).group(1))
    assert total % 6 == 0 and actor.count('class="identifier"') == min(50, total)


@pytest.mark.parametrize("value", ["0", "-1", "two", "9999999"])
def test_a_page_that_is_no_page_number_is_a_400(client, value) -> None:
    response = client.get("/", query_string={"page": value}, headers=HTML_ACCEPT)
    assert response.status_code == 400
