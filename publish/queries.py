"""The researchers' queries of ``queries/``: each ``.rq`` file with the header comment that says
what it answers, for the editor page, the README check and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredQuery:
    """One ``.rq`` file: its name (the file stem), what it answers, and its text."""

    name: str
    title: str
    description: str
    text: str
    path: Path


def read_query(path: Path) -> StoredQuery:
    """A query file; its leading ``#`` lines are the header: a title, then a description."""
    text = path.read_text(encoding="utf-8")
    header: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line.lstrip("#").strip())
    title = header[0] if header else path.stem
    description = " ".join(h for h in header[1:] if h)
    return StoredQuery(path.stem, title, description, text, path)


def load_queries(directory: Path) -> list[StoredQuery]:
    """Every ``.rq`` file of ``directory``, sorted by name; none when it does not exist."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return [read_query(p) for p in sorted(directory.glob("*.rq"))]
