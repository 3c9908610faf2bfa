"""Link traversal, as Comunica's follow-all-links does: dereference an IRI, follow every IRI of
our URI space in what comes back, and see which recommendations are reached. Whole-graph
documents (``graph/*``, downloads, the endpoint) are not followed, so only descriptions count.

Regression (issue 11): from an actor, a theme, the report or the dataset nothing was reached,
because their descriptions carried no link to the recommendations that point at them.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from publish.namespaces import BASE, THB

SKIP = (BASE + "graph/", BASE + "download/", BASE + "sparql")


def reached(client, start: str, limit: int = 400) -> set[str]:
    """The recommendations whose own description was fetched, starting from ``start``."""
    seen: set[str] = set()
    queue = [BASE + start]
    found: set[str] = set()
    while queue and len(seen) < limit:
        iri = queue.pop(0)
        if iri in seen:
            continue
        seen.add(iri)
        response = client.get("/" + iri[len(BASE) :], headers={"Accept": "text/turtle"})
        if response.status_code != 200:
            continue
        graph = Graph().parse(data=response.data, format="turtle")
        if (URIRef(iri), RDF.type, THB.Recommendation) in graph:
            found.add(iri[len(BASE) :])
        for term in graph.all_nodes():
            text = str(term).split("#", 1)[0]
            if isinstance(term, URIRef) and text.startswith(BASE) and not text.startswith(SKIP):
                queue.append(text)
    return found


def recs(*numbers: int) -> set[str]:
    return {f"recommendation/2018-{n}" for n in numbers}


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("dataset", recs(*range(32, 43))),  # via the report the dataset is derived from
        ("report/mineurs-en-danger-majeur", recs(*range(32, 43))),
        ("theme/scheme", recs(*range(32, 43))),
        ("actor/police", recs(35, 36)),  # addressed to the police itself (and more, below it)
    ],
)
def test_every_recommendation_is_reached(client, start: str, expected) -> None:
    assert reached(client, start) >= expected


def test_a_theme_and_an_actor_lead_to_their_recommendations(client) -> None:
    # Worked out from the annex: the first section holds 2018/32-38, the second 39-42. Each
    # theme's description links (incoming thb:theme) to its recommendations.
    response = client.get("/theme/scheme.ttl")
    scheme = Graph().parse(data=response.data, format="turtle")
    sections = {
        str(s)[len(BASE) :]
        for s in scheme.subjects(URIRef("http://www.w3.org/2004/02/skos/core#inScheme"), None)
    }
    assert sections
    by_theme: dict[str, set[str]] = {}
    for theme in sections:
        graph = Graph().parse(data=client.get(f"/{theme}.ttl").data, format="turtle")
        by_theme[theme] = {
            str(s)[len(BASE) :] for s in graph.subjects(THB.theme, URIRef(BASE + theme))
        }
    assert sorted(by_theme.values(), key=len)[-2:] == [recs(39, 40, 41, 42), recs(*range(32, 39))]
    # The CIC is addressed by 2018/32, 33, 34, 35, 36, 37, 39 and 41 (the annex's addressees).
    cic = "actor/cellule-interdepartementale-de-coordination"
    graph = Graph().parse(data=client.get(f"/{cic}.ttl").data, format="turtle")
    addressed = {str(s)[len(BASE) :] for s in graph.subjects(THB.addressedTo, URIRef(BASE + cic))}
    assert addressed == recs(32, 33, 34, 35, 36, 37, 39, 41)
    assert reached(client, cic) >= addressed
