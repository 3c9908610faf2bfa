"""The dataset description: DCAT-AP ``dcat:Dataset`` and VoID statistics, counted at build time.

Harvesters (data.europa.eu, VoID crawlers) read ``/dataset`` and ``/.well-known/void``; both are
this graph. Every resource it links to (publisher, licence, media types, languages, landing page)
is typed here as well, because the DCAT-AP range shapes check the class of linked resources and
nothing may be fetched to find it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, VOID, XSD

from .formats import CSV, DOWNLOAD_FORMATS, Format
from .namespaces import (
    BASE,
    DATASET,
    EU_LANGUAGE,
    PREFIXES,
    THB,
    bind_prefixes,
    resource,
)
from .portal import describe_for_portals
from .store import Store

SPARQL_ENDPOINT = resource("sparql")
LANDING_PAGE = URIRef(BASE)
PUBLISHER = URIRef(f"{DATASET}#publisher")
LICENCE = URIRef("https://creativecommons.org/licenses/by/4.0/")
DOWNLOAD_STEM = "thbkg"


TITLE = {
    "fr": "Recommandations de Myria sur la traite et le trafic des êtres humains",
    "en": "Myria's recommendations on trafficking and smuggling of human beings",
}
DESCRIPTION = {
    "fr": "Graphe de connaissances des recommandations que Myria, Centre fédéral Migration et "
    "rapporteur national indépendant sur la traite et le trafic des êtres humains, adresse aux "
    "autorités belges dans les annexes de ses rapports annuels : texte intégral (en français, "
    "tel quel), thème, destinataires et rapport source.",
    "en": "Knowledge graph of the recommendations that Myria, Belgium's Federal Migration Centre "
    "and independent national rapporteur on trafficking and smuggling of human beings, addresses "
    "to Belgian authorities in the annexes of its annual reports: verbatim French text, theme, "
    "addressees and source report.",
}
PUBLISHER_NAME = "thbkg"
#: The languages of the labels and texts (French verbatim, English and Dutch labels): the EU
#: language table's code, and the BCP 47 tag our literals carry.
LANGUAGES = {"FRA": "fr", "ENG": "en", "NLD": "nl"}
KEYWORDS = {
    "fr": ("traite des êtres humains", "trafic d'êtres humains", "recommandations", "Myria"),
    "en": ("trafficking in human beings", "migrant smuggling", "recommendations", "Myria"),
}


def download_path(fmt: Format) -> str:
    """The stable path of the whole graph in ``fmt``: ``download/thbkg.ttl``."""
    return f"download/{DOWNLOAD_STEM}.{fmt.suffix}"


def download_name(fmt: Format) -> str:
    """The file name of the whole graph in ``fmt`` (``thbkg.ttl``): how the build names the
    file and the download is saved."""
    return download_path(fmt).rpartition("/")[2]


def distribution_iri(fmt: Format) -> URIRef:
    """The DCAT distribution of one download, a fragment of the dataset so it needs no page."""
    return URIRef(f"{DATASET}#distribution-{fmt.name}")


@dataclass(frozen=True)
class Statistics:
    """VoID figures of the published (union) graph, counted once when the store is built."""

    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    classes: dict[URIRef, int]
    properties: dict[URIRef, int]
    graphs: dict[URIRef, int]
    examples: tuple[URIRef, ...] = ()
    reports: tuple[URIRef, ...] = ()
    years: tuple[int, ...] = ()  # that have recommendations: the temporal coverage
    #: Per download suffix, the SHA-256 and size of the bytes a built store serves.
    files: dict[str, tuple[str, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The figures as the manifest keeps them (IRIs as strings)."""
        return {
            "triples": self.triples,
            "entities": self.entities,
            "distinctSubjects": self.distinct_subjects,
            "distinctObjects": self.distinct_objects,
            "classes": {str(k): v for k, v in self.classes.items()},
            "properties": {str(k): v for k, v in self.properties.items()},
            "graphs": {str(k): v for k, v in self.graphs.items()},
            "exampleResources": [str(e) for e in self.examples],
            "reports": [str(r) for r in self.reports],
            "years": list(self.years),
            "files": {k: {"sha256": v[0], "bytes": v[1]} for k, v in self.files.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> Statistics:
        """The figures a manifest recorded."""

        def iris(mapping: dict[str, int]) -> dict[URIRef, int]:
            return {URIRef(k): int(v) for k, v in mapping.items()}

        return cls(
            triples=int(data["triples"]),
            entities=int(data["entities"]),
            distinct_subjects=int(data["distinctSubjects"]),
            distinct_objects=int(data["distinctObjects"]),
            classes=iris(data["classes"]),
            properties=iris(data["properties"]),
            graphs=iris(data["graphs"]),
            examples=tuple(URIRef(e) for e in data.get("exampleResources", ())),
            reports=tuple(URIRef(r) for r in data.get("reports", ())),
            years=tuple(int(y) for y in data.get("years", ())),
            files={k: (v["sha256"], int(v["bytes"])) for k, v in data.get("files", {}).items()},
        )


# What VoID counts, over the union default graph (each triple once, whatever graphs hold it).
_TOTALS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }
"""
# Our own resources: subjects whose IRI is in our URI space.
_ENTITIES = """
SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?s) && STRSTARTS(STR(?s), ?base)) }
"""
# How many members each class has.
_CLASSES = """
SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c
"""
# How many triples use each property.
_PROPERTIES = """
SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } } GROUP BY ?p
"""
# How many triples each named graph holds.
_GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
# The first member, in IRI order, of one class: an example resource.
_FIRST = "SELECT ?s WHERE { ?s a ?c FILTER(isIRI(?s)) } ORDER BY STR(?s) LIMIT 1"
# The reports the recommendations come from.
_REPORTS = "SELECT ?r WHERE { ?r a thb:Report FILTER(isIRI(?r)) } ORDER BY STR(?r)"
# The years of the recommendations (their temporal coverage).
_YEARS = "SELECT DISTINCT ?y WHERE { ?r a thb:Recommendation ; thb:year ?y }"


def _counts(store: Store, query: str, key: str) -> dict[URIRef, int]:
    rows = store.select(query)
    return dict(sorted((r[key], int(r["n"])) for r in rows if isinstance(r.get(key), URIRef)))


def graph_sizes(store: Store) -> dict[URIRef, int]:
    """Triples in each named graph of the store (a graph without triples is not listed)."""
    return _counts(store, _GRAPHS, "g")


def statistics(store: Store) -> Statistics:
    """Count what VoID reports, with SPARQL over the store (at build time, or once at start
    for an external endpoint): triples, entities in our URI space, class and property use."""
    totals = store.select(_TOTALS)[0]
    entities = store.select(_ENTITIES, base=Literal(BASE))[0]["n"]

    examples = []
    for cls in (THB.Recommendation, THB.Theme, THB.Actor, THB.Report):
        examples += [row["s"] for row in store.select(_FIRST, c=cls)]
    return Statistics(
        triples=int(totals["triples"]),
        entities=int(entities),
        distinct_subjects=int(totals["subjects"]),
        distinct_objects=int(totals["objects"]),
        classes=_counts(store, _CLASSES, "c"),
        properties=_counts(store, _PROPERTIES, "p"),
        graphs=graph_sizes(store),
        examples=tuple(examples),
        reports=tuple(row["r"] for row in store.select(_REPORTS)),
        years=tuple(sorted({int(str(row["y"])) for row in store.select(_YEARS)})),
    )


def describe_dataset(stats: Statistics) -> Graph:
    """The DCAT-AP and VoID description of the published dataset, from the store's figures."""
    g = bind_prefixes(Graph())
    add = g.add
    ds = DATASET
    add((ds, RDF.type, DCAT.Dataset))
    add((ds, RDF.type, VOID.Dataset))
    for lang, text in TITLE.items():
        add((ds, DCTERMS.title, Literal(text, lang=lang)))
        add((ds, RDFS.label, Literal(text, lang=lang)))
    for lang, text in DESCRIPTION.items():
        add((ds, DCTERMS.description, Literal(text, lang=lang)))
    for lang, words in KEYWORDS.items():
        for word in words:
            add((ds, DCAT.keyword, Literal(word, lang=lang)))
    add((ds, DCTERMS.publisher, PUBLISHER))
    add((PUBLISHER, RDF.type, FOAF.Agent))
    add((PUBLISHER, FOAF.name, Literal(PUBLISHER_NAME)))
    add((ds, DCTERMS.license, LICENCE))
    add((LICENCE, RDF.type, DCTERMS.LicenseDocument))
    add((LICENCE, RDFS.label, Literal("Creative Commons Attribution 4.0 International", lang="en")))
    add((ds, DCAT.landingPage, LANDING_PAGE))
    add((LANDING_PAGE, RDF.type, FOAF.Document))
    for code in LANGUAGES:
        add((ds, DCTERMS.language, EU_LANGUAGE[code]))
        add((EU_LANGUAGE[code], RDF.type, DCTERMS.LinguisticSystem))
    for report in stats.reports:
        add((ds, PROV.wasDerivedFrom, report))  # dcterms:source ranges over dcat:Dataset
    # VoID
    add((ds, VOID.sparqlEndpoint, SPARQL_ENDPOINT))
    add((ds, VOID.uriSpace, Literal(BASE)))
    add((ds, VOID.triples, Literal(stats.triples, datatype=XSD.integer)))
    add((ds, VOID.entities, Literal(stats.entities, datatype=XSD.integer)))
    add((ds, VOID.distinctSubjects, Literal(stats.distinct_subjects, datatype=XSD.integer)))
    add((ds, VOID.distinctObjects, Literal(stats.distinct_objects, datatype=XSD.integer)))
    add((ds, VOID.classes, Literal(len(stats.classes), datatype=XSD.integer)))
    add((ds, VOID.properties, Literal(len(stats.properties), datatype=XSD.integer)))
    for example in stats.examples:
        add((ds, VOID.exampleResource, example))
    for prefix in ("thb", "skos", "dcterms", "org", "foaf", "rdfs", "owl"):
        add((ds, VOID.vocabulary, URIRef(str(PREFIXES[prefix]))))
    for cls, count in stats.classes.items():
        part = BNode()
        add((ds, VOID.classPartition, part))
        add((part, VOID["class"], cls))
        add((part, VOID.entities, Literal(count, datatype=XSD.integer)))
    for prop, count in stats.properties.items():
        part = BNode()
        add((ds, VOID.propertyPartition, part))
        add((part, VOID.property, prop))
        add((part, VOID.triples, Literal(count, datatype=XSD.integer)))
    for name, count in stats.graphs.items():
        add((ds, VOID.subset, name))
        add((name, RDF.type, VOID.Dataset))
        add((name, VOID.triples, Literal(count, datatype=XSD.integer)))
    # DCAT distributions, one per download format
    for fmt in DOWNLOAD_FORMATS:
        dist = distribution_iri(fmt)
        url = resource(download_path(fmt))
        add((ds, DCAT.distribution, dist))
        add((ds, VOID.dataDump, url))
        add((dist, RDF.type, DCAT.Distribution))
        add(
            (
                dist,
                DCTERMS.title,
                Literal(f"{TITLE['en']} ({fmt.title})", lang="en"),
            )
        )
        add((dist, DCAT.accessURL, url))
        add((dist, DCAT.downloadURL, url))
        add((url, RDF.type, RDFS.Resource))
        media_type = URIRef(fmt.iana)
        add((dist, DCAT.mediaType, media_type))
        add((media_type, RDF.type, DCTERMS.MediaType))
        add((dist, DCTERMS.license, LICENCE))
        if fmt.dataset:
            add((dist, DCTERMS.description, Literal("Keeps the named graphs.", lang="en")))
        else:
            add((dist, DCTERMS.description, Literal("The union of the named graphs.", lang="en")))
    # The table of recommendations, one row each, described by W3C CSVW metadata.
    dist, url = distribution_iri(CSV), resource(download_path(CSV))
    for triple in (
        (ds, DCAT.distribution, dist),
        (dist, RDF.type, DCAT.Distribution),
        (
            dist,
            DCTERMS.title,
            Literal(f"{TITLE['en']} (CSV, one row per recommendation)", lang="en"),
        ),
        (
            dist,
            DCTERMS.description,
            Literal(
                "UTF-8; its columns are mapped to our properties by the "
                f"CSVW metadata {resource(download_path(CSV) + '-metadata.json')}.",
                lang="en",
            ),
        ),
        (dist, DCAT.accessURL, url),
        (dist, DCAT.downloadURL, url),
        (url, RDF.type, RDFS.Resource),
        (dist, DCAT.mediaType, URIRef(CSV.iana)),
        (URIRef(CSV.iana), RDF.type, DCTERMS.MediaType),
        (dist, DCTERMS.license, LICENCE),
    ):
        add(triple)
    return describe_for_portals(
        g,
        publisher=PUBLISHER,
        licence=LICENCE,
        endpoint=SPARQL_ENDPOINT,
        landing_page=LANDING_PAGE,
        languages=[EU_LANGUAGE[code] for code in LANGUAGES],
        years=stats.years,
        distributions={fmt: distribution_iri(fmt) for fmt in (*DOWNLOAD_FORMATS, CSV)},
        files={f: stats.files[f.suffix] for f in DOWNLOAD_FORMATS if f.suffix in stats.files},
    )
