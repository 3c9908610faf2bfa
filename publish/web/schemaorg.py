"""schema.org ``Dataset`` markup for search engines, read off the DCAT-AP description.

Embedded in the landing page and the dataset page as a JSON-LD data block; its context is given
inline (``@vocab``), so any JSON-LD processor reads it without fetching schema.org's context.
"""

from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS

from ..describe import LANGUAGES
from ..namespaces import BASE, DATASET


def _text(graph: Graph, subject: object, prop: URIRef, lang: str) -> str | None:
    values = [o for o in graph.objects(subject, prop) if isinstance(o, Literal)]
    chosen = [o for o in values if o.language == lang] or values
    return str(sorted(chosen)[0]) if chosen else None


def dataset(description: Graph, lang: str) -> dict[str, object]:
    """The dataset as a schema.org ``Dataset``: names, licence, coverage, downloads, endpoint."""
    g = description
    ds = DATASET
    publisher = g.value(ds, DCTERMS.publisher)
    period = g.value(ds, DCTERMS.temporal)
    place = g.value(ds, DCTERMS.spatial)
    markup: dict[str, object] = {
        "@context": {"@vocab": "https://schema.org/"},
        "@type": "Dataset",
        "@id": str(ds),
        "url": BASE,
        "name": _text(g, ds, DCTERMS.title, lang),
        "description": _text(g, ds, DCTERMS.description, lang),
        "license": str(g.value(ds, DCTERMS.license)),
        "isAccessibleForFree": True,
        "inLanguage": sorted(
            LANGUAGES[str(x).rpartition("/")[2]] for x in g.objects(ds, DCTERMS.language)
        ),
        "keywords": sorted({str(k) for k in g.objects(ds, DCAT.keyword)}),
        "creator": {"@type": "Organization", "name": str(g.value(publisher, FOAF.name))},
        "datePublished": str(g.value(ds, DCTERMS.issued)),
        "dateModified": str(g.value(ds, DCTERMS.modified)),
        "spatialCoverage": {
            "@type": "Place",
            "name": _text(g, place, SKOS.prefLabel, "en"),
            "sameAs": str(place),
        },
        "distribution": [
            {
                "@type": "DataDownload",
                "contentUrl": str(g.value(dist, DCAT.downloadURL)),
                "encodingFormat": str(g.value(dist, DCAT.mediaType)).partition("media-types/")[2],
            }
            for dist in sorted(g.objects(ds, DCAT.distribution))
        ],
    }
    if period is not None:
        start, end = g.value(period, DCAT.startDate), g.value(period, DCAT.endDate)
        markup["temporalCoverage"] = f"{start}/{end}"
    return markup
