"""Render an evaluated ``Answer`` as bytes: SPARQL results formats, RDF formats, or a text table.

rdflib writes SPARQL JSON, XML and CSV; it has no TSV writer, so TSV is written here following
SPARQL 1.1 Query Results CSV and TSV Formats (terms in Turtle / N-Triples syntax).
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef, Variable
from rdflib.namespace import XSD
from rdflib.query import Result
from rdflib.term import Identifier

from . import formats
from .characters import forbidden_in_terms
from .engines import Answer
from .errors import NotAcceptable, QueryError
from .namespaces import PREFIXES, short
from .store import OX_FORMATS

#: Output names the core accepts besides the formats of ``publish.formats``.
TABLE = "table"

#: Our prefixes and their namespaces, as the strings a serializer is handed.
_NAMESPACES = tuple((prefix, str(ns)) for prefix, ns in PREFIXES.items())

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(text: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in text)


def term_to_ntriples(term: Identifier) -> str:
    """A term in N-Triples syntax, with tab and newline escaped as TSV requires."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        quoted = f'"{_escape(str(term))}"'
        if term.language:
            return f"{quoted}@{term.language}"
        if term.datatype and term.datatype != XSD.string:
            return f"{quoted}^^<{term.datatype}>"
        return quoted
    raise TypeError(f"not an RDF term: {term!r}")


def to_tsv(answer: Answer) -> bytes:
    """SPARQL 1.1 TSV: a header of ``?var`` names, then one line per row, unbound cells empty."""
    lines = ["\t".join(f"?{v}" for v in answer.variables)]
    for row in answer.rows:
        lines.append("\t".join("" if t is None else term_to_ntriples(t) for t in row))
    return ("\n".join(lines) + "\n").encode("utf-8")


class _Written(Literal):
    """A literal rdflib's XML writer always writes: it drops falsy ones (0, false) as empty."""

    def __bool__(self) -> bool:
        return bool(str(self))


def _writable(term: Identifier) -> Identifier:
    if isinstance(term, Literal) and not term and str(term):
        return _Written(str(term), lang=term.language, datatype=term.datatype, normalize=False)
    return term


def to_rdflib_result(answer: Answer) -> Result:
    """The answer as an rdflib Result, to reuse rdflib's JSON, XML and CSV writers."""
    result = Result(answer.form if answer.form in ("SELECT", "ASK") else "CONSTRUCT")
    if answer.form == "ASK":
        result.askAnswer = bool(answer.boolean)
    elif answer.form == "SELECT":
        variables = [Variable(v) for v in answer.variables]
        result.vars = variables
        result.bindings = [
            {v: _writable(t) for v, t in zip(variables, row, strict=True) if t is not None}
            for row in answer.rows
        ]
    else:
        result.graph = answer.graph
    return result


def _short(term: Identifier | None) -> str:
    if term is None:
        return ""
    if isinstance(term, Literal) and term.datatype in (XSD.integer, XSD.decimal, XSD.double):
        return str(term)
    if isinstance(term, Literal):
        return term_to_ntriples(term)
    if isinstance(term, URIRef):
        return short(term)
    return term_to_ntriples(term)


def to_table(answer: Answer) -> bytes:
    """A plain-text table for terminals: prefixed names, aligned columns, a row count."""
    if answer.form == "ASK":
        return b"true\n" if answer.boolean else b"false\n"
    if answer.form != "SELECT":
        return to_rdf(answer, formats.TURTLE)
    header = [f"?{v}" for v in answer.variables]
    cells = [[_short(t) for t in row] for row in answer.rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(header)]

    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    out = [line(header), line(["-" * w for w in widths])] + [line(r) for r in cells]
    count = len(cells)
    out.append(f"({count} row{'s' if count != 1 else ''})")
    return ("\n".join(out) + "\n").encode("utf-8")


def to_rdf(answer: Answer, fmt: formats.Format) -> bytes:
    """A CONSTRUCT or DESCRIBE result in an RDF format, by Oxigraph's serializers (with the
    prefixes the result uses) where they fit: copying it into an rdflib graph and writing it
    with rdflib cost more than the query. JSON-LD stays with rdflib's writer, as elsewhere."""
    native = OX_FORMATS.get(fmt.name)
    if native is None or fmt == formats.JSONLD:
        return answer.graph.serialize(format=fmt.rdflib, encoding="utf-8")
    # Every IRI after a line feed (which no IRI holds): a namespace is used when "\n" and the
    # namespace occur in it, one substring search per prefix instead of a loop over the IRIs.
    iris = "".join(
        "\n" + term.value
        for triple in answer.triples or ()
        for term in (*triple, getattr(triple.object, "datatype", None))
        if isinstance(term, ox.NamedNode)
    )
    used = {prefix: ns for prefix, ns in _NAMESPACES if "\n" + ns in iris}
    return ox.serialize(answer.triples or [], format=native, prefixes=used)


def render(answer: Answer, output: str) -> bytes:
    """Bytes of ``answer`` in ``output``: a format name of ``publish.formats`` or ``table``."""
    if output == TABLE:
        return to_table(answer)
    fmt = formats.by_name(output)
    if fmt in (formats.SPARQL_XML, formats.RDFXML):
        _refuse_what_xml_cannot_carry(answer, fmt)
    if fmt is not None and answer.form in fmt.forms:
        if answer.form in formats.GRAPH_FORMS:
            return to_rdf(answer, fmt)
        if fmt == formats.TSV:
            return to_tsv(answer)
        return to_rdflib_result(answer).serialize(format=fmt.rdflib)
    raise QueryError(f"the result of {answer.form} cannot be written as {output}")


def _refuse_what_xml_cannot_carry(answer: Answer, fmt: formats.Format) -> None:
    """A result holding a NUL (say, built with ``"\\u0000"``) would be ill-formed XML: 406."""
    terms = (
        (
            text
            for triple in answer.triples
            for term in triple
            for text in (term.value, getattr(term, "datatype", None) and term.datatype.value)
        )
        if answer.triples is not None
        else (t for row in answer.rows for t in row)
    )
    bad = forbidden_in_terms(terms)
    if bad:
        raise NotAcceptable(
            f"the result holds {bad}, which {fmt.media_type} (XML) cannot carry; "
            "ask for JSON, CSV, TSV, Turtle or N-Triples"
        )
