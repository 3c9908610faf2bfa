"""Docs that cannot drift: every query of queries/ and the SPARQL settings and command are in
the README, and every query file says what it answers."""

from __future__ import annotations

import re

from publish.config import ROOT, Settings
from publish.queries import load_queries

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_query_file_is_in_the_readme(settings: Settings) -> None:
    stored = load_queries(settings.queries)
    assert len(stored) >= 12
    missing = [q.path.name for q in stored if f"`{q.path.name}`" not in README]
    assert missing == [], f"add these queries to the README's queries table: {missing}"


def test_every_query_file_has_a_header_saying_what_it_answers(settings: Settings) -> None:
    for query in load_queries(settings.queries):
        assert query.text.startswith("# "), query.path.name
        assert query.title and query.description, f"{query.path.name}: title and description"


def test_readme_documents_the_endpoint_and_the_command() -> None:
    reference = README.split("## Command reference", 1)[1]
    assert re.search(r"^\| `thbkg query FILE", reference, re.MULTILINE)
    for name in ("THBKG_ENGINE", "THBKG_QUERY_TIMEOUT", "THBKG_MAX_ROWS", "THBKG_MAX_BODY"):
        assert name in README
    sparql = README.split("## SPARQL endpoint", 1)[1].split("## Command reference", 1)[0]
    for term in ("default-graph-uri", "named-graph-uri", "SERVICE", "503", "413", "406", "CORS"):
        assert term in sparql, term


def test_the_editor_licence_ships_with_it() -> None:
    licence = ROOT / "publish" / "web" / "static" / "yasgui" / "LICENSE.txt"
    assert "MIT" in licence.read_text(encoding="utf-8")
    assert "MIT licence" in README
