"""The search and facet index: SQLite FTS5 (standard library) built once, with the store.

A request never scans the graph: ``build_index`` asks the store once (SPARQL, values bound) for
every recommendation, its addressees, the actor tree, levels, themes and labels, and writes
``search.sqlite`` beside the store. FTS5's own tokenizers cannot stem French, so the text is
folded (case and accents) and stemmed with Snowball in Python, on both sides: the index holds
stems, and a query's words are stemmed the same way ("mineur" finds "mineures", "nigeriane"
finds "nigérianes"). Labels are stemmed in their own language. Facet tables hold, per
recommendation, its theme and the themes above it, its addressees and every organisation they
are part of, and their levels, so counts are one GROUP BY each.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import snowballstemmer
from markupsafe import Markup, escape
from rdflib.term import Identifier

#: The file name of the index inside a built store directory.
INDEX_FILE = "search.sqlite"
LANGUAGES = ("fr", "en", "nl")
_STEMMERS = {"fr": "french", "en": "english", "nl": "dutch"}
_WORD = re.compile(r"[^\W_]+")
#: bm25 weights of the FTS columns: the text counts most, then the addressee cell, then labels.
_COLUMNS = ("text", "cell", "labels_fr", "labels_en", "labels_nl")
_WEIGHTS = (4.0, 2.0, 1.0, 1.0, 1.0)
FACETS = ("theme", "actor", "level", "year")
_LANGUAGE_COLUMNS = {
    "fr": ("text", "cell", "labels_fr"),
    "en": ("labels_en",),
    "nl": ("labels_nl",),
}

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
    return [stem(w, lang) for w in _WORD.findall(text)]


def _ancestors(parents: dict[str, set[str]], node: str) -> set[str]:
    """``node`` and everything above it (cycles in bad data are walked once)."""
    found, frontier = {node}, [node]
    while frontier:
        for parent in parents.get(frontier.pop(), ()):
            if parent not in found:
                found.add(parent)
                frontier.append(parent)
    return found


_SCHEMA = f"""
CREATE TABLE recs (rowid INTEGER PRIMARY KEY, iri TEXT UNIQUE, identifier TEXT, year INTEGER,
                   sequence INTEGER, theme TEXT, text TEXT, cell TEXT);
