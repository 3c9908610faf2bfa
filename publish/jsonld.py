"""JSON-LD with our published context, so that a recommendation reads as plain JSON.

The context is served at ``/context.jsonld`` and embedded by value in every JSON-LD document we
write, so a document parses offline (no processor has to fetch the context over the network).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rdflib import Graph
from rdflib.namespace import XSD

from .namespaces import BASE, PREFIXES

_DC = "dcterms:"


def _iri(term: str) -> dict[str, str]:
    return {"@id": term, "@type": "@id"}


def _languages(term: str) -> dict[str, str]:
    return {"@id": term, "@container": "@language"}


def _french(term: str) -> dict[str, str]:
    return {"@id": term, "@language": "fr"}


def _typed(term: str, datatype: str) -> dict[str, str]:
    return {"@id": term, "@type": str(XSD[datatype])}


# Plain-JSON names for the terms a researcher meets; everything else compacts to a prefixed name.
TERMS: dict[str, object] = {
    "id": "@id",
    "type": "@type",
    # classes
    "Recommendation": "thb:Recommendation",
    "Theme": "thb:Theme",
    "Actor": "thb:Actor",
    "Report": "thb:Report",
    "Addressing": "thb:Addressing",
    # recommendations
    "identifier": _DC + "identifier",
    "year": _typed("thb:year", "gYear"),
    "sequence": _typed("thb:sequence", "positiveInteger"),
    "text": _french("thb:text"),
    "translation": _languages("thb:translation"),
    "label": _languages("rdfs:label"),
    "theme": _iri("thb:theme"),
    "addressedTo": _iri("thb:addressedTo"),
    "concerns": _iri("thb:concerns"),
    "qualifiedAddressing": {"@id": "thb:qualifiedAddressing"},
    "actor": _iri("thb:actor"),
    "qualifier": _french("thb:qualifier"),
    "addresseeText": _french("thb:addresseeText"),
    "isPartOf": _iri(_DC + "isPartOf"),
    "mentions": _iri("thb:mentions"),
    # themes, actors, schemes
    "prefLabel": _languages("skos:prefLabel"),
    "altLabel": _languages("skos:altLabel"),
    "hiddenLabel": _languages("skos:hiddenLabel"),
    "definition": _languages("skos:definition"),
    "scopeNote": _languages("skos:scopeNote"),
    "headingText": _french("thb:headingText"),
    "broader": _iri("skos:broader"),
    "inScheme": _iri("skos:inScheme"),
    "topConceptOf": _iri("skos:topConceptOf"),
    "hasTopConcept": _iri("skos:hasTopConcept"),
    "exactMatch": _iri("skos:exactMatch"),
    "closeMatch": _iri("skos:closeMatch"),
    "broadMatch": _iri("skos:broadMatch"),
    "narrowMatch": _iri("skos:narrowMatch"),
    "relatedMatch": _iri("skos:relatedMatch"),
    "legalDefinition": _iri("thb:legalDefinition"),
    "subOrganizationOf": _iri("org:subOrganizationOf"),
    "level": _iri("thb:level"),
    # reports
    "title": _languages(_DC + "title"),
    "alternative": _languages(_DC + "alternative"),
    "publisher": _iri(_DC + "publisher"),
    "issued": _typed(_DC + "issued", "date"),
    "language": _iri(_DC + "language"),
}


def context() -> dict[str, Any]:
    """The published JSON-LD context: our prefixes, then the plain-JSON names above."""
    prefixes: dict[str, object] = {p: str(ns) for p, ns in PREFIXES.items()}
    return {"@context": {**prefixes, **TERMS}}


def _embed(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nest each blank node referenced exactly once into its referrer, as plain JSON would."""
    blanks = {n["id"]: n for n in nodes if str(n.get("id", "")).startswith("_:")}
    uses: dict[str, int] = {}

    def count(value: object) -> None:
        if isinstance(value, dict):
            if set(value) == {"id"} and value["id"] in blanks:
                uses[value["id"]] = uses.get(value["id"], 0) + 1
            for inner in value.values():
                count(inner)
        elif isinstance(value, list):
            for inner in value:
                count(inner)

    for node in nodes:
        for key, value in node.items():
            if key != "id":
                count(value)
    inline = {b for b, n in uses.items() if n == 1}

    def replace(value: object) -> object:
        if isinstance(value, dict):
            if set(value) == {"id"} and value["id"] in inline:
                node = blanks[value["id"]]
                return {k: replace(v) for k, v in node.items() if k != "id"}
            return {k: replace(v) for k, v in value.items()}
        if isinstance(value, list):
            return [replace(v) for v in value]
        return value

    return [replace(n) for n in nodes if n.get("id") not in inline]


def _sort_key(node: dict[str, Any]) -> tuple[int, str]:
    """Our own resources first, so the document starts with what it is about."""
    node_id = str(node.get("id", ""))
    return (0 if node_id.startswith(BASE) else 1, node_id)


def _nodes(graph: Graph, ctx: dict[str, Any], first: str | None) -> list[dict[str, Any]]:
    """The compacted node objects of ``graph``, blank nodes nested, ``first`` first."""
    raw = graph.serialize(format="json-ld", context=ctx, auto_compact=False)
    compact = json.loads(raw)
    nodes = compact.get("@graph", [compact] if len(compact) > 1 else [])
    nodes = [{k: v for k, v in n.items() if k != "@context"} for n in nodes]
    return sorted(_embed(nodes), key=lambda n: (n.get("id") != first, *_sort_key(n)))


def to_jsonld(
    graph: Graph, *, first: str | None = None, named: Mapping[str, Graph] | None = None
) -> str:
    """``graph`` as compact JSON-LD with our context embedded; ``first`` is listed first. Each
    non-empty graph of ``named`` (name -> graph) follows as a named graph (a graph object)."""
    ctx = context()["@context"]
    nodes = _nodes(graph, ctx, first)
    for name, part in (named or {}).items():
        if len(part):
            nodes.append({"id": name, "@graph": _nodes(part, ctx, first)})
    return json.dumps({"@context": ctx, "@graph": nodes}, ensure_ascii=False, indent=2) + "\n"
