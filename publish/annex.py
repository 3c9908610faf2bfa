"""Read the annex source text: sections, the "Destinataire" header, one tab-separated row per
recommendation, and the grammar of the addressee cell. Pure parsing; no RDF here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .characters import forbidden_character
from .errors import IngestError

IDENTIFIER = re.compile(r"(?P<year>\d{4})/(?P<sequence>[1-9]\d*)")
HEADER = "Destinataire"
TITLE = re.compile(r"Annexe\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    """A section heading, "PHENOMENON : THEME", as it stands in the source."""

    line: int
    heading: str
    phenomenon: str
    title: str


@dataclass(frozen=True)
class Row:
    """One recommendation row: identifier, verbatim text, verbatim addressee cell."""

    source: Path
    line: int
    identifier: str
    year: int
    sequence: int
    text: str
    cell: str
    section: Section


@dataclass(frozen=True)
class Group:
    """One addressee as the cell names it: a name, the text of its parentheses split into
    parts (members, or else a qualifier such as "niveau politique"), and an example qualifier
    such as "comme Bruxelles"."""

    name: str
    parenthetical: str | None = None
    parts: tuple[str, ...] = ()
    example: str | None = None


def read_annex(path: Path) -> list[Row]:
    """Parse an annex file into rows; any departure from the format is an IngestError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: cannot read the annex: {exc}") from exc
    bad = forbidden_character(text)
    if bad:
        raise IngestError(f"{path}:{bad}")
    rows: list[Row] = []
    section: Section | None = None
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{path}:{number}"
        if not line.strip():
            continue
        if "\t" not in line:
            if TITLE.match(line) and section is None:
                continue
            phenomenon, colon, title = line.partition(" : ")
            if not colon or not phenomenon.strip() or not title.strip():
                raise IngestError(
                    f"{where}: a line without tabs must be a section heading "
                    f"'PHENOMENON : THEME'; found {line!r}"
                )
            section = Section(number, line.strip(), phenomenon.strip(), title.strip())
            header_seen = False
            continue
        cells = line.split("\t")
        if len(cells) == 3 and not cells[0].strip() and not cells[1].strip():
            if cells[2].strip() != HEADER:
                raise IngestError(f"{where}: expected the header {HEADER!r}; found {line!r}")
            header_seen = True
            continue
        identifier = cells[0].strip()
        if section is None:
            raise IngestError(
                f"{where}: recommendation {identifier!r} stands outside any section "
                "(no 'PHENOMENON : THEME' heading above it)"
            )
        if not header_seen:
            raise IngestError(
                f"{where}: recommendation {identifier!r} comes before the "
                f"{HEADER!r} header of its section"
            )
        if len(cells) != 3 or not all(cell.strip() for cell in cells):
            raise IngestError(
                f"{where}: a recommendation row needs 3 tab-separated columns "
                f"(identifier, text, addressee); found {len([c for c in cells if c.strip()])} "
                f"non-empty of {len(cells)}: {line!r}"
            )
        match = IDENTIFIER.fullmatch(identifier)
        if not match:
            raise IngestError(
                f"{where}: malformed identifier {identifier!r}: expected YEAR/NUMBER, "
                "such as '2018/32'"
            )
        rows.append(
            Row(
                Path(path),
                number,
                identifier,
                int(match["year"]),
                int(match["sequence"]),
                cells[1],
                cells[2],
                section,
            )
        )
    if not rows:
        raise IngestError(f"{path}: no recommendation rows found")
    return rows


_ITEM_SEPARATOR = re.compile(r"(?:^|\s)-\s+")
_GROUP = re.compile(r"(?P<name>[^()]+?)\s*(?:\((?P<inner>[^()]*)\))?")
_ELLIPSIS = re.compile(r"\)\s*,?\s+et\s+(?=[a-zà-ÿ])")
_MEMBER_SEPARATOR = re.compile(r"\s*,\s*|\s+et\s+")
_PARTITIVE = re.compile(r"(?:de|du|des|d')\b", re.IGNORECASE)
_EXAMPLE = re.compile(r"\s+(?P<qualifier>comme\s+.+)$")


def split_cell(cell: str) -> list[str]:
    """The items of an addressee cell: "- A - B" gives ["A", "B"]; a single name stands alone."""
    return [item.strip() for item in _ITEM_SEPARATOR.split(cell.strip()) if item.strip()]


def _expand_ellipsis(parts: list[str]) -> list[str]:
    """'Ministres de l'Intérieur et de la Justice' names two ministers: repeat the head noun."""
    head = re.split(r"\s+(?:de|du|des|d')\b", parts[0], maxsplit=1)[0]
    return [
        f"{head} {part}" if _PARTITIVE.match(part) and i else part for i, part in enumerate(parts)
    ]


def read_item(item: str) -> list[Group]:
    """One addressee item as groups.

    "Autorités politiques fédérales (Ministres ...), et locales (gouverneurs et bourgmestres)"
    is two groups; the second borrows the head of the first ("Autorités politiques locales").
    """
    pieces = _ELLIPSIS.split(item)
    pieces = [p + ")" if i < len(pieces) - 1 else p for i, p in enumerate(pieces)]
    groups: list[Group] = []
    for piece in pieces:
        match = _GROUP.fullmatch(piece.strip())
        if not match:
            raise ValueError(f"cannot read {piece!r}: unbalanced or nested parentheses")
        name, inner = match["name"].strip(), (match["inner"] or "").strip() or None
        if groups and name[:1].islower():
            name = groups[-1].name.rsplit(" ", 1)[0] + " " + name
        example = _EXAMPLE.search(name)
        if example:
            name = name[: example.start()].strip()
        parts = tuple(_expand_ellipsis(_MEMBER_SEPARATOR.split(inner))) if inner else ()
        groups.append(Group(name, inner, parts, example["qualifier"] if example else None))
    return groups
