"""Reading the search index: ranked text search, facet counts, listing rows, labels, trees.

Tantivy ranks (BM25, top-k) and counts text matches, with the facet choices as filters in the
same query; the facet counts are NumPy bincounts over masks (``publish/facets.py``); the rows a
page shows come from ``records.sqlite``, one read-only SQLite connection per thread.
"""

from __future__ import annotations

import html
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tantivy
from markupsafe import Markup, escape

from .facets import FacetTables
from .search import FILTER_FIELDS, LANGUAGE_FIELDS, RECORDS, TEXT, WEIGHTS, WORD, stem

FACETS = ("theme", "actor", "level", "year")


@dataclass(frozen=True)
class Selection:
    """One state of the listing: a text query and facet values (IRIs; a year), all optional."""

    q: str = ""
    theme: str | None = None
    actor: str | None = None
    level: str | None = None
    year: int | None = None

    def without(self, facet: str) -> Selection:
        return Selection(**{**self.__dict__, facet: None})


@dataclass(frozen=True)
class Hit:
    """A listed recommendation, with its text and addressee cell highlighted (escaped)."""

    iri: str
    identifier: str
    year: int
    sequence: int
    theme: str
    text: str
    cell: str
    addressees: tuple[str, ...]
    levels: tuple[str, ...] = ()
    marked_text: Markup = field(default=Markup(""), compare=False)
    marked_cell: Markup = field(default=Markup(""), compare=False)


def words(q: str) -> list[str]:
    """The words of a query: letters and digits only, so nothing a user types is syntax."""
    return WORD.findall(q)


def text_query(schema: tantivy.Schema, q: str) -> tantivy.Query | None:
    """Every word must match, in any field, by its stem in that field's language; fields are
    boosted so the text counts most. None when ``q`` has no word."""
    musts = []
    for word in words(q):
        shoulds = [
            (
                tantivy.Occur.Should,
                tantivy.Query.boost_query(
                    tantivy.Query.term_query(schema, name, stem(word, lang)), WEIGHTS[name]
                ),
            )
            for lang, names in LANGUAGE_FIELDS.items()
            for name in names
        ]
        musts.append((tantivy.Occur.Must, tantivy.Query.boolean_query(shoulds)))
    return tantivy.Query.boolean_query(musts) if musts else None


def highlight(text: str, q: str) -> Markup:
    """``text`` escaped, with the words whose stem a query word has wrapped in ``<mark>``."""
    wanted = {stem(w) for w in words(q)}
    if not wanted:
        return escape(text)
    out, last = [], 0
    for found in WORD.finditer(text):
        if stem(found.group()) in wanted:
            out += (html.escape(text[last : found.start()]), "<mark>")
            out += (html.escape(found.group()), "</mark>")
            last = found.end()
    out.append(html.escape(text[last:]))
    return Markup("".join(out))  # every piece of the text went through html.escape


