"""What data portals harvest beyond the dataset itself (DCAT-AP 3.0.1, recommended level).

The ``dcat:Catalog`` that data.europa.eu harvests, the ``dcat:DataService`` of the SPARQL
endpoint, a contact point, dates, temporal and spatial coverage, the EU data theme, and per
distribution its EU file type, planned availability, size and SHA-256 checksum (SPDX). Every
linked resource is typed here, as DCAT-AP's range shapes check classes without fetching.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from .formats import Format
from .namespaces import (
    ADMS_LICENCE_TYPE,
    DATASET,
    DCATAP,
    EU_AVAILABILITY,
    EU_COUNTRY,
    EU_DATA_THEME,
    EU_FILE_TYPE,
    SPDX,
    VCARD,
)

CATALOGUE = URIRef(f"{DATASET}#catalogue")
CONTACT = URIRef(f"{DATASET}#contact")
PERIOD = URIRef(f"{DATASET}#period")
SPARQL_PROTOCOL = URIRef("https://www.w3.org/TR/sparql11-protocol/")
#: First published, and last changed (bump MODIFIED with every change to data/ or ontology/).
ISSUED = date(2026, 11, 28)
MODIFIED = date(2026, 11, 28)
#: Belgium, in the EU country table (ISO 3166-1 alpha-3, checked against pycountry in the tests).
BELGIUM = EU_COUNTRY.BEL
#: The EU data theme "Justice, legal system and public safety".
THEME = EU_DATA_THEME.JUST
THEME_LABEL = "Justice, legal system and public safety"
CATALOGUE_TITLE = {
    "fr": "Catalogue thbkg",
    "en": "thbkg catalogue",
}


#: The controlled vocabularies the description takes concepts from, with their English titles.
SCHEMES = {
    "theme": (URIRef(str(EU_DATA_THEME).rstrip("/")), "Data theme"),
    "availability": (URIRef(str(EU_AVAILABILITY).rstrip("/")), "Planned availability"),
    "licence": (URIRef("http://purl.org/adms/licencetype/1.1"), "Licence type"),
}


def _concept(g: Graph, concept: URIRef, label: str, scheme: str) -> None:
    """A concept of one of ``SCHEMES``, typed and labelled as DCAT-AP's range shapes ask."""
    iri, title = SCHEMES[scheme]
    g.add((concept, RDF.type, SKOS.Concept))
    g.add((concept, SKOS.prefLabel, Literal(label, lang="en")))
    g.add((concept, SKOS.inScheme, iri))
    g.add((iri, RDF.type, SKOS.ConceptScheme))
    g.add((iri, DCTERMS.title, Literal(title, lang="en")))


