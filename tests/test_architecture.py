"""One home per concept: the package's modules import each other without cycles (counting the
imports made inside functions, which hide a cycle rather than remove it), and no module but
``publish/formats.py`` spells a media type."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import publish

PACKAGE = Path(publish.__file__).parent


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    found: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
                names = [f"{target}.{a.name}" for a in node.names]
                # `from . import docs` imports the module docs, not the package's __init__.
                in_package = node.module is None and all(n in modules for n in names)
                candidates = names if in_package else [target, *names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("publish"):
                candidates = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            edges |= {c for c in candidates if c in modules and c != name}
        found[name] = edges
    return found


def test_no_import_cycles() -> None:
    # Regression: graph.py imported validate.py inside a function, and validate.py graph.py.
    graph = _imports()
    assert "publish.rdfio" in graph["publish.validate"]
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in trail:
                cycles.append(trail[trail.index(nxt) :] + [nxt])
            elif nxt not in done:
                visit(nxt, [*trail, nxt])
        done.add(node)

    done: set[str] = set()
    for start in sorted(graph):
        if start not in done:
            visit(start, [start])
    # A package imports its own modules (publish.web -> publish.web.pages -> publish.web
    # for its helpers would be a cycle too); none is allowed. (The query pool gets the query
    # core as a factory, publish.sparql.open_core, instead of importing it back.)
    assert cycles == []
    assert not any({"publish.graph", "publish.validate"} <= set(c) for c in cycles)


def test_no_module_but_formats_spells_a_media_type() -> None:
    pattern = re.compile(r"""["'](?:text|application)/[a-z+.-]+["']""")
    offenders = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.name != "formats.py" and pattern.search(p.read_text(encoding="utf-8"))
    }
    assert offenders == set()
