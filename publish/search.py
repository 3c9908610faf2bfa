"""The search index: built once, with the store, from SPARQL; never at request time.

``build_index`` asks the store (values bound, never formatted in) for every recommendation, its
addressees, the actor tree, levels, themes and labels, and writes a directory: ``records.sqlite``
(the rows a listing shows, the facet tables, labels, trees) and ``text/``, a Tantivy full-text
index (BM25, top-k without scoring every match, so a common word stays fast at 100,000
recommendations). Tantivy's stemmers are not exposed to Python, so the text is folded (case,
accents) and stemmed with Snowball here, on both sides: the index holds stems, and a query's
words are stemmed the same way ("mineur" finds "mineures", "nigeriane" finds "nigérianes").
Labels are stemmed in their own language. Facet tables hold, per recommendation, its theme and
the themes above it, its addressees and every organisation they are part of, and their levels.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import snowballstemmer
import tantivy
from rdflib.term import Identifier

#: The index directory inside a built store directory, and its two parts.
INDEX_DIR = "search"
RECORDS = "records.sqlite"
TEXT = "text"
LANGUAGES = ("fr", "en", "nl")
_STEMMERS = {"fr": "french", "en": "english", "nl": "dutch"}
WORD = re.compile(r"[^\W_]+")
#: BM25 boosts of the text fields: the text counts most, then the addressee cell, then labels.
WEIGHTS = {"text": 10.0, "cell": 5.0, "labels_fr": 1.0, "labels_en": 1.0, "labels_nl": 1.0}
#: The fields each language's stems are looked up in.
LANGUAGE_FIELDS = {"fr": ("text", "cell", "labels_fr"), "en": ("labels_en",), "nl": ("labels_nl",)}
#: The facet fields of the text index (exact IRIs), so a ranked search can be filtered.
FILTER_FIELDS = ("theme", "actor", "level")

_PREFIXES = """PREFIX thb: <https://w3id.org/thbkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX org: <http://www.w3.org/ns/org#>
"""
# Every recommendation with what a listing row shows (the addressee cell is optional in RDF).
RECOMMENDATIONS = (
    _PREFIXES
    + """SELECT ?r ?id ?year ?seq ?text ?cell ?theme WHERE {
  ?r a thb:Recommendation ; dcterms:identifier ?id ; thb:year ?year ; thb:sequence ?seq ;
     thb:text ?text ; thb:theme ?theme .
  OPTIONAL { ?r thb:addresseeText ?cell }
}"""
)
# Who each recommendation is addressed to, by name.
ADDRESSEES = _PREFIXES + "SELECT ?r ?a WHERE { ?r a thb:Recommendation ; thb:addressedTo ?a }"
# Every actor with its direct parent, if any, and its levels of government.
ACTORS = (
    _PREFIXES
    + """SELECT ?node ?parent ?level WHERE {
  ?node a thb:Actor .
  OPTIONAL { ?node org:subOrganizationOf ?parent }
  OPTIONAL { ?node thb:level ?level }
}"""
)
# Every theme with the phenomenon above it, if any.
THEMES = (
    _PREFIXES
    + """SELECT ?node ?parent WHERE {
  ?node a thb:Theme . OPTIONAL { ?node skos:broader ?parent }
}"""
)
# The preferred labels of actors, themes and levels of government, in every language.
LABELS = (
    _PREFIXES
    + """SELECT ?node ?label WHERE {
  { ?node a thb:Actor } UNION { ?node a thb:Theme } UNION { ?x thb:level ?node }
  ?node skos:prefLabel ?label .
}"""
)


class Selecting(Protocol):
    """The part of the store interface the build needs."""

    def select(self, query: str, **bindings: Identifier) -> list[dict[str, Identifier]]: ...


def fold(word: str) -> str:
    """Lower case without accents, so "Nigérianes" and "nigerianes" are one word."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def stem(word: str, lang: str = "fr") -> str:
    """The Snowball stem of one folded word (cached: a corpus has a small vocabulary)."""
    return _stemmer(lang).stemWord(fold(word))


@lru_cache(maxsize=8)
def _stemmer(lang: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_STEMMERS[lang])


def stems(text: str, lang: str = "fr") -> list[str]:
    """The stems of every word of ``text``, in order."""
    return [stem(w, lang) for w in WORD.findall(text)]


def _ancestors(parents: dict[str, set[str]], node: str) -> set[str]:
    """``node`` and everything above it (cycles in bad data are walked once)."""
    found, frontier = {node}, [node]
    while frontier:
        for parent in parents.get(frontier.pop(), ()):
            if parent not in found:
                found.add(parent)
                frontier.append(parent)
    return found


_SCHEMA = """
CREATE TABLE recs (rowid INTEGER PRIMARY KEY, iri TEXT UNIQUE, identifier TEXT, year INTEGER,
                   sequence INTEGER, theme TEXT, text TEXT, cell TEXT);
CREATE TABLE addressee (rec INTEGER, node TEXT);
CREATE TABLE theme (rec INTEGER, node TEXT);
CREATE TABLE actor (rec INTEGER, node TEXT);
CREATE TABLE level (rec INTEGER, node TEXT);
CREATE TABLE nodes (node TEXT, kind TEXT, parent TEXT);
CREATE TABLE labels (node TEXT, lang TEXT, label TEXT, PRIMARY KEY (node, lang));
CREATE TABLE totals (facet TEXT, node, count INTEGER);
"""
_INDEXES = """
CREATE INDEX addressee_node ON addressee (node, rec);
CREATE INDEX addressee_rec ON addressee (rec, node);
CREATE INDEX theme_node ON theme (node, rec);
CREATE INDEX actor_node ON actor (node, rec);
CREATE INDEX level_node ON level (node, rec);
CREATE INDEX level_rec ON level (rec, node);
CREATE INDEX recs_year ON recs (year, rowid);
CREATE INDEX recs_order ON recs (year, sequence, identifier);
INSERT INTO totals SELECT 'theme', node, COUNT(*) FROM theme GROUP BY node;
INSERT INTO totals SELECT 'actor', node, COUNT(*) FROM actor GROUP BY node;
INSERT INTO totals SELECT 'level', node, COUNT(*) FROM level GROUP BY node;
INSERT INTO totals SELECT 'year', year, COUNT(*) FROM recs GROUP BY year;
"""