def describe_for_portals(
    g: Graph,
    *,
    publisher: URIRef,
    licence: URIRef,
    endpoint: URIRef,
    landing_page: URIRef,
    languages: Iterable[URIRef],
    years: Iterable[int],
    distributions: Mapping[Format, URIRef],
    files: Mapping[Format, tuple[str, int]] | None = None,
) -> Graph:
    """Add the catalogue, the data service and the recommended dataset fields to ``g``.

    ``files`` gives, per distribution, the SHA-256 and size of its bytes (known for a built
    store, whose dumps are fixed; not for a remote endpoint)."""
    add = g.add
    ds = DATASET
    issued = Literal(ISSUED.isoformat(), datatype=XSD.date)
    modified = Literal(MODIFIED.isoformat(), datatype=XSD.date)
    languages = list(languages)
    add((publisher, RDFS.label, Literal("thbkg")))  # pages name it (ontology creator)
    # the dataset
    add((ds, DCTERMS.issued, issued))
    add((ds, DCTERMS.modified, modified))
    add((ds, DCTERMS.spatial, BELGIUM))
    add((BELGIUM, RDF.type, DCTERMS.Location))
    add((BELGIUM, SKOS.prefLabel, Literal("Belgium", lang="en")))
    add((ds, DCAT.theme, THEME))
    _concept(g, THEME, THEME_LABEL, "theme")
    add((ds, DCAT.contactPoint, CONTACT))
    add((CONTACT, RDF.type, VCARD.Kind))
    add((CONTACT, RDF.type, VCARD.Organization))
    add((CONTACT, VCARD.fn, Literal("thbkg")))
    add((CONTACT, VCARD.hasURL, landing_page))
    years = sorted(set(years))
    if years:
        add((ds, DCTERMS.temporal, PERIOD))
        add((PERIOD, RDF.type, DCTERMS.PeriodOfTime))
        add((PERIOD, DCAT.startDate, Literal(f"{years[0]}-01-01", datatype=XSD.date)))
        add((PERIOD, DCAT.endDate, Literal(f"{years[-1]}-12-31", datatype=XSD.date)))
    add((licence, DCTERMS.type, ADMS_LICENCE_TYPE.Attribution))
    _concept(g, ADMS_LICENCE_TYPE.Attribution, "Attribution", "licence")
    # its distributions
    for fmt, dist in distributions.items():
        if fmt.eu_file_type:
            add((dist, DCTERMS.format, EU_FILE_TYPE[fmt.eu_file_type]))
            add((EU_FILE_TYPE[fmt.eu_file_type], RDF.type, DCTERMS.MediaTypeOrExtent))
        add((dist, DCATAP.availability, EU_AVAILABILITY.STABLE))
        _concept(g, EU_AVAILABILITY.STABLE, "Stable", "availability")
        add((dist, DCTERMS.issued, issued))
        add((dist, DCTERMS.modified, modified))
        if files is not None and fmt in files:
            digest, size = files[fmt]
            checksum = URIRef(f"{dist}-sha256")
            add((dist, DCAT.byteSize, Literal(size, datatype=XSD.nonNegativeInteger)))
            add((dist, SPDX.checksum, checksum))
            add((checksum, RDF.type, SPDX.Checksum))
            add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
            add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
            add((checksum, SPDX.checksumValue, Literal(digest, datatype=XSD.hexBinary)))
    # the SPARQL endpoint as a data service
    add((endpoint, RDF.type, DCAT.DataService))
    add((endpoint, DCTERMS.title, Literal("thbkg SPARQL endpoint", lang="en")))
    add((endpoint, DCTERMS.title, Literal("Point d'accès SPARQL de thbkg", lang="fr")))
    add((endpoint, DCAT.endpointURL, endpoint))
    add((endpoint, RDF.type, RDFS.Resource))  # DCAT-AP's range of endpointURL
    add((endpoint, DCAT.endpointDescription, endpoint))  # it answers with its Service Description
    add((endpoint, DCAT.servesDataset, ds))
    add((endpoint, DCTERMS.conformsTo, SPARQL_PROTOCOL))
    add((SPARQL_PROTOCOL, RDF.type, DCTERMS.Standard))
    add((endpoint, DCTERMS.publisher, publisher))
    add((endpoint, DCTERMS.license, licence))
    add((endpoint, DCAT.contactPoint, CONTACT))
    add((endpoint, DCAT.theme, THEME))
    add((endpoint, DCAT.keyword, Literal("SPARQL", lang="en")))
    # the catalogue a portal harvests
    add((CATALOGUE, RDF.type, DCAT.Catalog))
    for lang, text in CATALOGUE_TITLE.items():
        add((CATALOGUE, DCTERMS.title, Literal(text, lang=lang)))
        add((CATALOGUE, RDFS.label, Literal(text, lang=lang)))
    for description in g.objects(ds, DCTERMS.description):
        add((CATALOGUE, DCTERMS.description, description))
    add((CATALOGUE, DCTERMS.publisher, publisher))
    add((CATALOGUE, DCAT.dataset, ds))
    add((CATALOGUE, DCAT.service, endpoint))
    add((CATALOGUE, FOAF.homepage, landing_page))
    add((CATALOGUE, DCTERMS.license, licence))
    add((CATALOGUE, DCTERMS.issued, issued))
    add((CATALOGUE, DCTERMS.modified, modified))
    add((CATALOGUE, DCTERMS.spatial, BELGIUM))
    add((CATALOGUE, DCAT.themeTaxonomy, SCHEMES["theme"][0]))
    for language in languages:
        add((CATALOGUE, DCTERMS.language, language))
    return g
