"""Facet counts in memory: the index's facet tables as NumPy arrays, counted with bincount.

At 100,000 recommendations a facet table holds half a million (recommendation, value) rows;
SQLite's GROUP BY over the rows of a large selection took hundreds of milliseconds per facet,
while a boolean mask over recommendations and ``numpy.bincount`` over the rows takes about one.
The arrays are read once when the index is opened (a few megabytes).
"""

from __future__ import annotations

import sqlite3

import numpy as np

TABLES = ("theme", "actor", "level", "addressee")


class FacetTables:
    """Per facet table: each row's recommendation and value code, and the values by code."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.size = (db.execute("SELECT MAX(rowid) FROM recs").fetchone()[0] or 0) + 1
        self.years = np.zeros(self.size, dtype=np.int32)
        rows = db.execute("SELECT rowid, year FROM recs").fetchall()
        if rows:
            ids, years = zip(*rows, strict=True)
            self.years[list(ids)] = years
        self.present = np.zeros(self.size, dtype=bool)
        self.present[[r for r, _ in rows]] = True
        self.recs: dict[str, np.ndarray] = {}
        self.codes: dict[str, np.ndarray] = {}
        self.values: dict[str, list[str]] = {}
        self.code_of: dict[str, dict[str, int]] = {}
        for table in TABLES:
            pairs = db.execute(f"SELECT rec, node FROM {table}").fetchall()
            values = sorted({node for _, node in pairs})
            code_of = {v: i for i, v in enumerate(values)}
            self.recs[table] = np.fromiter((r for r, _ in pairs), dtype=np.int32, count=len(pairs))
            self.codes[table] = np.fromiter(
                (code_of[n] for _, n in pairs), dtype=np.int32, count=len(pairs)
            )
            self.values[table], self.code_of[table] = values, code_of

    def rows_mask(self, rowids: list[int] | np.ndarray) -> np.ndarray:
        """The mask of the given recommendations."""
        mask = np.zeros(self.size, dtype=bool)
        mask[np.asarray(rowids, dtype=np.int64)] = True
        return mask

    def value_mask(self, table: str, value: str) -> np.ndarray:
        """The mask of the recommendations that have ``value`` in a facet table."""
        mask = np.zeros(self.size, dtype=bool)
        code = self.code_of[table].get(value)
        if code is not None:
            mask[self.recs[table][self.codes[table] == code]] = True
        return mask

    def year_mask(self, year: int) -> np.ndarray:
        return self.present & (self.years == year)

    def count(self, table: str, mask: np.ndarray) -> dict[object, int]:
        """Recommendations within ``mask`` per value of a facet (or ``year``)."""
        if table == "year":
            found, counts = np.unique(self.years[mask & self.present], return_counts=True)
            return {int(y): int(c) for y, c in zip(found, counts, strict=True)}
        selected = self.codes[table][mask[self.recs[table]]]
        counts = np.bincount(selected, minlength=len(self.values[table]))
        return {self.values[table][i]: int(c) for i, c in enumerate(counts) if c}
