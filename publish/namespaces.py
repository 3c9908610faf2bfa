"""Our namespaces, prefixes and named-graph IRIs: the one registry every module imports."""

from functools import cache

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SH,
    SKOS,
    VOID,
    XSD,
    NamespaceManager,
)

BASE = "https://w3id.org/thbkg/"
THB = Namespace(BASE + "ontology#")
EUROVOC = Namespace("http://eurovoc.europa.eu/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
# EU authority tables and vocabularies the dataset description (DCAT-AP) uses.
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_DATA_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_AVAILABILITY = Namespace(
    "http://publications.europa.eu/resource/authority/planned-availability/"
)
ADMS_LICENCE_TYPE = Namespace("http://purl.org/adms/licencetype/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
ELI_ACT = Namespace("http://data.europa.eu/eli/")
# What the SPARQL endpoint's Service Description speaks of (not bound in our other outputs).
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
W3C_FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENTAILMENT = Namespace("http://www.w3.org/ns/entailment/")

ONTOLOGY = URIRef(BASE + "ontology")
SHAPES = URIRef(BASE + "shapes")
DATASET = URIRef(BASE + "dataset")
CURATORS = URIRef(BASE + "curators")


def resource(path: str) -> URIRef:
    """The IRI of one of our resources, from its path under the base (``actor/police``)."""
    return URIRef(BASE + path.lstrip("/"))


def graph_iri(name: str) -> URIRef:
    """The IRI of a named graph: ``graph/data``, ``graph/ontology``, ``graph/inferred`` ..."""
    return URIRef(f"{BASE}graph/{name}")


DATA_GRAPH = graph_iri("data")
ONTOLOGY_GRAPH = graph_iri("ontology")
INFERRED_GRAPH = graph_iri("inferred")
ANNOTATIONS_GRAPH = graph_iri("annotations")  # the curators' tags, each with its evidence
LINKS_GRAPH = graph_iri("links")  # labels of the external concepts we link to
# Which named graphs we publish, and the files that fill them: ``Settings.graph_sources()``.

PREFIXES: dict[str, Namespace] = {
    "thb": THB,
    "thbr": Namespace(BASE),
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "foaf": FOAF,
    "org": ORG,
    "prov": PROV,
    "dcat": DCAT,
    "void": VOID,
    "sh": SH,
    "eurovoc": EUROVOC,
    "eli": ELI,
}


def bind_prefixes(graph: Graph) -> Graph:
    """Bind our prefixes on ``graph`` (replacing rdflib's defaults) so every output reads alike."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def sparql_prologue() -> str:
    """PREFIX declarations for every prefix we bind, for queries and the editor."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


@cache
def _names() -> NamespaceManager:
    return bind_prefixes(Graph()).namespace_manager


def short(iri: object, names: NamespaceManager | None = None, *, brackets: bool = True) -> str:
    """An IRI as people read it: a prefixed name (``thb:Actor``), else ``<iri>``.

    ``names`` are our prefixes unless a graph's own are given; with ``brackets=False`` an IRI no
    prefix shortens comes back bare, as labels show it.
    """
    text = str(iri)
    try:
        name = (names or _names()).normalizeUri(URIRef(text))
    except Exception:  # rdflib refuses some IRIs as prefixed names
        name = f"<{text}>"
    if name.startswith("<"):
        return name if brackets else text
    return name
