"""The search and facet index (publish/search.py, publish/facets.py) on the 2018 annex.

Expected values are worked out by hand from data/sources/annex2018.fr.txt (texts and the
addressee column) and data/authorities.ttl (labels, hierarchy, levels), not from the index:
32 CIC, Tutelles | 33 CIC | 34 CIC | 35 Police, Réseau, CIC | 36 CIC, Police | 37 CIC |
38 Police locale, Autorités locales GV | 39 CIC, Min. Intérieur, Min. Justice, gouverneurs,
bourgmestres | 40 Réseau, Parquet fédéral, Magistrats de référence | 41 CIC | 42 Réseau,
Services de formation de la police. Sections: 32-38 minor victims, 39-42 smugglers.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from publish.namespaces import BASE
from publish.search import build_index
from publish.search_index import SearchIndex, Selection, highlight, words

from .conftest import union_graph

ACTOR = BASE + "actor/"
THEME = BASE + "theme/"
LEVEL = BASE + "level/"
MINORS = THEME + "ameliorer-la-detection-et-la-protection-des-victimes-mineures-d-age"
SMUGGLERS = THEME + "casser-le-business-model-des-passeurs"
TRAFFICKING = THEME + "traite-des-etres-humains"


def ids(*numbers: int) -> list[str]:
    return [f"2018/{n}" for n in numbers]


@pytest.fixture(scope="module")
def index(app) -> SearchIndex:
    return app.extensions["thbkg.search"]


def found(index: SearchIndex, **selection: object) -> list[str]:
    return sorted(h.identifier for h in index.search(Selection(**selection), limit=None))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("nigérianes", ids(35, 36, 37)),
        ("nigeriane", ids(35, 36, 37)),  # no accent, singular
        ("NIGÉRIANE", ids(35, 36, 37)),  # case
        ("mineur", ids(32, 33, 34, 35, 36, 37, 38)),  # "mineures", "mineurs", the section title
        ("esperanto", ids(33)),
        ("bruxelles", ids(38)),  # the verbatim addressee cell: "comme Bruxelles"
        ("tutelles", ids(32, 35)),  # 32 addressed to the service, 35's text names the guardians
        ("guardianship", ids(32)),  # the English label of the Service des Tutelles
        ("voogdij", ids(32)),  # its Dutch label, Dienst Voogdij
        ("bourgmestres gouverneurs", ids(39)),  # every word must match
        ("passeurs", ids(39, 40, 41, 42)),  # the theme's label
        ("zzzz", []),
    ],
)
def test_search_finds_by_text_cell_and_labels(index: SearchIndex, q: str, expected: list) -> None:
    assert found(index, q=q) == expected
    assert index.count(Selection(q=q)) == len(expected)


@pytest.mark.parametrize("q", ['"', "OR", "x AND", "a* NEAR(b", "col : x", "^", "-", "\x01"])
def test_fts_syntax_in_a_query_is_just_words(index: SearchIndex, q: str) -> None:
    """Regression guard: FTS5 operators typed by a user are never FTS5 syntax."""
    index.search(Selection(q=q))
    index.count(Selection(q=q))
    index.facets(Selection(q=q))


def test_ranking_puts_texts_that_say_it_first(index: SearchIndex) -> None:
    """ "police": 35 and 38 say it in their text and their addressee cell, so they rank first;
    36 (the cell only), 39 (the text only) and 42 (in a longer name) follow."""
    hits = [h.identifier for h in index.search(Selection(q="police"))]
    assert sorted(hits) == ids(35, 36, 38, 39, 42)
    assert sorted(hits[:2]) == ids(35, 38)
    assert words('Mineurs "non-accompagnés" OR x*') == ["Mineurs", "non", "accompagnés", "OR", "x"]


def test_highlights_are_escaped_and_mark_inflections() -> None:
    marked = highlight("<b>Victimes</b> nigérianes & mineures", "victime nigeriane")
    assert str(marked) == (
        "&lt;b&gt;<mark>Victimes</mark>&lt;/b&gt; <mark>nigérianes</mark> &amp; mineures"
    )
    assert str(highlight("a <script>", "")) == "a &lt;script&gt;"


def test_facets_count_by_hand(index: SearchIndex) -> None:
    facets = index.facets(Selection())
    assert facets["theme"] == {
        MINORS: 7,
        SMUGGLERS: 4,
        TRAFFICKING: 7,
        THEME + "trafic-d-etres-humains": 4,
    }
    actors = facets["actor"]
    assert actors[ACTOR + "cellule-interdepartementale-de-coordination"] == 8
    assert actors[ACTOR + "police"] == 4  # 35, 36 by name; 38 local services; 42 training
    assert actors[ACTOR + "magistrature"] == 3  # 35, 40, 42 through the Réseau and the parquet
    assert actors[ACTOR + "ministere-public"] == 1  # 40
    assert actors[ACTOR + "service-public-federal-justice"] == 1  # 32 via the Tutelles
    assert ACTOR + "myria-centre-federal-migration" not in actors
    assert facets["level"] == {LEVEL + "federal": 9, LEVEL + "local": 4}
    assert facets["year"] == {2018: 11}


def test_facets_combine_with_each_other_and_q(index: SearchIndex) -> None:
    police = Selection(actor=ACTOR + "police")
    assert found(index, actor=ACTOR + "police") == ids(35, 36, 38, 42)
    facets = index.facets(police)
    assert facets["theme"][MINORS] == 3 and facets["theme"][SMUGGLERS] == 1
    assert facets["level"] == {LEVEL + "federal": 2, LEVEL + "local": 3}  # 35, 36 | 35, 36, 38
    # the actor facet ignores its own choice: choosing another actor gives its full count
    assert facets["actor"][ACTOR + "cellule-interdepartementale-de-coordination"] == 8
    both = Selection(q="mineur", actor=ACTOR + "police", level=LEVEL + "local")
    assert found(index, **both.__dict__) == ids(35, 36, 38)
    assert index.facets(both)["year"] == {2018: 3}
    assert found(index, theme=TRAFFICKING, year=2018) == ids(32, 33, 34, 35, 36, 37, 38)
    assert (
        index.addressed(Selection(theme=SMUGGLERS))[
            ACTOR + "reseau-d-expertise-traite-et-trafic-d-etres-humains-de-la-magistrature"
        ]
        == 2
    )  # 40, 42


def test_labels_and_fallbacks(index: SearchIndex) -> None:
    assert index.label(ACTOR + "service-des-tutelles", "nl") == ("Dienst Voogdij", "nl")
    text, lang = index.label(MINORS, "nl")  # no Dutch label for the section themes
    assert lang == "en" and text.startswith("Improving")


def test_build_is_atomic_and_complete(tmp_path: Path, site, knowledge) -> None:
    """The index directory appears whole (written beside, then renamed)."""
    path = tmp_path / "search"
    union = union_graph(knowledge)
    assert build_index(site.store, path) == 11
    assert build_index(site.store, path) == 11  # over an older one
    assert not (tmp_path / "search.tmp").exists() and not (tmp_path / "search.old").exists()
    db = sqlite3.connect(path / "records.sqlite")
    texts = {iri: text for iri, text in db.execute("SELECT iri, text FROM recs")}
    db.close()
    from rdflib import URIRef

    from publish.namespaces import THB

    for iri, text in texts.items():  # verbatim, character for character
        assert text == str(union.value(URIRef(iri), THB.text))
    with pytest.raises(FileNotFoundError):
        SearchIndex(tmp_path / "missing")
