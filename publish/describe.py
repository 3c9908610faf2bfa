"""The dataset description: DCAT-AP ``dcat:Dataset`` and VoID statistics, computed once at load.

Harvesters (data.europa.eu, VoID crawlers) read ``/dataset`` and ``/.well-known/void``; both are
this graph. Every resource it links to (publisher, licence, media types, languages, landing page)
is typed here as well, because the DCAT-AP range shapes check the class of linked resources and
nothing may be fetched to find it out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, RDF, RDFS, VOID, XSD

from .formats import DOWNLOAD_FORMATS, Format
from .graph import KnowledgeGraph
from .namespaces import (
    BASE,
    DATA_GRAPH,
    DATASET,
    EU_LANGUAGE,
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    PREFIXES,
    THB,
    bind_prefixes,
    resource,
)
from .portal import describe_for_portals

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


def distribution_iri(fmt: Format) -> URIRef:
    """The DCAT distribution of one download, a fragment of the dataset so it needs no page."""
    return URIRef(f"{DATASET}#distribution-{fmt.name}")


@dataclass(frozen=True)
class Statistics:
    """VoID figures of the published (union) graph."""

    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    classes: dict[URIRef, int]
    properties: dict[URIRef, int]
    graphs: dict[URIRef, int]


def union_graph(knowledge: KnowledgeGraph) -> Graph:
    """The default graph users see: data, ontology and inferred graphs together."""
    union = bind_prefixes(Graph())
    for name in (DATA_GRAPH, ONTOLOGY_GRAPH, INFERRED_GRAPH):
        union += knowledge.graph(name)
    return union


def statistics(knowledge: KnowledgeGraph, union: Graph | None = None) -> Statistics:
    """Count what VoID reports: triples, entities in our URI space, class and property use."""
    union = union_graph(knowledge) if union is None else union
    subjects = set(union.subjects())
    classes: Counter[URIRef] = Counter()
    for _, cls in union.subject_objects(RDF.type):
        if isinstance(cls, URIRef):
            classes[cls] += 1
    properties = Counter(p for _, p, _ in union)
    entities = {s for s in subjects if isinstance(s, URIRef) and str(s).startswith(BASE)}
    return Statistics(
        triples=len(union),
        entities=len(entities),
        distinct_subjects=len(subjects),
        distinct_objects=len(set(union.objects())),
        classes=dict(sorted(classes.items())),
        properties=dict(sorted(properties.items())),
        graphs={g: len(knowledge.graph(g)) for g in (DATA_GRAPH, ONTOLOGY_GRAPH, INFERRED_GRAPH)},
    )


def _examples(union: Graph) -> list[URIRef]:
    """One resource of each of our main classes, the first in IRI order."""
    found = []
    for cls in (THB.Recommendation, THB.Theme, THB.Actor, THB.Report):
        members = sorted(s for s in union.subjects(RDF.type, cls) if isinstance(s, URIRef))
        if members:
            found.append(members[0])
    return found


def describe_dataset(
    knowledge: KnowledgeGraph,
    union: Graph | None = None,
    stats: Statistics | None = None,
    files: Mapping[Format, bytes] | None = None,
) -> Graph:
    """The DCAT-AP and VoID description of the published dataset, as its own graph.

    A caller that already holds the union graph or its statistics passes them in; with the
    bytes of the downloads (``files``), each distribution gets its size and checksum."""
    union = union_graph(knowledge) if union is None else union
    stats = statistics(knowledge, union) if stats is None else stats
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
    for report in sorted(union.subjects(RDF.type, THB.Report)):
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
    for example in _examples(union):
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
    return describe_for_portals(
        g,
        publisher=PUBLISHER,
        licence=LICENCE,
        endpoint=SPARQL_ENDPOINT,
        landing_page=LANDING_PAGE,
        languages=[EU_LANGUAGE[code] for code in LANGUAGES],
        years=[int(str(y)) for y in union.objects(None, THB.year)],
        distributions={fmt: distribution_iri(fmt) for fmt in DOWNLOAD_FORMATS},
        files=files,
    )
