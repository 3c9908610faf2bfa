"""What the linked-data server publishes, read through the store: resources, labels, listings.

Nothing here holds the dataset: every lookup is a SPARQL query to the store with its values
bound, and only small, fixed-size things are kept (the dataset description from the build's
figures, the ontology and shapes documents, a bounded cache of labels). Listings are pages of
rows, so no answer grows with the graph.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, OWL, RDFS, SKOS, XSD

from .describe import (
    DOWNLOAD_FORMATS,
    Statistics,
    describe_dataset,
    download_name,
    download_path,
)
from .errors import ThbkgError
from .formats import JSONLD, Format
from .jsonld import context, to_jsonld
from .namespaces import (
    BASE,
    DATASET,
    ONTOLOGY,
    ONTOLOGY_GRAPH,
    SHAPES,
    THB,
    bind_prefixes,
    short,
)
from .namespaces import INFERRED_GRAPH as INFERRED
from .store import Store

# The properties whose values name a resource, most preferred first.
LABEL_PROPERTIES = (SKOS.prefLabel, RDFS.label, DCTERMS.title)
LANGUAGES = ("en", "fr")
#: Rows per page of a listing (landing page, an actor's or a theme's recommendations).
PAGE_SIZE = 50
#: At most this many nodes' labels are kept (the cache starts again when full).
LABEL_CACHE = 65536
#: At most this many resources are listed as linking to one resource.
INCOMING_LIMIT = 200
# As FILTER(?lp IN (...)), never VALUES: Oxigraph joins an inner VALUES with the pattern
# first, which then reads every label of the graph (seconds at 10,000 recommendations).
_LABELS = ", ".join(f"<{p}>" for p in LABEL_PROPERTIES)

# ---------------------------------------------------------------- queries (values are bound)

# Does ?iri name a subject of the published graph?
IS_SUBJECT = "ASK WHERE { ?iri ?p ?o }"
# Is ?iri a member of ?cls?
IS_A = "ASK WHERE { ?iri a ?cls }"
# The classes of ?iri.
TYPES = "SELECT ?t WHERE { ?iri a ?t }"
# Every subject in our URI space (for sitemaps and tests; not for pages).
SUBJECTS = "SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), ?base)) }"
# A named graph, whole (the ontology graph, small).
NAMED_GRAPH = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
# The distinct subjects of one named graph.
GRAPH_SUBJECTS = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
# The description of ?iri: its Concise Bounded Description (its triples and, three levels
# deep, those of the blank nodes it leads to) and the labels of the IRIs it links to.
DESCRIBE = f"""
CONSTRUCT {{ ?iri ?p ?o . ?b1 ?q1 ?v1 . ?b2 ?q2 ?v2 . ?b3 ?q3 ?v3 . ?x ?lp ?label }}
WHERE {{
  {{ ?iri ?p ?o }}
  UNION {{ ?iri ?p1 ?b1 FILTER(isBlank(?b1)) ?b1 ?q1 ?v1 }}
  UNION {{ ?iri ?p1 ?b1 FILTER(isBlank(?b1)) ?b1 ?r1 ?b2 FILTER(isBlank(?b2)) ?b2 ?q2 ?v2 }}
  UNION {{ ?iri ?p1 ?b1 FILTER(isBlank(?b1)) ?b1 ?r1 ?b2 FILTER(isBlank(?b2))
           ?b2 ?r2 ?b3 FILTER(isBlank(?b3)) ?b3 ?q3 ?v3 }}
  UNION {{ ?iri ?p1 ?x FILTER(isIRI(?x)) ?x ?lp ?label FILTER(?lp IN ({_LABELS})) }}
  UNION {{ ?iri ?p1 ?b1 FILTER(isBlank(?b1)) ?b1 ?r1 ?x FILTER(isIRI(?x))
           ?x ?lp ?label FILTER(?lp IN ({_LABELS})) }}
}}
"""
# The statements of graph ?g (graph/inferred) out of ?iri, and into it.
GRAPH_OUT = "SELECT ?p ?o WHERE { GRAPH ?g { ?iri ?p ?o } }"
GRAPH_IN = "SELECT ?s ?p WHERE { GRAPH ?g { ?s ?p ?iri } }"
# Labels of ?node (bound to one or several nodes), by property, so the preferred one wins.
LABELS_OF = f"SELECT ?node ?lp ?label WHERE {{ ?node ?lp ?label FILTER(?lp IN ({_LABELS})) }}"
# One value of ?prop on ?node (the first in term order, so answers are stable).
VALUE = "SELECT ?v WHERE { ?node ?prop ?v } ORDER BY ?v LIMIT 1"
# Subjects that link to ?node by ?prop, in IRI order.
SUBJECTS_OF = "SELECT DISTINCT ?s WHERE { ?s ?prop ?node FILTER(isIRI(?s)) } ORDER BY ?s"
# Members of a class, in IRI order.
MEMBERS = "SELECT DISTINCT ?s WHERE { ?s a ?cls FILTER(isIRI(?s)) } ORDER BY ?s"
# Themes with the theme they are narrower than, if any.
THEMES = "SELECT ?t ?b WHERE { ?t a thb:Theme OPTIONAL { ?t skos:broader ?b } } ORDER BY ?t"
# The years that have recommendations.
YEARS = "SELECT DISTINCT ?y WHERE { ?r a thb:Recommendation ; thb:year ?y }"
# Resources (not blank nodes) that link to ?node, and by which property.
INCOMING = (
    "SELECT DISTINCT ?s ?p WHERE { ?s ?p ?node FILTER(!isBlank(?s)) } ORDER BY ?s ?p LIMIT "
    + str(INCOMING_LIMIT)
)
# One page of recommendations in source order (year, sequence), then what a listing shows of
# each; the filters below go in the inner query, LIMIT and OFFSET are added as integers.
_PAGE = """
SELECT ?r ?id ?text ?year ?seq ?theme WHERE {{
  {{ SELECT DISTINCT ?r ?year ?seq WHERE {{
       {filters}
       ?r a thb:Recommendation .
       OPTIONAL {{ ?r thb:year ?year }}
       OPTIONAL {{ ?r thb:sequence ?seq }}
     }} ORDER BY STR(?year) ?seq ?r LIMIT {limit} OFFSET {offset} }}
  OPTIONAL {{ ?r dcterms:identifier ?id }}
  OPTIONAL {{ ?r thb:text ?text }}
  OPTIONAL {{ ?r thb:theme ?theme }}
}} ORDER BY STR(?year) ?seq ?r
"""
# How many recommendations the filters keep.
_COUNT = """
SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{
  {filters} ?r a thb:Recommendation .
}}
"""
_FILTERS = {
    # From the constant outwards (the themes below it, the actors part of it), then their
    # recommendations: an index lookup each, where FILTER EXISTS would walk the path per row.
    "theme": "?narrower skos:broader* ?themeFilter . ?r thb:theme ?narrower .",
    "actor": "?part org:subOrganizationOf* ?actorFilter . ?r thb:addressedTo ?part .",
    "year": "?r thb:year ?yearFilter .",
    "report": "?r dcterms:isPartOf ?reportFilter .",
}
# The addressees of a page of recommendations.
ADDRESSEES = "SELECT ?r ?a WHERE { ?r thb:addressedTo ?a } ORDER BY ?r ?a"
# The qualifiers of ?r's addressees ("niveau politique"), by actor.
QUALIFIERS = """SELECT ?r ?a ?q WHERE {
  ?r thb:qualifiedAddressing ?x . ?x thb:actor ?a ; thb:qualifier ?q
} ORDER BY ?r ?a ?q"""


@dataclass(frozen=True)
class Recommendation:
    """One row of a listing, in source order."""

    iri: URIRef
    identifier: str
    text: str
    year: int
    sequence: int
    theme: URIRef | None
    addressees: tuple[URIRef, ...]
    qualifiers: tuple[tuple[URIRef, str], ...] = ()  # (actor, qualifier), as the source words it

    def qualifiers_of(self, actor: URIRef) -> list[str]:
        """How the source qualifies ``actor`` as an addressee of this recommendation."""
        return [text for who, text in self.qualifiers if who == actor]

    @property
    def addressed(self) -> list[URIRef]:
        """The addressees, then the actors named only in a qualified addressing."""
        return [*self.addressees, *sorted({w for w, _ in self.qualifiers} - set(self.addressees))]


@dataclass(frozen=True)
class Listing:
    """One page of recommendations, and how many there are in all."""

    rows: list[Recommendation]
    total: int
    page: int
    pages: int


def path_of(iri: object) -> str | None:
    """The request path of one of our resources (``recommendation/2018-32``), else None."""
    text = str(iri)
    if not isinstance(iri, URIRef) or not text.startswith(BASE) or "#" in text:
        return None
    return text[len(BASE) :]


def serialise(graph: Graph, fmt: Format, *, first: str | None = None) -> bytes:
    """``graph`` in an RDF format, as UTF-8 bytes; JSON-LD carries our context."""
    if fmt == JSONLD:
        return to_jsonld(graph, first=first).encode("utf-8")
    return graph.serialize(format=fmt.rdflib, encoding="utf-8")


def dump(store: Store, fmt: Format, graph: URIRef | None = None) -> Iterator[bytes]:
    """The whole published graph (or one named graph) in ``fmt``, as a download serves it:
    TriG and N-Quads keep the named graphs, JSON-LD carries our context. ``thbkg build``
    hashes these very bytes for the dataset description's checksums."""
    chunks = store.dump(fmt, graph)
    if fmt != JSONLD:
        return chunks
    head = json.dumps(context(), ensure_ascii=False)[:-1]  # without the closing brace

    def wrapped() -> Iterator[bytes]:
        yield (head + ', "@graph": ').encode("utf-8")
        yield from chunks
        yield b"}\n"

    return wrapped()


