"""The curators' tags of a recommendation with their evidence, as a page shows them (issue 10).

The query is SPARQL text with the recommendation bound, read through the store interface
(``Store.select(query, recommendation=...)``), embedded or remote.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rdflib import URIRef
from rdflib.term import Identifier

from .namespaces import THB

# What each kind of annotation documents, in the order pages show them.
KINDS = (
    ("subjects", THB.SubjectAnnotation),
    ("groups", THB.GroupAnnotation),
    ("actions", THB.ActionAnnotation),
    ("legal_anchors", THB.LegalAnchor),
)

# The curators' tags of one recommendation (?recommendation, bound), each with its evidence,
# the text the evidence is in and, for a legal anchor, the article.
TAGS_QUERY = """
PREFIX thb: <https://w3id.org/thbkg/ontology#>
SELECT ?kind ?tag ?article ?where ?evidence WHERE {
  ?recommendation thb:annotation ?annotation .
  ?annotation a ?kind ; thb:tag ?tag ; thb:evidence ?evidence ; thb:evidenceIn ?where .
  FILTER (?kind IN (thb:SubjectAnnotation, thb:GroupAnnotation, thb:ActionAnnotation,
                    thb:LegalAnchor))
  OPTIONAL { ?annotation thb:article ?article }
}
"""

Select = Callable[..., list[dict[str, Identifier]]]


@dataclass(frozen=True)
class Tag:
    """One tag as a reader sees it: the concept or act, the article, and the words it rests on."""

    value: URIRef
    article: int | None
    where: URIRef
    evidence: tuple[str, ...]


def tags(select: Select, recommendation: URIRef) -> list[tuple[str, list[Tag]]]:
    """The kinds of tag the recommendation has, each with its tags in a stable order."""
    found: dict[tuple, list[str]] = {}
    for row in select(TAGS_QUERY, recommendation=recommendation):
        article = row.get("article")
        key = (row["kind"], row["tag"], int(article) if article is not None else None, row["where"])
        found.setdefault(key, []).append(str(row["evidence"]))
    by_kind: list[tuple[str, list[Tag]]] = []
    for name, kind in KINDS:
        items = [
            Tag(tag, article, where, tuple(sorted(words)))
            for (k, tag, article, where), words in found.items()
            if k == kind
        ]
        if items:
            by_kind.append((name, sorted(items, key=lambda t: (str(t.value), t.article or 0))))
    return by_kind
