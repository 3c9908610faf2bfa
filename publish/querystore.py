"""A temporary on-disk store for query workers, where no built store exists: a site held in
memory (workers cannot share it) and tests' own graphs. Everything else reads the store that
``thbkg build`` wrote (``publish.build``)."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset


def build_query_store(dataset: Dataset, directory: Path) -> Path:
    """Bulk-load ``dataset`` (named graphs kept) into a new on-disk store at ``directory``."""
    store = ox.Store(str(directory))
    store.bulk_load(dataset.serialize(format="nquads", encoding="utf-8"), ox.RdfFormat.N_QUADS)
    store.flush()
    del store  # closes it: the workers open it read-only
    return directory


class TemporaryQueryStore:
    """A query store in a temporary directory, removed when this object goes."""

    def __init__(self, dataset: Dataset | None = None) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="thbkg-store-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)
        if dataset is not None:
            build_query_store(dataset, self.path / "oxigraph")

    @classmethod
    def of(cls, memory: ox.Store) -> TemporaryQueryStore:
        """A copy of a store in memory (tests' own data), which workers cannot share."""
        copy = cls()
        store = ox.Store(str(copy.store))
        store.bulk_extend(memory.quads_for_pattern(None, None, None, None))
        store.flush()
        del store
        return copy

    @property
    def store(self) -> Path:
        """The pyoxigraph store directory."""
        return self.path / "oxigraph"

    def remove(self) -> None:
        self._cleanup()
