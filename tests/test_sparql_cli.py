"""``thbkg query`` as a user runs it: a subprocess, through the same core as the endpoint."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from rdflib import Graph

from .conftest import run_cli

THEMES = "queries/recommendations-per-theme.rq"


def test_table_by_default() -> None:
    result = run_cli("query", THEMES)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["?theme", "?label", "?recommendations"]
    assert "Improving the detection and protection of minor victims" in lines[2]
    assert lines[-1] == "(2 rows)"


def test_result_formats() -> None:
    doc = json.loads(run_cli("query", THEMES, "--format", "json").stdout)
    assert [b["recommendations"]["value"] for b in doc["results"]["bindings"]] == ["7", "4"]
    rows = list(csv.reader(io.StringIO(run_cli("query", THEMES, "--format", "csv").stdout)))
    assert rows[0] == ["theme", "label", "recommendations", "identifiers"]
    tsv = run_cli("query", THEMES, "--format", "tsv").stdout.splitlines()
    assert tsv[0] == "?theme\t?label\t?recommendations\t?identifiers"
    assert "<sparql" in run_cli("query", THEMES, "--format", "xml").stdout


def test_construct_as_rdf() -> None:
    for fmt, parser in (("ttl", "turtle"), ("nt", "nt"), ("rdf", "xml")):
        result = run_cli("query", "queries/recommendation-as-rdf.rq", "--format", fmt)
        assert result.returncode == 0, result.stderr
        assert len(Graph().parse(data=result.stdout, format=parser)) > 5


def test_stdin() -> None:
    result = run_cli("query", "-", stdin="ASK { ?r thb:addressedTo ?a }")
    assert (result.returncode, result.stdout) == (0, "true\n")


def test_the_timeout_covers_parsing() -> None:
    """Regression (issue 12, item 3): ``--timeout 2`` exited 0 after 5.2 s, since parsing ran
    before the timed process; now the worker that parses is stopped at the deadline."""
    slow = "ASK { FILTER(" + "+".join(["1"] * 10_000) + ") }"
    result = run_cli("query", "-", "--timeout", "1", stdin=slow)
    assert result.returncode == 3, result.stderr
    assert "longer than 1 s" in result.stderr and result.stdout == ""


def test_malformed_query_names_the_file_line_and_column() -> None:
    result = run_cli("query", "-", stdin="SELECT * WHERE {\n  ?s ?p }")
    assert result.returncode == 1
    assert "error: <stdin>: syntax error at line 2, column 3" in result.stderr
    assert result.stdout == ""


def test_refusals_and_limits() -> None:
    service = run_cli("query", "-", stdin="SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    assert service.returncode == 1 and "SERVICE" in service.stderr
    update = run_cli("query", "-", stdin="CLEAR ALL")
    assert update.returncode == 1 and "read-only" in update.stderr
    wrong = run_cli("query", THEMES, "--format", "ttl")
    assert wrong.returncode == 1 and "cannot be written as ttl" in wrong.stderr
    runaway = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    slow = run_cli("query", "-", "--timeout", "1", stdin=runaway)
    assert slow.returncode == 3 and "longer than 1 s" in slow.stderr
    rows = run_cli("query", "-", "--max-rows", "5", stdin="SELECT * { ?s ?p ?o }")
    assert rows.returncode == 1 and "more than 5 rows" in rows.stderr


def test_a_query_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.rq"
    latin1.write_bytes('SELECT * { ?s ?p "é" }\n'.encode("latin-1"))
    result = run_cli("query", str(latin1))
    assert result.returncode == 1, result.stderr
    assert f"error: {latin1}: not UTF-8 text (byte 18" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_limit_that_would_stop_every_query_is_a_usage_error() -> None:
    for option, value in (("--timeout", "nan"), ("--timeout", "inf"), ("--max-rows", "-3")):
        result = run_cli("query", THEMES, option, value)
        assert result.returncode == 2, (option, value, result.stderr)
        assert f"Invalid value for '{option}'" in result.stderr
        assert "Traceback" not in result.stderr


def test_missing_file() -> None:
    result = run_cli("query", "queries/no-such-query.rq")
    assert result.returncode == 2 and "no-such-query.rq" in result.stderr


def test_an_unknown_engine_in_the_environment_is_a_usage_error() -> None:
    for engine in ("virtuoso", "rdflib"):  # rdflib's evaluator is retired
        result = run_cli("query", THEMES, env={"THBKG_ENGINE": engine})
        assert result.returncode == 2 and f"THBKG_ENGINE='{engine}'" in result.stderr


def test_a_bad_memory_limit_in_the_environment_is_a_usage_error() -> None:
    result = run_cli("query", THEMES, env={"THBKG_QUERY_MEMORY": "lots"})
    assert result.returncode == 2 and "THBKG_QUERY_MEMORY='lots'" in result.stderr