def _integer(term: object) -> int:
    try:
        return int(str(term))
    except ValueError:
        return 0


class Catalogue:
    """The published resources of one store, with their descriptions, labels and listings."""

    def __init__(
        self,
        store: Store,
        stats: Statistics,
        shapes: Graph,
        version: str,
        downloads: Path | None = None,
    ) -> None:
        self.store = store
        self.downloads = downloads  # the downloads as files, written by the build
        self.stats = stats
        self.version = version  # changes with the store: part of every download's ETag
        self.description = describe_dataset(stats)
        self.shapes = shapes
        self.ontology = store.construct(NAMED_GRAPH, g=ONTOLOGY_GRAPH)
        self.graphs = tuple(stats.graphs)
        self._labels: dict[object, dict[str, str]] = {}
        # Document-like resources serve a whole graph; every other resource its description.
        self.documents: dict[str, Callable[[], Graph]] = {
            "ontology": lambda: self.ontology,
            "shapes": lambda: self.shapes,
            "dataset": lambda: self.description,
        }
        for name in self.graphs:
            self.documents[path_of(name)] = lambda name=name: self.store.construct(
                NAMED_GRAPH, g=name
            )
        version_iri = self.ontology.value(ONTOLOGY, OWL.versionIRI)
        if path_of(version_iri):
            self.documents[path_of(version_iri)] = self.documents["ontology"]

    def warm(self) -> None:
        """Compute what the landing page shows (first page, themes, actors, years), so that
        its first visitor does not wait for it; run in the background after start-up. A store
        that fails here fails again, with its message, for the request that needs it."""
        with contextlib.suppress(ThbkgError):
            self.recommendations()
            for lang in LANGUAGES:
                self.actors_by_label(lang)
            _ = self.theme_tree, self._years

    # ------------------------------------------------------------------ lookup

    @lru_cache(maxsize=4096)  # noqa: B019 - the catalogue lives as long as the app
    def iri(self, path: str) -> URIRef | None:
        """The resource a request path names, or None when we publish no such resource."""
        if path in self.documents:
            return {"ontology": ONTOLOGY, "shapes": SHAPES, "dataset": DATASET}.get(
                path, URIRef(BASE + path)
            )
        if "#" in path or not path:
            return None
        iri = URIRef(BASE + path)
        try:
            return iri if self.store.ask(IS_SUBJECT, iri=iri) else None
        except ValueError:  # not an IRI Oxigraph accepts: we publish no such resource
            return None

    def paths(self) -> list[str]:
        """Every path that dereferences, documents first (a full scan: not for requests)."""
        things = {path_of(r["s"]) for r in self.store.select(SUBJECTS, base=Literal(BASE))}
        return [*self.documents, *sorted(p for p in things if p and p not in self.documents)]

    def is_a(self, iri: URIRef, cls: URIRef) -> bool:
        """Whether ``iri`` is a member of ``cls``."""
        return self.store.ask(IS_A, iri=iri, cls=cls)

    def kind(self, path: str) -> str:
        """The page template family of a resource: recommendation, actor, theme, ... resource."""
        if path in self.documents:
            return "graph" if path.startswith("graph/") else path.split("/")[0]
        types = {row["t"] for row in self.store.select(TYPES, iri=self.iri(path))}
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

    @lru_cache(maxsize=256)  # noqa: B019 - read by the page and every RDF format of iri
    def describe(self, iri: URIRef) -> Graph:
        """Concise Bounded Description of ``iri``, the labels of the resources it links to, and
        the statements of our data that link to it (at most ``INCOMING_LIMIT``, in IRI order).
        Shared: callers read it and never change it.

        The incoming links are what a link-traversal client needs to go from an actor, a theme
        or a report to its recommendations: nothing else in their description points there."""
        described = self.store.construct(DESCRIBE, iri=iri)
        for subject, prop in self.incoming(iri):
            described.add((subject, prop, iri))
        return described

    def inferred_part(self, iri: URIRef, described: Graph) -> frozenset[tuple]:
        """The statements of ``described`` (``iri``'s description) that ``graph/inferred``
        holds: what the reasoner entails and the source does not say."""
        found = {(iri, r["p"], r["o"]) for r in self.store.select(GRAPH_OUT, iri=iri, g=INFERRED)}
        found |= {(r["s"], r["p"], iri) for r in self.store.select(GRAPH_IN, iri=iri, g=INFERRED)}
        return frozenset(t for t in found if t in described)

    def parts(self, path: str) -> tuple[Graph, Graph]:
        """What a path serves, in two: what the sources state, and what the reasoner inferred
        (the statements of a resource's description that ``graph/inferred`` holds; nothing,
        for a whole document)."""
        graph = self.graph_of(path)
        if path in self.documents:
            return graph, Graph()
        inferred = self.inferred_part(self.iri(path), graph)
        stated, derived = bind_prefixes(Graph()), bind_prefixes(Graph())
        for triple in graph:
            (derived if triple in inferred else stated).add(triple)
        return stated, derived

    def dataset_of(self, path: str) -> Dataset:
        """What a path serves as a dataset: the stated part in the default graph, the inferred
        part in the named graph ``graph/inferred`` (for TriG and N-Quads)."""
        stated, inferred = self.parts(path)
        dataset = bind_prefixes(Dataset())
        for triple in stated:
            dataset.add(triple)
        named = dataset.graph(INFERRED)
        for triple in inferred:
            named.add(triple)
        return dataset

    def is_graph(self, path: str) -> bool:
        """Whether a path names one of our named graphs (served streamed, never held)."""
        return path in self.documents and path.startswith("graph/")

    def graph_of(self, path: str) -> Graph:
        """The graph a path serves: a whole document, or a resource's description."""
        if path in self.documents:
            return self.documents[path]()
        return self.describe(self.iri(path))

    @lru_cache(maxsize=4096)  # noqa: B019 - the catalogue lives as long as the app
    def representation(self, path: str, fmt: Format) -> bytes:
        """The bytes of a resource in an RDF format, computed once per (path, format)."""
        iri = self.iri(path)
        if fmt.dataset:
            return self.dataset_of(path).serialize(format=fmt.rdflib, encoding="utf-8")
        if fmt == JSONLD:  # the inferred part as a named graph, as in TriG
            stated, inferred = self.parts(path)
            first = str(iri) if iri else None
            return to_jsonld(stated, first=first, named={str(INFERRED): inferred}).encode("utf-8")
        return serialise(self.graph_of(path), fmt, first=str(iri) if iri else None)

    def stream(self, fmt: Format, graph: URIRef | None = None) -> Iterator[bytes]:
        """The whole published graph (or one named graph) in ``fmt``, streamed from the store."""
        return dump(self.store, fmt, graph)

    def etag(self, what: str) -> str:
        """A strong ETag for a streamed document: the store's version and what was asked."""
        return hashlib.sha256(f"{self.version} {what}".encode()).hexdigest()[:32]

    @cached_property
    def context_document(self) -> str:
        """The published JSON-LD context (``/context.jsonld``), written once."""
        return json.dumps(context(), ensure_ascii=False, indent=2) + "\n"

    def download_list(self) -> list[tuple[Format, str]]:
        """Each download format with its path, for the pages that list them."""
        return [(fmt, download_path(fmt)) for fmt in DOWNLOAD_FORMATS]

    def download_file(self, fmt: Format) -> Path | None:
        """The file the build wrote for a download, when the store is a built one."""
        if self.downloads is None:
            return None
        return self.downloads / download_name(fmt)

    @lru_cache(maxsize=16)  # noqa: B019
    def subjects_in(self, graph: URIRef) -> int:
        """How many distinct subjects a named graph has (counted once)."""
        return _integer(self.store.select(GRAPH_SUBJECTS, g=graph)[0]["n"])

    # ------------------------------------------------------------------ labels

    def labels(self, node: object) -> dict[str, str]:
        """Every label of ``node`` by language tag ('' for untagged), preferred property first."""
        if node not in self._labels:
            self.prefetch([node])
        return self._labels.get(node, {})

    def prefetch(self, nodes: Iterable[object]) -> None:
        """Look up the labels of ``nodes`` in one query, into a bounded cache (the store never
        changes while it is served)."""
        wanted = sorted({n for n in nodes if isinstance(n, URIRef) and n not in self._labels})
        if not wanted:
            return
        if len(self._labels) + len(wanted) > LABEL_CACHE:
            self._labels.clear()
        rows = self.store.select(LABELS_OF, node=wanted)
        for graph in (self.description, self.shapes):
            rows += [
                {"node": n, "lp": p, "label": o}
                for n in wanted
                for p in LABEL_PROPERTIES
                for o in graph.objects(n, p)
            ]
        rank = {p: i for i, p in enumerate(LABEL_PROPERTIES)}
        found: dict[object, dict[str, str]] = {n: {} for n in wanted}
        for row in sorted(rows, key=lambda r: -rank[r["lp"]]):  # preferred overwrite
            label = row["label"]
            if isinstance(label, Literal):
                found[row["node"]][label.language or ""] = str(label)
        self._labels.update(found)

    def label(self, node: object, lang: str) -> str:
        """A label in ``lang``, else in the other language, else untagged, else a short name."""
        return pick_label(node, self.labels(node), lang)

    # ------------------------------------------------------------------ listings

    @lru_cache(maxsize=256)  # noqa: B019 - one page each; the store never changes while served
    def recommendations(
        self,
        *,
        theme: URIRef | None = None,
        actor: URIRef | None = None,
        year: int | None = None,
        report: URIRef | None = None,
        page: int = 1,
        size: int = PAGE_SIZE,
    ) -> Listing:
        """One page of recommendations in a theme (or below it), to an actor (or its parts),
        of a year, of a report; in source order."""
        bindings: dict[str, object] = {}
        filters = []
        for name, value in (("theme", theme), ("actor", actor), ("report", report)):
            if value is not None:
                bindings[f"{name}Filter"] = value
                filters.append(_FILTERS[name])
        if year is not None:
            bindings["yearFilter"] = Literal(str(year), datatype=XSD.gYear)
            filters.append(_FILTERS["year"])
        chosen = "\n".join(filters)
        total = _integer(self.store.select(_COUNT.format(filters=chosen), **bindings)[0]["n"])
        pages = max(1, -(-total // size))
        page = min(max(1, page), pages)
        query = _PAGE.format(filters=chosen, limit=int(size), offset=int((page - 1) * size))
        rows = self.store.select(query, **bindings)
        addressees: dict[object, list[URIRef]] = {}
        qualifiers: dict[object, list[tuple[URIRef, str]]] = {}
        if rows:
            found = self.store.select(ADDRESSEES, r=[row["r"] for row in rows])
            for row in found:
                addressees.setdefault(row["r"], []).append(row["a"])
            for row in self.store.select(QUALIFIERS, r=[row["r"] for row in rows]):
                qualifiers.setdefault(row["r"], []).append((row["a"], str(row["q"])))
            self.prefetch([*(r["a"] for r in found), *(r.get("theme") for r in rows)])
        listing = [
            Recommendation(
                iri=row["r"],
                identifier=str(row.get("id", "")),
                text=str(row.get("text", "")),
                year=_integer(row.get("year", 0)),
                sequence=_integer(row.get("seq", 0)),
                theme=row.get("theme"),
                addressees=tuple(addressees.get(row["r"], ())),
                qualifiers=tuple(qualifiers.get(row["r"], ())),
            )
            for row in rows
        ]
        return Listing(listing, total, page, pages)

    def instances(self, cls: URIRef) -> list[URIRef]:
        """Our named members of ``cls`` in IRI order, so listings are stable between runs."""
        return list(self._instances(cls))

    @lru_cache(maxsize=64)  # noqa: B019 - the catalogue lives as long as the app
    def _instances(self, cls: URIRef) -> tuple[URIRef, ...]:
        return tuple(row["s"] for row in self.store.select(MEMBERS, cls=cls))

    @cached_property
    def counts(self) -> dict[str, int]:
        """How many recommendations, themes, actors and reports: from the build's figures."""
        classes = self.stats.classes
        return {
            "recommendations": classes.get(THB.Recommendation, 0),
            "themes": classes.get(THB.Theme, 0),
            "actors": classes.get(THB.Actor, 0),
            "reports": classes.get(THB.Report, 0),
        }

    @cached_property
    def theme_tree(self) -> list[tuple[URIRef, list[URIRef]]]:
        """Top themes (phenomena) with the section themes under them."""
        broader: dict[URIRef, URIRef | None] = {}
        for row in self.store.select(THEMES):
            broader.setdefault(row["t"], None)
            if row.get("b") is not None:
                broader[row["t"]] = row["b"]
        themes = sorted(broader)
        return [
            (top, [t for t in themes if broader[t] == top]) for top in themes if not broader[top]
        ]

    @lru_cache(maxsize=8)  # noqa: B019
    def actors_by_label(self, lang: str) -> tuple[URIRef, ...]:
        """Every actor, sorted by its label in ``lang`` (the landing page's actor filter)."""
        self.prefetch(self._instances(THB.Actor))
        return tuple(
            sorted(self._instances(THB.Actor), key=lambda a: self.label(a, lang).casefold())
        )

    def value(self, node: object, prop: URIRef) -> object | None:
        """One value of ``prop`` on ``node``, or None."""
        rows = self.store.select(VALUE, node=node, prop=prop)
        return rows[0]["v"] if rows else None

    def subjects(self, prop: URIRef, node: object) -> list[URIRef]:
        """The resources that link to ``node`` by ``prop``, in IRI order."""
        return [row["s"] for row in self.store.select(SUBJECTS_OF, prop=prop, node=node)]

    def ancestors(self, actor: URIRef) -> list[URIRef]:
        """The chain of organisations ``actor`` is part of, nearest first."""
        chain: list[URIRef] = []
        node = self.value(actor, ORG.subOrganizationOf)
        while isinstance(node, URIRef) and node not in chain and node != actor:
            chain.append(node)
            node = self.value(node, ORG.subOrganizationOf)
        return chain

    def years(self) -> list[int]:
        """The years that have recommendations: the values the year filter accepts."""
        return list(self._years)

    @cached_property
    def _years(self) -> tuple[int, ...]:
        return tuple(sorted({_integer(row["y"]) for row in self.store.select(YEARS)}))

    def incoming(self, iri: URIRef) -> Iterator[tuple[URIRef, URIRef]]:
        """(subject, property) pairs of the resources that link to ``iri`` (at most
        ``INCOMING_LIMIT``)."""
        for row in self.store.select(INCOMING, node=iri):
            if not isinstance(row["s"], BNode):
                yield row["s"], row["p"]


def pick_label(node: object, labels: dict[str, str], lang: str) -> str:
    """A label in ``lang``, else in the other language, else untagged, else a short name."""
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
