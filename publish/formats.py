"""The one format table: everything a representation is, and content negotiation over it.

No other module spells a media type, a suffix, a W3C format IRI or a format's title; they look
formats up here by name, suffix or query form. Negotiation follows RFC 9110 §12.5.1: media-type
parameters are understood (``charset``, JSON-LD's ``profile``, CSV's ``header``), the most
specific matching range gives an offer its quality, ``q=0`` excludes, and an alias or a generic
type (``application/json``, ``text/plain``) counts only when the client names it, never through
a wildcard and never against an explicit refusal of the format's own type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, parse_options_header

from .namespaces import W3C_FORMATS

#: JSON-LD 1.1 profiles (§9.1); we write compacted documents with our context.
JSONLD_COMPACTED = "http://www.w3.org/ns/json-ld#compacted"

SELECT, ASK, CONSTRUCT, DESCRIBE = "SELECT", "ASK", "CONSTRUCT", "DESCRIBE"
GRAPH_FORMS = frozenset({CONSTRUCT, DESCRIBE})


@dataclass(frozen=True)
class Format:
    """A representation we read or write.

    ``aliases`` are other names of the same media type (``application/x-turtle``); ``generic``
    are broader types a client may ask for where this format fits (``application/xml``). Both
    are matched only when named exactly. ``params`` lists, per media-type parameter we
    understand, the values we can serve (the first is what we write); other parameters are
    ignored. ``forms`` are the SPARQL query forms whose result this format can carry.
    """

    name: str
    media_type: str
    suffix: str
    title: str
    w3c: str | None = None
    rdflib: str | None = None
    aliases: tuple[str, ...] = ()
    generic: tuple[str, ...] = ()
    params: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=False)
    forms: frozenset[str] = frozenset()
    dataset: bool = False  # keeps named graphs (TriG, N-Quads)
    eu_file_type: str | None = None  # code in the EU file-type table DCAT-AP's dct:format uses

    @property
    def content_type(self) -> str:
        """The Content-Type header: text formats say they are UTF-8, as everything we write is."""
        text = self.media_type.startswith("text/") or self.media_type.endswith(("json", "xml"))
        return f"{self.media_type}; charset=utf-8" if text else self.media_type

    @property
    def iana(self) -> str:
        """The IANA media-type IRI DCAT-AP uses for ``dcat:mediaType``."""
        return f"http://www.iana.org/assignments/media-types/{self.media_type}"

    @property
    def w3c_iri(self) -> str | None:
        """The W3C format IRI (``http://www.w3.org/ns/formats/Turtle``), where there is one."""
        return str(W3C_FORMATS[self.w3c]) if self.w3c else None

    def serves(self, params: dict[str, str]) -> bool:
        """Whether a media range's parameters ask for something we can write in this format."""
        for key, value in params.items():
            key = key.lower()
            if key == "q":
                continue
            if key == "charset":
                if value.lower().replace("_", "-") not in ("utf-8", "utf8"):
                    return False
            elif key in self.params:
                allowed = self.params[key]
                # ``profile`` is a space-separated list of IRIs (JSON-LD 1.1 §9.1): one suffices.
                wanted = value.split() if key == "profile" else [value.lower()]
                if not any(w in allowed for w in wanted):
                    return False
        return True


_GRAPHS = GRAPH_FORMS
_UTF8 = {"charset": ("utf-8",)}

# RDF graphs: the order is the server's preference when a client accepts several equally.
TURTLE = Format(
    "turtle", "text/turtle", "ttl", "Turtle", "Turtle", "turtle",
    aliases=("application/x-turtle",), forms=_GRAPHS, eu_file_type="RDF_TURTLE",
)  # fmt: skip
JSONLD = Format(
    "jsonld", "application/ld+json", "jsonld", "JSON-LD", "JSON-LD", "json-ld",
    generic=("application/json",), params={"profile": (JSONLD_COMPACTED,)}, forms=_GRAPHS,
    eu_file_type="JSON_LD",
)  # fmt: skip
NTRIPLES = Format(
    "ntriples", "application/n-triples", "nt", "N-Triples", "N-Triples", "nt",
    generic=("text/plain",), forms=_GRAPHS, eu_file_type="RDF_N_TRIPLES",
)  # fmt: skip
RDFXML = Format(
    "rdfxml", "application/rdf+xml", "rdf", "RDF/XML", "RDF_XML", "xml",
    generic=("application/xml", "text/xml"), forms=_GRAPHS, eu_file_type="RDF_XML",
)  # fmt: skip
# RDF datasets (named graphs kept).
TRIG = Format(
    "trig", "application/trig", "trig", "TriG", "TriG", "trig", dataset=True,
    eu_file_type="RDF_TRIG",
)  # fmt: skip
NQUADS = Format(
    "nquads", "application/n-quads", "nq", "N-Quads", "N-Quads", "nquads", dataset=True,
    eu_file_type="RDF_N_QUADS",
)  # fmt: skip
# Pages, and plain-text messages (errors for clients that do not want HTML).
HTML = Format("html", "text/html", "html", "HTML", aliases=("application/xhtml+xml",))
TEXT = Format("text", "text/plain", "txt", "plain text")
# For crawlers (``/sitemap.xml``) and the static files of the pages; no resource offers them.
SITEMAP = Format("sitemap", "application/xml", "xml", "Sitemap")
STYLESHEET = Format("css", "text/css", "css", "CSS")
SCRIPT = Format("js", "text/javascript", "js", "JavaScript", aliases=("application/javascript",))
# SPARQL results.
SPARQL_JSON = Format(
    "json", "application/sparql-results+json", "srj", "SPARQL JSON results",
    "SPARQL_Results_JSON", "json", generic=("application/json",), forms=frozenset({SELECT, ASK}),
)  # fmt: skip
SPARQL_XML = Format(
    "xml", "application/sparql-results+xml", "srx", "SPARQL XML results", "SPARQL_Results_XML",
    "xml", generic=("application/xml", "text/xml"), forms=frozenset({SELECT, ASK}),
)  # fmt: skip
CSV = Format(
    "csv", "text/csv", "csv", "SPARQL CSV results", "SPARQL_Results_CSV", "csv",
    params={"header": ("present",)}, forms=frozenset({SELECT}), eu_file_type="CSV",
)  # fmt: skip
TSV = Format(
    "tsv", "text/tab-separated-values", "tsv", "SPARQL TSV results", "SPARQL_Results_TSV", "tsv",
    generic=("text/plain",), forms=frozenset({SELECT}),
)  # fmt: skip
# Tables of recommendations (the landing page's list, the whole table) and their CSVW metadata.
JSON = Format("json", "application/json", "json", "JSON")
CSVW_METADATA = Format("csvw", "application/csvm+json", "json", "CSVW metadata")
LIST_FORMATS = (CSV, JSON)

# Request bodies the SPARQL 1.1 Protocol defines: accepted (or refused) by /sparql, never served.
FORM_BODY = "application/x-www-form-urlencoded"
SPARQL_QUERY_BODY = "application/sparql-query"
SPARQL_UPDATE_BODY = "application/sparql-update"

RDF_FORMATS = (TURTLE, JSONLD, NTRIPLES, RDFXML)
DATASET_FORMATS = (TRIG, NQUADS)
RESULT_FORMATS = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
ALL_FORMATS = (*RDF_FORMATS, *DATASET_FORMATS, HTML, TEXT, *RESULT_FORMATS)
#: What a resource IRI offers: ``*/*`` alone gets Turtle, a browser (``text/html`` at q=1) HTML;
#: TriG and N-Quads put what the reasoner inferred in the named graph ``graph/inferred``.
RESOURCE_OFFERS = (*RDF_FORMATS, *DATASET_FORMATS, HTML)
#: The whole graph as a file, in the order the dataset description lists the downloads.
DOWNLOAD_FORMATS = (TURTLE, TRIG, NTRIPLES, RDFXML, JSONLD)

_BY_SUFFIX = {f.suffix: f for f in ALL_FORMATS}


def by_suffix(suffix: str) -> Format | None:
    """The format a path suffix (``ttl``, ``jsonld`` ...) asks for, if any."""
    return _BY_SUFFIX.get(suffix.lower().lstrip("."))


def for_form(form: str) -> tuple[Format, ...]:
    """The formats a query form's result can be written in, in the server's preference."""
    return tuple(f for f in ALL_FORMATS if form in f.forms)


def query_outputs() -> tuple[str, ...]:
    """The names ``thbkg query --format`` takes: result formats by name, graphs by suffix."""
    return tuple(f.suffix if f.forms <= GRAPH_FORMS else f.name for f in ALL_FORMATS if f.forms)


def by_name(name: str, offers: tuple[Format, ...] = ALL_FORMATS) -> Format | None:
    """The one of ``offers`` a ``?format=`` value or an output name means, if any.

    Tried in order, each over ``offers`` in their order: the short name (``turtle``, ``csv``),
    the media type (parameters ignored) or an alias, a generic type, the suffix (``ttl``), then
    the structured-syntax suffix of the media type (RFC 6839: ``json`` for
    ``application/ld+json``), then rdflib's plugin name (``json-ld``, which SPARQLWrapper sends).
    So ``json`` is SPARQL JSON among every format, but JSON-LD among a resource's offers.
    """
    name = name.strip().lower()
    bare = parse_options_header(name)[0] if "/" in name else name
    tests = (
        lambda f: name == f.name,
        lambda f: bare == f.media_type or bare in f.aliases,
        lambda f: bare in f.generic,
        lambda f: name == f.suffix,
        lambda f: f.media_type.rpartition("+")[2] == name and "+" in f.media_type,
        lambda f: name == f.rdflib,
    )
    for test in tests:
        found = next((f for f in offers if test(f)), None)
        if found is not None:
            return found
    return None


def _ranges(accept: str | None) -> list[tuple[str, str, dict[str, str], float]]:
    """The media ranges of an ``Accept`` header: (type, subtype, parameters, quality)."""
    try:
        parsed = parse_accept_header(accept or "*/*", MIMEAccept)
    except ValueError:
        return []
    ranges = []
    for value, quality in parsed:
        mime, params = parse_options_header(value)
        kind, _, subtype = mime.lower().partition("/")
        if kind and subtype:
            ranges.append((kind, subtype, params, quality))
    return ranges


def _quality(
    offer: Format, ranges: list[tuple[str, str, dict[str, str], float]]
) -> tuple[float, int]:
    """The quality a client gives ``offer`` and how specific the range that gave it is.

    The format's own type is matched by the most specific range (exact with parameters, exact,
    ``type/*``, ``*/*``); an exact range at ``q=0`` refuses the format whatever else matches.
    Aliases and generic types count only when a range names them exactly.
    """
    kind, _, subtype = offer.media_type.partition("/")
    best: tuple[int, float] | None = None  # (specificity, quality) of the most specific match
    for r_kind, r_sub, params, quality in ranges:
        if (r_kind, r_sub) == (kind, subtype):
            if not offer.serves(params):
                continue
            specificity = 4 if any(k != "q" for k in params) else 3
        elif (r_kind, r_sub) == (kind, "*"):
            specificity = 2
        elif (r_kind, r_sub) == ("*", "*"):
            specificity = 1
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, quality)
    if best is not None and best[0] >= 3:
        return best[1], best[0]
    named = [
        quality
        for r_kind, r_sub, params, quality in ranges
        if f"{r_kind}/{r_sub}" in (*offer.aliases, *offer.generic) and offer.serves(params)
    ]
    if named and max(named) > 0:
        return max(named), 3
    return (best[1], best[0]) if best is not None else (0.0, 0)


def negotiate(accept: str | None, offers: tuple[Format, ...]) -> Format | None:
    """The best of ``offers`` for an ``Accept`` header, or None when none is acceptable (406).

    A missing or empty header counts as ``*/*``; an unparseable one accepts nothing. Highest
    quality wins; among equal qualities the more specific range, then the order of ``offers``.
    So a browser's ``text/html,...,*/*;q=0.8`` gets HTML, ``*/*`` alone the first offer, and
    ``text/turtle;q=0, */*`` anything but Turtle.
    """
    ranges = _ranges(accept)
    best: Format | None = None
    best_key = (0.0, 0)
    for offer in offers:
        key = _quality(offer, ranges)
        if key[0] > 0 and key > best_key:
            best, best_key = offer, key
    return best