CREATE TABLE addressee (rec INTEGER, node TEXT);
CREATE TABLE theme (rec INTEGER, node TEXT);
CREATE TABLE actor (rec INTEGER, node TEXT);
CREATE TABLE level (rec INTEGER, node TEXT);
CREATE TABLE nodes (node TEXT, kind TEXT, parent TEXT);
CREATE TABLE labels (node TEXT, lang TEXT, label TEXT, PRIMARY KEY (node, lang));
CREATE TABLE totals (facet TEXT, node, count INTEGER);
CREATE VIRTUAL TABLE fts USING fts5({", ".join(_COLUMNS)}, content='', tokenize='unicode61');
"""
_INDEXES = """
CREATE INDEX addressee_node ON addressee (node, rec);
CREATE INDEX addressee_rec ON addressee (rec, node);
CREATE INDEX theme_node ON theme (node, rec);
CREATE INDEX actor_node ON actor (node, rec);
CREATE INDEX level_node ON level (node, rec);
CREATE INDEX recs_year ON recs (year, rowid);
CREATE INDEX recs_order ON recs (year, sequence, identifier);
INSERT INTO totals SELECT 'theme', node, COUNT(*) FROM theme GROUP BY node;
INSERT INTO totals SELECT 'actor', node, COUNT(*) FROM actor GROUP BY node;
INSERT INTO totals SELECT 'level', node, COUNT(*) FROM level GROUP BY node;
INSERT INTO totals SELECT 'year', year, COUNT(*) FROM recs GROUP BY year;
"""


def build_index(store: Selecting, path: Path) -> int:
    """Write the index of everything ``store`` holds to ``path`` (atomically); return its size."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    labels: dict[str, dict[str, str]] = {}
    for row in store.select(LABELS):
        label = row["label"]
        lang = getattr(label, "language", None) or ""
        labels.setdefault(str(row["node"]), {})[lang] = str(label)
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
        node = str(row["node"])
        theme_parents.setdefault(node, set())
        if row.get("parent") is not None:
            theme_parents[node].add(str(row["parent"]))
    addressees: dict[str, set[str]] = {}
    for row in store.select(ADDRESSEES):
        addressees.setdefault(str(row["r"]), set()).add(str(row["a"]))
    rows = sorted(
        store.select(RECOMMENDATIONS),
        key=lambda r: (int(str(r["year"])), int(str(r["seq"])), str(r["id"])),
    )
    db = sqlite3.connect(tmp)
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
        for rowid, row in enumerate(rows, start=1):
            iri = str(row["r"])
            if iri in seen:  # two texts or themes would break the shapes; index the first
                continue
            seen.add(iri)
            theme = str(row["theme"])
            cell = str(row["cell"]) if row.get("cell") is not None else ""
            named = sorted(addressees.get(iri, ()))
            db.execute(
                "INSERT INTO recs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rowid,
                    iri,
                    str(row["id"]),
                    int(str(row["year"])),
                    int(str(row["seq"])),
                    theme,
                    str(row["text"]),
                    cell,
                ),
            )
            reached = (
                set().union(*(_ancestors(actor_parents, a) for a in named)) if named else set()
            )
            levels = set().union(*(actor_levels.get(a, set()) for a in named)) if named else set()
            for table, nodes in (
                ("addressee", named),
                ("actor", reached),
                ("level", levels),
                ("theme", _ancestors(theme_parents, theme)),
            ):
                db.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(rowid, n) for n in nodes])
            described = [theme, *named]
            db.execute(
                f"INSERT INTO fts (rowid, {', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    rowid,
                    " ".join(stems(str(row["text"]))),
                    " ".join(stems(cell)),
                    *(
                        " ".join(
                            " ".join(stems(labels.get(n, {}).get(lang, ""), lang))
                            for n in described
                        )
                        for lang in LANGUAGES
                    ),
                ),
            )
        db.executescript(_INDEXES)
        db.execute("INSERT INTO fts (fts) VALUES ('optimize')")
        db.commit()
        count = len(seen)
    finally:
        db.close()
    tmp.replace(path)
    return count


# ---------------------------------------------------------------------------- querying


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


def match_expression(q: str) -> str | None:
    """The FTS5 expression of a user's words: every word, in any column, stemmed per language.

    Columns whose languages give a word the same stem share one phrase, so the usual case
    (one stem for all) reads one posting list. Words are reduced to letters and digits before
    quoting, so no input is FTS5 syntax."""
    terms = []
    for word in _WORD.findall(q):
        by_stem: dict[str, list[str]] = {}
        for lang, columns in _LANGUAGE_COLUMNS.items():
            by_stem.setdefault(stem(word, lang), []).extend(columns)
        if len(by_stem) == 1:
            terms.append(f'"{next(iter(by_stem))}"')
        else:
            parts = [f'{{{" ".join(cols)}}} : "{s}"' for s, cols in by_stem.items()]
            terms.append("(" + " OR ".join(parts) + ")")
    return " AND ".join(terms) or None


def highlight(text: str, q: str) -> Markup:
    """``text`` escaped, with the words whose stem a query word has wrapped in ``<mark>``."""
    wanted = {stem(w) for w in _WORD.findall(q)}
    if not wanted:
        return escape(text)
    out, last = [], 0
    for found in _WORD.finditer(text):
        if stem(found.group()) in wanted:
            out.append(escape(text[last : found.start()]))
            out.append(Markup("<mark>%s</mark>") % found.group())
            last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


