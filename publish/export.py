"""Recommendations as a table to take away: CSV and JSON, and CSVW metadata for the whole table.

One row per recommendation, with clean columns: IRIs next to their labels, lists joined by
`` | ``, the text and the addressee cell verbatim. The list a person exports from the landing
page starts with a byte-order mark: Excel, which most policy readers open a CSV with, reads a
CSV without one in the Windows code page and garbles every accent, while LibreOffice, pandas
(``utf-8-sig``) and R skip it. The whole table, the distribution machines read through its CSVW
metadata, has none: the metadata says UTF-8, and CSVW processors such as the ``csvw`` package
would take a BOM for part of the first column's name.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator

from .namespaces import BASE
from .search_index import Hit, SearchIndex, Selection

BOM = "\ufeff"
SEPARATOR = " | "
#: The whole table's path, beside the RDF downloads; its CSVW metadata is at ``…-metadata.json``.
TABLE_PATH = "download/thbkg.csv"
METADATA_PATH = TABLE_PATH + "-metadata.json"
COLUMNS = (
    "iri",
    "identifier",
    "year",
    "theme",
    "theme_label",
    "addressees",
    "addressee_labels",
    "levels",
    "text",
    "addressee_text",
)
_BATCH = 1000

Labeller = Callable[[str], str]


def hits(index: SearchIndex, sel: Selection) -> Iterator[Hit]:
    """Every recommendation of a selection, read in batches so memory stays flat."""
    offset = 0
    while True:
        batch = index.search(sel, limit=_BATCH, offset=offset)
        yield from batch
        if len(batch) < _BATCH:
            return
        offset += _BATCH


def record(hit: Hit, label: Labeller) -> dict[str, object]:
    """One recommendation as plain values: lists stay lists (JSON), labels in one language."""
    return {
        "iri": hit.iri,
        "identifier": hit.identifier,
        "year": hit.year,
        "theme": hit.theme,
        "theme_label": label(hit.theme),
        "addressees": list(hit.addressees),
        "addressee_labels": [label(a) for a in hit.addressees],
        "levels": [label(level) for level in hit.levels],
        "text": hit.text,
        "addressee_text": hit.cell,
    }


def csv_chunks(records: Iterator[dict[str, object]], bom: bool = True) -> Iterator[bytes]:
    """The CSV bytes (RFC 4180, CRLF, a BOM first unless ``bom`` is false), in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write(BOM)
    writer.writerow(COLUMNS)
    for n, rec in enumerate(records, start=1):
        writer.writerow(
            SEPARATOR.join(v) if isinstance(v, list) else v for v in (rec[c] for c in COLUMNS)
        )
        if n % _BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def json_chunks(records: Iterator[dict[str, object]], about: dict[str, object]) -> Iterator[bytes]:
    """``{"query": ..., "recommendations": [...]}`` written as it goes."""
    head = json.dumps({"query": about}, ensure_ascii=False)[:-1]
    yield (head + ', "recommendations": [\n').encode("utf-8")
    for n, rec in enumerate(records):
        yield (("" if n == 0 else ",\n") + json.dumps(rec, ensure_ascii=False)).encode("utf-8")
    yield b"\n]}\n"


def csvw_metadata() -> dict[str, object]:
    """W3C CSV on the Web metadata for the whole table: each column's property in our model.

    Labels are French (every actor and theme has one), so ``theme_label`` is the theme's
    ``skos:prefLabel``@fr; the addressees' labels and the levels describe other resources in
    lists that cannot be paired with them, so they produce no RDF."""
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "fr"}],
        "url": TABLE_PATH.rpartition("/")[2],
        "dc:title": "Myria's recommendations on trafficking and smuggling (thbkg)",
        "dc:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
        "dc:source": {"@id": BASE + "dataset"},
        "dialect": {"encoding": "utf-8", "header": True},
        "tableSchema": {
            "aboutUrl": "{+iri}",
            "primaryKey": "iri",
            "columns": [
                {
                    "name": "iri",
                    "titles": "iri",
                    "datatype": "anyURI",
                    "suppressOutput": True,
                    "required": True,
                },
                {
                    "name": "identifier",
                    "titles": "identifier",
                    "datatype": "string",
                    "propertyUrl": "http://purl.org/dc/terms/identifier",
                    "required": True,
                },
                {
                    "name": "year",
                    "titles": "year",
                    "datatype": "gYear",
                    "propertyUrl": BASE + "ontology#year",
                },
                {
                    "name": "theme",
                    "titles": "theme",
                    "datatype": "anyURI",
                    "propertyUrl": BASE + "ontology#theme",
                    "valueUrl": "{+theme}",
                },
                {
                    "name": "theme_label",
                    "titles": "theme_label",
                    "lang": "fr",
                    "aboutUrl": "{+theme}",
                    "propertyUrl": "http://www.w3.org/2004/02/skos/core#prefLabel",
                },
                {
                    "name": "addressees",
                    "titles": "addressees",
                    "separator": SEPARATOR,
                    "datatype": "anyURI",
                    "propertyUrl": BASE + "ontology#addressedTo",
                    "valueUrl": "{+addressees}",
                },
                {
                    "name": "addressee_labels",
                    "titles": "addressee_labels",
                    "separator": SEPARATOR,
                    "suppressOutput": True,
                },
                {
                    "name": "levels",
                    "titles": "levels",
                    "separator": SEPARATOR,
                    "suppressOutput": True,
                },
                {
                    "name": "text",
                    "titles": "text",
                    "lang": "fr",
                    "propertyUrl": BASE + "ontology#text",
                },
                {
                    "name": "addressee_text",
                    "titles": "addressee_text",
                    "lang": "fr",
                    "propertyUrl": BASE + "ontology#addresseeText",
                },
            ],
        },
    }
