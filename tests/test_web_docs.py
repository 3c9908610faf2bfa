"""The README documents every route of the linked-data server and every kind of resource."""

from __future__ import annotations

from publish.config import ROOT

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
        "/download/thbkg.csv": "`/download/thbkg.csv`",
        "/download/thbkg.csv-metadata.json": "`/download/thbkg.csv-metadata.json`",
        "/charts.css": "`/charts.css`",
        "/static/<path:filename>": "`/static/",
        "/sparql": "`/sparql`",
        "/sparql/": "`/sparql`",
        "/robots.txt": "`/robots.txt`",
        "/sitemap.xml": "`/sitemap.xml`",
        "/sitemap-<int:part>.xml": "`/sitemap-{N}.xml`",
    }
    for rule in app.url_map.iter_rules():
        assert rule.rule in documented, f"route {rule.rule} is not in the README's routes table"
        assert documented[rule.rule] in table, rule.rule


def test_every_kind_of_resource_is_documented(app) -> None:
    table = _routes_table()
    kinds = {path.split("/")[0] for path in app.extensions["thbkg.catalogue"].paths()}
    for kind in kinds:
        assert f"`{kind}" in table, kind
