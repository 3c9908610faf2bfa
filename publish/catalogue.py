"""What the linked-data server publishes, indexed once at start-up: resources, labels, listings.

A request only looks things up here and serialises; nothing is parsed or computed from files
while it waits. Serialisations are memoised (the graph never changes while the server runs).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, RDF, RDFS, SKOS

from .describe import (
    DOWNLOAD_FORMATS,
    describe_dataset,
    download_path,
    statistics,
    union_graph,
)
from .formats import DATASET_FORMATS, JSONLD, Format
from .graph import KnowledgeGraph
from .jsonld import context, to_jsonld
from .namespaces import (
    BASE,
    DATA_GRAPH,
    DATASET,
    INFERRED_GRAPH,
    ONTOLOGY,
    ONTOLOGY_GRAPH,
    SHAPES,
    THB,
    bind_prefixes,
    short,
)

# The properties whose values name a resource, most preferred first.
LABEL_PROPERTIES = (SKOS.prefLabel, RDFS.label, DCTERMS.title)
LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Recommendation:
    """One row of the landing page, in source order."""

    iri: URIRef
    identifier: str
    text: str
    year: int
    sequence: int
    theme: URIRef | None
    addressees: tuple[URIRef, ...]


def path_of(iri: object) -> str | None:
    """The request path of one of our resources (``recommendation/2018-32``), else None."""
    text = str(iri)
    if not isinstance(iri, URIRef) or not text.startswith(BASE) or "#" in text:
        return None
    return text[len(BASE) :]


def _copy(graph: Graph) -> Graph:
    """A plain graph with our prefixes holding the triples of ``graph``."""
    copy = bind_prefixes(Graph())
    copy += graph
    return copy


def serialise(graph: Graph, fmt: Format, *, first: str | None = None) -> bytes:
    """``graph`` in an RDF format, as UTF-8 bytes; JSON-LD carries our context."""
    if fmt == JSONLD:
        return to_jsonld(graph, first=first).encode("utf-8")
    return graph.serialize(format=fmt.rdflib, encoding="utf-8")


class Catalogue:
    """The published resources of one KnowledgeGraph, with their descriptions and labels."""

    def __init__(self, knowledge: KnowledgeGraph) -> None:
        self.knowledge = knowledge
        self.union = union_graph(knowledge)
        self.stats = statistics(knowledge, self.union)
        files = {fmt: self.download(fmt) for fmt in DOWNLOAD_FORMATS}
        self.description = describe_dataset(knowledge, self.union, self.stats, files)
        self.shapes = knowledge.shapes
        self.ontology = _copy(knowledge.graph(ONTOLOGY_GRAPH))
        # Document-like resources serve a whole graph; every other resource its description.
        self.documents: dict[str, Callable[[], Graph]] = {
            "ontology": lambda: self.ontology,
            "shapes": lambda: self.shapes,
            "dataset": lambda: self.description,
            "graph/data": lambda: self._named(DATA_GRAPH),
            "graph/ontology": lambda: self._named(ONTOLOGY_GRAPH),
            "graph/inferred": lambda: self._named(INFERRED_GRAPH),
        }
        version = self.ontology.value(ONTOLOGY, OWL.versionIRI)
        if path_of(version):
            self.documents[path_of(version)] = self.documents["ontology"]
        self.things: dict[str, URIRef] = {}
        for subject in set(self.union.subjects()):
            path = path_of(subject)
            if path and path not in self.documents:
                self.things[path] = subject
        self._labels = self._index_labels()
        self.recommendations = self._recommendations()

    # ------------------------------------------------------------------ lookup

    def iri(self, path: str) -> URIRef | None:
        """The resource a request path names, or None when we publish no such resource."""
        if path in self.documents:
            return {"ontology": ONTOLOGY, "shapes": SHAPES, "dataset": DATASET}.get(
                path, URIRef(BASE + path)
            )
        return self.things.get(path)

    def paths(self) -> list[str]:
        """Every path that dereferences, documents first."""
        return [*self.documents, *sorted(self.things)]

    def kind(self, path: str) -> str:
        """The page template family of a resource: recommendation, actor, theme, ... resource."""
        if path in self.documents:
            return "graph" if path.startswith("graph/") else path.split("/")[0]
        iri = self.things[path]
        types = set(self.union.objects(iri, RDF.type))
        for cls, kind in (
            (THB.Recommendation, "recommendation"),
            (THB.Actor, "actor"),
            (THB.Theme, "theme"),
            (THB.Report, "report"),
            (SKOS.ConceptScheme, "scheme"),
        ):
            if cls in types:
                return kind
        return "resource"

    # ------------------------------------------------------------------ descriptions

    def _named(self, name: URIRef) -> Graph:
        return _copy(self.knowledge.graph(name))

    def describe(self, iri: URIRef) -> Graph:
        """Concise Bounded Description of ``iri`` plus the labels of the resources it links to."""
        described = bind_prefixes(Graph())
        described += self.union.cbd(iri)
        linked = {o for o in described.objects() if isinstance(o, URIRef)}
        for node in linked:
            for prop in LABEL_PROPERTIES:
                for label in self.union.objects(node, prop):
                    described.add((node, prop, label))
        return described

    def graph_of(self, path: str) -> Graph:
        """The graph a path serves: a whole document, or a resource's description."""
        if path in self.documents:
            return self.documents[path]()
        return self.describe(self.things[path])

    @lru_cache(maxsize=4096)  # noqa: B019 - the catalogue lives as long as the app
    def representation(self, path: str, fmt: Format) -> bytes:
        """The bytes of a resource in an RDF format, computed once per (path, format)."""
        iri = self.iri(path)
        return serialise(self.graph_of(path), fmt, first=str(iri) if iri else None)

    @lru_cache(maxsize=16)  # noqa: B019
    def download(self, fmt: Format) -> bytes:
        """The whole published graph; TriG and N-Quads keep the named graphs."""
        if fmt in DATASET_FORMATS:
            return self.knowledge.dataset.serialize(format=fmt.rdflib, encoding="utf-8")
        return serialise(self.union, fmt)

    @cached_property
    def context_document(self) -> str:
        """The published JSON-LD context (``/context.jsonld``), written once."""
        return json.dumps(context(), ensure_ascii=False, indent=2) + "\n"

    def downloads(self) -> list[tuple[Format, str]]:
        """Each download format with its path, for the pages that list them."""
        return [(fmt, download_path(fmt)) for fmt in DOWNLOAD_FORMATS]

    # ------------------------------------------------------------------ labels

    def _index_labels(self) -> dict[object, dict[str, str]]:
        index: dict[object, dict[str, str]] = {}
        for graph in (self.description, self.union, self.shapes):
            for prop in reversed(LABEL_PROPERTIES):  # preferred properties overwrite
                for subject, label in graph.subject_objects(prop):
                    if isinstance(label, Literal):
                        index.setdefault(subject, {})[label.language or ""] = str(label)
        return index

    def label(self, node: object, lang: str) -> str:
        """A label in ``lang``, else in the other language, else untagged, else a short name."""
        labels = self._labels.get(node, {})
        for candidate in (lang, *LANGUAGES, ""):
            if candidate in labels:
                return labels[candidate]
        if labels:
            return next(iter(sorted(labels.items())))[1]
        if isinstance(node, URIRef) and str(node).startswith(BASE):
            return str(node)[len(BASE) :]
        if isinstance(node, URIRef):
            return short(node, brackets=False)
        return str(node)

    def labels(self, node: object) -> dict[str, str]:
        """Every label of ``node`` by language tag ('' for untagged)."""
        return dict(self._labels.get(node, {}))

    # ------------------------------------------------------------------ listings

    def _recommendations(self) -> list[Recommendation]:
        rows = []
        g = self.union
        for iri in set(g.subjects(RDF.type, THB.Recommendation)):
            year, sequence = g.value(iri, THB.year), g.value(iri, THB.sequence)
            rows.append(
                Recommendation(
                    iri=iri,
                    identifier=str(g.value(iri, DCTERMS.identifier) or ""),
                    text=str(g.value(iri, THB.text) or ""),
                    year=int(str(year)) if year is not None else 0,
                    sequence=int(str(sequence)) if sequence is not None else 0,
                    theme=g.value(iri, THB.theme),
                    addressees=tuple(sorted(g.objects(iri, THB.addressedTo))),
                )
            )
        return sorted(rows, key=lambda r: (r.year, r.sequence, r.identifier))

    def instances(self, cls: URIRef) -> list[URIRef]:
        """Our named members of ``cls`` in IRI order, so listings are stable between runs."""
        return list(self._instances(cls))

    @lru_cache(maxsize=64)  # noqa: B019 - the catalogue lives as long as the app
    def _instances(self, cls: URIRef) -> tuple[URIRef, ...]:
        members = set(self.union.subjects(RDF.type, cls))
        return tuple(sorted(s for s in members if isinstance(s, URIRef)))

    @cached_property
    def counts(self) -> dict[str, int]:
        """How many recommendations, themes, actors and reports: the landing page's headline."""
        return {
            "recommendations": len(self.recommendations),
            "themes": len(self._instances(THB.Theme)),
            "actors": len(self._instances(THB.Actor)),
            "reports": len(self._instances(THB.Report)),
        }

    @cached_property
    def theme_tree(self) -> list[tuple[URIRef, list[URIRef]]]:
        """Top themes (phenomena) with the section themes under them."""
        themes = self._instances(THB.Theme)
        broader = {t: self.union.value(t, SKOS.broader) for t in themes}
        return [
            (top, [t for t in themes if broader[t] == top]) for top in themes if not broader[top]
        ]

    @lru_cache(maxsize=8)  # noqa: B019
    def actors_by_label(self, lang: str) -> tuple[URIRef, ...]:
        """Every actor, sorted by its label in ``lang`` (the landing page's actor filter)."""
        return tuple(
            sorted(self._instances(THB.Actor), key=lambda a: self.label(a, lang).casefold())
        )

    def _below(self, node: URIRef, prop: URIRef) -> set[URIRef]:
        """``node`` and every resource that reaches it through ``prop``, transitively."""
        found = {node}
        frontier = [node]
        while frontier:
            for child in self.union.subjects(prop, frontier.pop()):
                if child not in found and isinstance(child, URIRef):
                    found.add(child)
                    frontier.append(child)
        return found

    def parts(self, actor: URIRef) -> set[URIRef]:
        """``actor`` and every actor that is part of it, transitively."""
        return self._below(actor, ORG.subOrganizationOf)

    def ancestors(self, actor: URIRef) -> list[URIRef]:
        """The chain of organisations ``actor`` is part of, nearest first."""
        chain: list[URIRef] = []
        node = self.union.value(actor, ORG.subOrganizationOf)
        while isinstance(node, URIRef) and node not in chain and node != actor:
            chain.append(node)
            node = self.union.value(node, ORG.subOrganizationOf)
        return chain

    def filtered(
        self, theme: URIRef | None = None, actor: URIRef | None = None, year: int | None = None
    ) -> list[Recommendation]:
        """Recommendations in a theme (or below it), to an actor (or its parts), of a year."""
        themes = self.narrower(theme) if theme is not None else None
        actors = self.parts(actor) if actor is not None else None
        return [
            r
            for r in self.recommendations
            if (themes is None or r.theme in themes)
            and (actors is None or actors.intersection(r.addressees))
            and (year is None or r.year == year)
        ]

    def narrower(self, theme: URIRef) -> set[URIRef]:
        """``theme`` and every theme below it."""
        return self._below(theme, SKOS.broader)

    def years(self) -> list[int]:
        """The years that have recommendations: the values the year filter accepts."""
        return list(self._years)

    @cached_property
    def _years(self) -> tuple[int, ...]:
        return tuple(sorted({r.year for r in self.recommendations}))

    def incoming(self, iri: URIRef) -> Iterator[tuple[URIRef, URIRef]]:
        """(subject, property) pairs of the resources that link to ``iri``."""
        for subject, prop in self.union.subject_predicates(iri):
            if not isinstance(subject, BNode):
                yield subject, prop