class SearchIndex:
    """The index file opened read-only; one SQLite connection per thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no search index at {self.path}")
        self._local = threading.local()
        self._labels: dict[str, dict[str, str]] = {}
        for node, lang, label in self.db.execute("SELECT node, lang, label FROM labels"):
            self._labels.setdefault(node, {})[lang] = label

    @property
    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
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

    def _where(self, sel: Selection, text: bool = True) -> tuple[str, list[object]]:
        """The SQL condition on ``recs`` for a selection (``text``: with its words)."""
        clauses, params = [], []
        expression = match_expression(sel.q) if text else None
        if expression:
            clauses.append("recs.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(expression)
        for facet in ("theme", "actor", "level"):
            value = getattr(sel, facet)
            if value is not None:
                clauses.append(f"recs.rowid IN (SELECT rec FROM {facet} WHERE node = ?)")
                params.append(value)
        if sel.year is not None:
            clauses.append("recs.year = ?")
            params.append(sel.year)
        return (" AND ".join(clauses) or "1"), params

    def count(self, sel: Selection) -> int:
        """How many recommendations a selection holds."""
        expression = match_expression(sel.q)
        if expression and sel == Selection(q=sel.q):
            sql, params = "SELECT COUNT(*) FROM fts WHERE fts MATCH ?", [expression]
        else:
            where, params = self._where(sel)
            sql = f"SELECT COUNT(*) FROM recs WHERE {where}"
        return self.db.execute(sql, params).fetchone()[0]

    def search(self, sel: Selection, limit: int | None = 50, offset: int = 0) -> list[Hit]:
        """The matching recommendations, best first for a text query, else in source order."""
        expression = match_expression(sel.q)
        if expression:
            where, params = self._where(sel, text=False)
            weights = ", ".join(str(w) for w in _WEIGHTS)
            sql = (
                f"SELECT recs.* FROM fts JOIN recs ON recs.rowid = fts.rowid "
                f"WHERE fts MATCH ? AND {where} "
                f"ORDER BY bm25(fts, {weights}), recs.year, recs.sequence"
            )
            params = [expression, *params]
        else:
            where, params = self._where(sel)
            sql = f"SELECT recs.* FROM recs WHERE {where} ORDER BY year, sequence, identifier"
        sql += " LIMIT ? OFFSET ?"
        params += [-1 if limit is None else limit, offset]
        return list(self._hits(self.db.execute(sql, params), sel.q))

    def _hits(self, rows: Iterable[tuple], q: str) -> Iterator[Hit]:
        rows = list(rows)
        ids = [r[0] for r in rows]
        named: dict[int, list[str]] = {}
        levels: dict[int, list[str]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for table, into in (("addressee", named), ("level", levels)):
                sql = f"SELECT rec, node FROM {table} WHERE rec IN ({marks}) ORDER BY node"
                for rec, node in self.db.execute(sql, chunk):
                    into.setdefault(rec, []).append(node)
        for rowid, iri, identifier, year, sequence, theme, text, cell in rows:
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

    def counts(self, sel: Selection, facet: str) -> dict[object, int]:
        """Recommendations of a selection per value of one facet (themes and actors count
        what is below them)."""
        if sel == Selection():
            sql = "SELECT node, count FROM totals WHERE facet = ?"
            return dict(self.db.execute(sql, (facet,)))
        where, params = self._where(sel)
        if facet == "year":
            sql = f"SELECT year, COUNT(*) FROM recs WHERE {where} GROUP BY year"
        else:
            sql = (
                f"SELECT node, COUNT(*) FROM {facet} WHERE rec IN "
                f"(SELECT rowid FROM recs WHERE {where}) GROUP BY node"
            )
        return dict(self.db.execute(sql, params))

    def facets(self, sel: Selection) -> dict[str, dict[object, int]]:
        """For each facet, every value with the number of recommendations choosing it would give
        (the other facets and the text query applied, this facet's own choice replaced)."""
        return {facet: self.counts(sel.without(facet), facet) for facet in FACETS}

    def addressed(self, sel: Selection) -> dict[str, int]:
        """Recommendations per actor addressed by name, within a selection (the charts)."""
        where, params = self._where(sel)
        sql = "SELECT node, COUNT(*) FROM addressee"
        if where != "1":
            sql += f" WHERE rec IN (SELECT rowid FROM recs WHERE {where})"
        return dict(self.db.execute(sql + " GROUP BY node", params))

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
