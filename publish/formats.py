"""The one media-type registry: every format we serve, and content negotiation over it.

No other module spells a media type; they look formats up here by name or by suffix.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header


@dataclass(frozen=True)
class Format:
    """A representation: its name, media type, file suffix and rdflib serializer name."""

    name: str
    media_type: str
    suffix: str
    rdflib: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The Content-Type header: text formats say they are UTF-8, as everything we write is."""
        text = self.media_type.startswith("text/") or self.media_type.endswith(("json", "xml"))
        return f"{self.media_type}; charset=utf-8" if text else self.media_type

    @property
    def iana(self) -> str:
        """The IANA media-type IRI DCAT-AP uses for ``dcat:mediaType``."""
        return f"http://www.iana.org/assignments/media-types/{self.media_type}"


# RDF graphs: the order is the server's preference when a client accepts several equally.
TURTLE = Format("turtle", "text/turtle", "ttl", "turtle", ("application/x-turtle",))
JSONLD = Format("jsonld", "application/ld+json", "jsonld", "json-ld", ("application/json",))
NTRIPLES = Format("ntriples", "application/n-triples", "nt", "nt")
RDFXML = Format("rdfxml", "application/rdf+xml", "rdf", "xml")
# RDF datasets (named graphs kept).
TRIG = Format("trig", "application/trig", "trig", "trig")
NQUADS = Format("nquads", "application/n-quads", "nq", "nquads")
# Pages, and plain-text messages (errors for clients that do not want HTML).
HTML = Format("html", "text/html", "html", None, ("application/xhtml+xml",))
TEXT = Format("text", "text/plain", "txt")
# SPARQL results.
SPARQL_JSON = Format(
    "json", "application/sparql-results+json", "srj", "json", ("application/json",)
)
SPARQL_XML = Format("xml", "application/sparql-results+xml", "srx", "xml")
CSV = Format("csv", "text/csv", "csv", "csv")
TSV = Format("tsv", "text/tab-separated-values", "tsv", "tsv")
# Tables of recommendations (the landing page's list, the whole table) and their CSVW metadata.
JSON = Format("json", "application/json", "json")
CSVW_METADATA = Format("csvw", "application/csvm+json", "json")
LIST_FORMATS = (CSV, JSON)

# Request bodies the SPARQL 1.1 Protocol defines: accepted (or refused) by /sparql, never served.
FORM_BODY = "application/x-www-form-urlencoded"
SPARQL_QUERY_BODY = "application/sparql-query"
SPARQL_UPDATE_BODY = "application/sparql-update"

RDF_FORMATS = (TURTLE, JSONLD, NTRIPLES, RDFXML)
DATASET_FORMATS = (TRIG, NQUADS)
RESULT_FORMATS = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
ALL_FORMATS = (*RDF_FORMATS, *DATASET_FORMATS, HTML, TEXT, *RESULT_FORMATS)

_BY_SUFFIX = {f.suffix: f for f in ALL_FORMATS}


def by_suffix(suffix: str) -> Format | None:
    """The format a path suffix (``ttl``, ``jsonld`` ...) asks for, if any."""
    return _BY_SUFFIX.get(suffix.lower().lstrip("."))


def by_name(name: str, offers: tuple[Format, ...] = ALL_FORMATS) -> Format | None:
    """The one of ``offers`` a ``?format=`` value or an output name means, if any.

    Tried in order, each over ``offers`` in their order: the short name (``turtle``, ``csv``),
    the media type or an alias, the suffix (``ttl``), then the structured-syntax suffix of the
    media type (RFC 6839: ``json`` for ``application/ld+json``, ``xml`` for
    ``application/rdf+xml``), then rdflib's plugin name (``json-ld``, which SPARQLWrapper sends).
    So ``json`` is SPARQL JSON among every format, but JSON-LD among a resource's offers.
    """
    name = name.strip().lower()
    tests = (
        lambda f: name == f.name,
        lambda f: name == f.media_type or name in f.aliases,
        lambda f: name == f.suffix,
        lambda f: f.media_type.rpartition("+")[2] == name and "+" in f.media_type,
        lambda f: name == f.rdflib,
    )
    for test in tests:
        found = next((f for f in offers if test(f)), None)
        if found is not None:
            return found
    return None


def negotiate(accept: str | None, offers: tuple[Format, ...]) -> Format | None:
    """The best of ``offers`` for an ``Accept`` header, or None when none is acceptable (406).

    A missing or empty header counts as ``*/*``. Quality values are honoured; among equal
    qualities the more specific media range wins, then the order of ``offers``. So a browser's
    ``text/html,...,*/*;q=0.8`` gets HTML, while ``*/*`` alone gets the first offer.
    """
    try:
        parsed = parse_accept_header(accept or "*/*", MIMEAccept)
    except ValueError:
        parsed = MIMEAccept([("*/*", 1)])
    by_type: dict[str, Format] = {}
    for offer in offers:
        by_type.setdefault(offer.media_type, offer)
        for alias in offer.aliases:
            by_type.setdefault(alias, offer)
    best = parsed.best_match(list(by_type))
    return by_type.get(best) if best else None
