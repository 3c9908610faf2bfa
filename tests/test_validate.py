"""`thbkg validate`: exit codes, the readable and JSON reports, one broken file per rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from publish.graph import load_graph
from publish.validate import validate_graph

from .conftest import DATA, run_cli

INVALID = sorted((DATA / "invalid").glob("*.ttl"))


def _expected_message(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect: "):
            return line.removeprefix("# expect: ")
    raise AssertionError(f"{path} has no '# expect:' line")


def test_shipped_data_conforms() -> None:
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("Conforms")


def test_minimal_valid_graph_conforms() -> None:
    result = run_cli("validate", str(DATA / "valid" / "minimal.ttl"))
    assert result.returncode == 0, result.stdout


def test_every_rule_has_a_broken_file() -> None:
    assert len(INVALID) >= 12
    assert len({_expected_message(p) for p in INVALID}) == len(INVALID)


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_broken_file_fails_with_its_message(path: Path, settings) -> None:
    report = validate_graph(load_graph([path]), settings)
    assert not report.conforms
    messages = [r.message for r in report.violations]
    assert any(_expected_message(path) in m for m in messages), messages


def test_report_names_focus_node_path_and_value() -> None:
    path = DATA / "invalid" / "identifier-disagrees.ttl"
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert "Violation: The identifier 2018/34 does not agree" in result.stdout
    assert "focus node: <https://w3id.org/thbkg/recommendation/2018-33>" in result.stdout
    assert "path: dcterms:identifier" in result.stdout
    assert 'value: "2018/34"' in result.stdout
    assert "Does not conform: 1 result(s)." in result.stdout


def test_json_report() -> None:
    result = run_cli("validate", "--format", "json", str(DATA / "invalid" / "two-themes.ttl"))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["conforms"] is False
    [only] = report["results"]
    assert only["severity"] == "Violation"
    assert only["path"] == "thb:theme"
    assert only["focus"] == "<https://w3id.org/thbkg/recommendation/2018-33>"
    assert "exactly one thb:theme" in only["message"]


def test_several_files_are_validated_as_one_graph(tmp_path: Path) -> None:
    """The publisher of a report may be described in another file: validation sees the union."""
    minimal = (DATA / "valid" / "minimal.ttl").read_text(encoding="utf-8")
    head, marker, report = minimal.rpartition("<https://w3id.org/thbkg/report/")
    prefixes = "".join(line + "\n" for line in minimal.splitlines() if line.startswith("@prefix"))
    first, second = tmp_path / "a.ttl", tmp_path / "b.ttl"
    first.write_text(head, encoding="utf-8")
    second.write_text(prefixes + marker + report, encoding="utf-8")
    alone = run_cli("validate", str(first))
    assert alone.returncode == 1
    assert "This actor is dangling" in alone.stdout
    assert run_cli("validate", str(first), str(second)).returncode == 0


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("broken.ttl", '@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:d ex:e "x\n', ":3:"),
        (
            "broken.rdf",
            '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
            '02/22-rdf-syntax-ns#">\n  <rdf:Description>\n</rdf:RDF>\n',
            ":4:",
        ),
        ("broken.jsonld", '{\n  "@id": "http://ex/a",\n  "http://ex/b": [\n}\n', ":4:"),
    ],
)
def test_unparseable_file_exits_2_with_line_and_column(
    tmp_path: Path, name: str, content: str, where: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = run_cli("validate", str(path))
    assert result.returncode == 2
    assert f"{path}{where}" in result.stderr, result.stderr
    assert "cannot parse" in result.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / "nowhere.ttl"))
    assert result.returncode == 2
    assert "nowhere.ttl: no such file" in result.stderr