def text_schema() -> tantivy.Schema:
    """The text index: stems per field, IRIs of the facets, the year and the row id."""
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("rowid", stored=True, indexed=True, fast=True)
    builder.add_integer_field("year", indexed=True)
    for field in WEIGHTS:
        builder.add_text_field(field, tokenizer_name="whitespace", index_option="freq")
    for field in FILTER_FIELDS:
        builder.add_text_field(field, tokenizer_name="raw", index_option="basic")
    return builder.build()


def _read(store: Selecting) -> dict[str, object]:
    """Everything the index holds, asked of the store."""
    labels: dict[str, dict[str, str]] = {}
    for row in store.select(LABELS):
        label = row["label"]
        labels.setdefault(str(row["node"]), {})[getattr(label, "language", None) or ""] = str(label)
    actor_parents: dict[str, set[str]] = {}
    actor_levels: dict[str, set[str]] = {}
    for row in store.select(ACTORS):
        node = str(row["node"])
        actor_parents.setdefault(node, set())
        if row.get("parent") is not None:
            actor_parents[node].add(str(row["parent"]))
        if row.get("level") is not None:
            actor_levels.setdefault(node, set()).add(str(row["level"]))
    theme_parents: dict[str, set[str]] = {}
    for row in store.select(THEMES):
        theme_parents.setdefault(str(row["node"]), set())
        if row.get("parent") is not None:
            theme_parents[str(row["node"])].add(str(row["parent"]))
    addressees: dict[str, set[str]] = {}
    for row in store.select(ADDRESSEES):
        addressees.setdefault(str(row["r"]), set()).add(str(row["a"]))
    rows = sorted(
        store.select(RECOMMENDATIONS),
        key=lambda r: (int(str(r["year"])), int(str(r["seq"])), str(r["id"])),
    )
    return {
        "labels": labels,
        "actor_parents": actor_parents,
        "actor_levels": actor_levels,
        "theme_parents": theme_parents,
        "addressees": addressees,
        "rows": rows,
    }


def build_index(store: Selecting, directory: Path) -> int:
    """Write the index of everything ``store`` holds to ``directory`` (whole or not at all:
    it is written beside it and renamed); return how many recommendations it holds."""
    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / TEXT).mkdir(parents=True)
    got = _read(store)
    labels: dict[str, dict[str, str]] = got["labels"]  # type: ignore[assignment]
    actor_parents: dict[str, set[str]] = got["actor_parents"]  # type: ignore[assignment]
    actor_levels: dict[str, set[str]] = got["actor_levels"]  # type: ignore[assignment]
    theme_parents: dict[str, set[str]] = got["theme_parents"]  # type: ignore[assignment]
    addressees: dict[str, set[str]] = got["addressees"]  # type: ignore[assignment]
    index = tantivy.Index(text_schema(), path=str(tmp / TEXT))
    writer = index.writer(heap_size=128_000_000, num_threads=1)
    db = sqlite3.connect(tmp / RECORDS)
    try:
        db.executescript(_SCHEMA)
        for kind, parents in (("actor", actor_parents), ("theme", theme_parents)):
            db.executemany(
                "INSERT INTO nodes VALUES (?, ?, ?)",
                [(n, kind, min(p) if p else None) for n, p in sorted(parents.items())],
            )
        db.executemany(
            "INSERT INTO labels VALUES (?, ?, ?)",
            [(n, lang, text) for n, by in labels.items() for lang, text in by.items()],
        )
        seen: set[str] = set()
        for row in got["rows"]:  # type: ignore[attr-defined]
            iri = str(row["r"])
            if iri in seen:  # two texts or themes would break the shapes; index the first
                continue
            seen.add(iri)
            rowid, year = len(seen), int(str(row["year"]))
            theme, text = str(row["theme"]), str(row["text"])
            cell = str(row["cell"]) if row.get("cell") is not None else ""
            named = sorted(addressees.get(iri, ()))
            db.execute(
                "INSERT INTO recs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (rowid, iri, str(row["id"]), year, int(str(row["seq"])), theme, text, cell),
            )
            facets = {
                "addressee": set(named),
                "actor": set().union(set(), *(_ancestors(actor_parents, a) for a in named)),
                "level": set().union(set(), *(actor_levels.get(a, set()) for a in named)),
                "theme": _ancestors(theme_parents, theme),
            }
            for table, nodes in facets.items():
                db.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(rowid, n) for n in nodes])
            described = [theme, *named]
            fields: dict[str, object] = {
                "rowid": rowid,
                "year": year,
                "text": " ".join(stems(text)),
                "cell": " ".join(stems(cell)),
            }
            for lang in LANGUAGES:
                fields[f"labels_{lang}"] = " ".join(
                    " ".join(stems(labels.get(n, {}).get(lang, ""), lang)) for n in described
                )
            for field in FILTER_FIELDS:
                fields[field] = sorted(facets[field])
            writer.add_document(tantivy.Document(**fields))
        db.executescript(_INDEXES)
        db.commit()
        writer.commit()
        writer.wait_merging_threads()
    finally:
        db.close()
    if directory.exists():
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        directory.rename(old)
        shutil.rmtree(old)
    tmp.rename(directory)
    return len(seen)
