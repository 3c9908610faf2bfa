"""The README documents every route of the linked-data server and every option of ``serve``."""

from __future__ import annotations

import re

from publish.config import ROOT

from .conftest import run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _routes_table() -> str:
    section = README.split("## Routes\n", 1)[1]
    return section.split("\n## ", 1)[0]


def test_every_route_is_in_the_routes_table(app) -> None:
    table = _routes_table()
    documented = {
        "/": "`/`",
        "/<path:path>": "`/{path}`",
        "/.well-known/void": "`/.well-known/void`",
        "/context.jsonld": "`/context.jsonld`",
        "/download/<name>": "`/download/thbkg.",
        "/static/<path:filename>": "`/static/",
        "/sparql": "`/sparql`",
        "/sparql/": "`/sparql`",
    }
    for rule in app.url_map.iter_rules():
        assert rule.rule in documented, f"route {rule.rule} is not in the README's routes table"
        assert documented[rule.rule] in table, rule.rule


def test_every_kind_of_resource_is_documented(app) -> None:
    table = _routes_table()
    kinds = {path.split("/")[0] for path in app.extensions["thbkg.catalogue"].paths()}
    for kind in kinds:
        assert f"`{kind}" in table, kind


def test_serve_options_are_documented() -> None:
    help_text = run_cli("serve", "--help").stdout
    options = set(re.findall(r"--[a-z][a-z-]+", help_text)) - {"--help"}
    reference = README.split("## Command reference", 1)[1]
    row = next(line for line in reference.splitlines() if line.startswith("| `thbkg serve"))
    for option in options:
        assert option in row, option