class SearchIndex:
    """An index directory written by ``build_index``, opened read-only."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        if not (self.directory / RECORDS).is_file() or not (self.directory / TEXT).is_dir():
            raise FileNotFoundError(f"no search index at {self.directory}")
        self._local = threading.local()
        self.text = tantivy.Index.open(str(self.directory / TEXT))
        self.schema = self.text.schema
        self.searcher = self.text.searcher()
        self._labels: dict[str, dict[str, str]] = {}
        for node, lang, label in self.db.execute("SELECT node, lang, label FROM labels"):
            self._labels.setdefault(node, {})[lang] = label
        self.tables = FacetTables(self.db)
        self._matches: dict[str, np.ndarray] = {}  # recent text queries' rows (bounded)
        self._lock = threading.Lock()

    @property
    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            uri = f"{(self.directory / RECORDS).resolve().as_uri()}?mode=ro"
            db = sqlite3.connect(uri, uri=True)
            self._local.db = db
        return db

    def label(self, node: str, lang: str) -> tuple[str, str]:
        """(label, its language): in ``lang``, else English, French, Dutch (the catalogue's
        order), else untagged, else the IRI's last segment."""
        labels = self._labels.get(node, {})
        for candidate in (lang, "en", "fr", "nl", ""):
            if candidate in labels:
                return labels[candidate], candidate
        return node.rstrip("/").rpartition("/")[2], ""

    # ------------------------------------------------------------------ text search

    def _query(self, sel: Selection) -> tantivy.Query | None:
        """The text query of a selection with its facet choices as score-free filters."""
        text = text_query(self.schema, sel.q)
        if text is None:
            return None
        clauses = [(tantivy.Occur.Must, text)]
        for name in FILTER_FIELDS:
            value = getattr(sel, name)
            if value is not None:
                term = tantivy.Query.term_query(self.schema, name, value)
                clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(term, 0.0)))
        if sel.year is not None:
            term = tantivy.Query.term_query(self.schema, "year", sel.year)
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(term, 0.0)))
        return tantivy.Query.boolean_query(clauses)

    def _rowids(self, addresses: Sequence[tantivy.DocAddress]) -> list[int]:
        return self.searcher.fast_field_values("rowid", list(addresses))

    def _text_mask(self, q: str) -> np.ndarray:
        """The recommendations a text query matches, remembered for the next calls."""
        key = " ".join(words(q))
        mask = self._matches.get(key)
        if mask is None:
            query = text_query(self.schema, q)
            total = self.searcher.search(query, 1, count=True).count or 1
            hits = self.searcher.search(query, total, count=False).hits
            mask = self.tables.rows_mask(self._rowids([address for _, address in hits]))
            with self._lock:
                if len(self._matches) >= 32:
                    self._matches.pop(next(iter(self._matches)), None)
                self._matches[key] = mask
        return mask

    def _mask(self, sel: Selection) -> np.ndarray | None:
        """The recommendations of a selection as a mask (None: all of them)."""
        parts = [self._text_mask(sel.q)] if words(sel.q) else []
        parts += [
            self.tables.value_mask(name, getattr(sel, name))
            for name in FILTER_FIELDS
            if getattr(sel, name) is not None
        ]
        if sel.year is not None:
            parts.append(self.tables.year_mask(sel.year))
        mask = None
        for part in parts:
            mask = part if mask is None else mask & part
        return mask

    def count(self, sel: Selection) -> int:
        """How many recommendations a selection holds."""
        query = self._query(sel)
        if query is not None:
            return self.searcher.search(query, 1, count=True).count
        mask = self._mask(sel)
        return int(self.tables.present.sum() if mask is None else mask.sum())

    def search(self, sel: Selection, limit: int | None = 50, offset: int = 0) -> list[Hit]:
        """The matching recommendations, best first for a text query (ties in source order),
        else in source order (row ids follow year and sequence)."""
        query = self._query(sel)
        if query is not None:
            size = self.count(sel) if limit is None else limit
            hits = self.searcher.search(query, max(size, 1), count=False, offset=offset).hits
            rowids = self._rowids([address for _, address in hits])
            scores = [score for score, _ in hits]
            order = sorted(range(len(rowids)), key=lambda i: (-scores[i], rowids[i]))
            rowids = [rowids[i] for i in order]
        else:
            mask = self._mask(sel)
            chosen = np.flatnonzero(self.tables.present if mask is None else mask)
            end = None if limit is None else offset + limit
            rowids = [int(r) for r in chosen[offset:end]]
        return list(self._hits(rowids, sel.q))

    def _hits(self, rowids: list[int], q: str) -> Iterator[Hit]:
        """The listing rows of ``rowids``, in that order."""
        rows: dict[int, tuple] = {}
        named: dict[int, list[str]] = {}
        levels: dict[int, list[str]] = {}
        for start in range(0, len(rowids), 500):
            chunk = rowids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT * FROM recs WHERE rowid IN ({marks})", chunk):
                rows[row[0]] = row
            for table, into in (("addressee", named), ("level", levels)):
                sql = f"SELECT rec, node FROM {table} WHERE rec IN ({marks}) ORDER BY node"
                for rec, node in self.db.execute(sql, chunk):
                    into.setdefault(rec, []).append(node)
        for rowid in rowids:
            _, iri, identifier, year, sequence, theme, text, cell = rows[rowid]
            yield Hit(
                iri,
                identifier,
                year,
                sequence,
                theme,
                text,
                cell,
                tuple(named.get(rowid, ())),
                tuple(levels.get(rowid, ())),
                highlight(text, q),
                highlight(cell, q),
            )

    # ------------------------------------------------------------------ facets

    def counts(self, sel: Selection, facet: str) -> dict[object, int]:
        """Recommendations of a selection per value of one facet (themes and actors count
        what is below them)."""
        mask = self._mask(sel)
        if mask is None:
            sql = "SELECT node, count FROM totals WHERE facet = ?"
            return dict(self.db.execute(sql, (facet,)))
        return self.tables.count(facet, mask)

    def facets(self, sel: Selection) -> dict[str, dict[object, int]]:
        """For each facet, every value with the number of recommendations choosing it would give
        (the other facets and the text query applied, this facet's own choice replaced)."""
        return {facet: self.counts(sel.without(facet), facet) for facet in FACETS}

    def addressed(self, sel: Selection) -> dict[object, int]:
        """Recommendations per actor addressed by name, within a selection (the charts)."""
        mask = self._mask(sel)
        return self.tables.count("addressee", self.tables.present if mask is None else mask)

    def tree(self, kind: str) -> dict[str | None, list[str]]:
        """Children by parent (None for the tops) of the actor or theme hierarchy."""
        children: dict[str | None, list[str]] = {}
        for node, parent in self.db.execute(
            "SELECT node, parent FROM nodes WHERE kind = ? ORDER BY node", (kind,)
        ):
            children.setdefault(parent, []).append(node)
        return children

    def years(self) -> list[int]:
        return [y for (y,) in self.db.execute("SELECT DISTINCT year FROM recs ORDER BY year")]

    def has(self, kind: str, node: str) -> bool:
        """Whether ``node`` is a theme or actor (``kind``) of the index, or a level it uses."""
        if kind == "level":
            sql = "SELECT 1 FROM level WHERE node = ? LIMIT 1"
            return self.db.execute(sql, (node,)).fetchone() is not None
        sql = "SELECT 1 FROM nodes WHERE kind = ? AND node = ?"
        return self.db.execute(sql, (kind, node)).fetchone() is not None
