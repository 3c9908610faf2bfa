"""Characters XML 1.0 cannot carry, refused where text enters the graph.

A NUL, most C0 controls, U+FFFE, U+FFFF or a lone surrogate in a literal or an IRI would make
every RDF/XML download and SPARQL XML result that contains it ill-formed, so the ingest and
every load (validate, reason, serve, query) refuse them, raw or written as a ``\\u`` escape
(Turtle, N-Triples, JSON-LD), naming file, line and column.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from .errors import LoadError

_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_RAW = re.compile(f"[{_FORBIDDEN}]")
# A \u or \U escape, not itself escaped: preceded by an even number of backslashes.
_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")


def _name(code: int) -> str:
    names = {0: "NUL", 0xFFFE: "a noncharacter", 0xFFFF: "a noncharacter"}
    if code in names:
        return names[code]
    if 0xD800 <= code <= 0xDFFF:
        return "a lone surrogate"
    return unicodedata.name(chr(code), "a control character")


def forbidden_character(text: str) -> str | None:
    """Where and what the first character XML cannot carry is (``LINE:COLUMN: U+0000 (NUL)``),
    raw or escaped; ``None`` when the text is clean."""
    raw = _RAW.search(text)
    found = [(raw.start(), ord(raw.group()))] if raw else []
    for match in _ESCAPE.finditer(text):
        digits = match.group(1) or match.group(2)
        code = int(digits, 16)
        if code <= 0x10FFFF and _RAW.match(chr(code)):
            found.append((match.end() - len(digits) - 2, code))  # at the escape's backslash
            break
    if not found:
        return None
    offset, code = min(found)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return (
        f"{line}:{column}: U+{code:04X} ({_name(code)}) cannot be published: XML (RDF/XML, "
        "SPARQL XML results) cannot carry it; remove it from the file"
    )


def check_file(path: Path) -> None:
    """LoadError (file:line:column) when the file holds a character XML cannot carry."""
    try:
        bad = forbidden_character(Path(path).read_bytes().decode("utf-8", "replace"))
    except OSError as exc:
        raise LoadError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if bad:
        raise LoadError(f"{path}:{bad}")


def forbidden_in_terms(terms: Iterable[object]) -> str | None:
    """What the first term holding a character XML cannot carry holds, for a query result
    that would otherwise be written as ill-formed XML; ``None`` when every term is clean."""
    for term in terms:
        if term is None:
            continue
        found = _RAW.search(str(term)) or _RAW.search(str(getattr(term, "datatype", "") or ""))
        if found:
            return f"U+{ord(found.group()):04X} ({_name(ord(found.group()))})"
    return None
