"""bench/generate.py: synthetic data that conforms to our shapes, with HermiT's inferred graph."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib.compare import graph_diff, isomorphic
from rdflib.namespace import RDF

from publish.config import ROOT
from publish.graph import load_graph
from publish.namespaces import THB
from publish.reason import infer
from publish.validate import validate_graph

GENERATE = ROOT / "bench" / "generate.py"


def _generate(tmp: Path, count: int, *extra: str) -> tuple[Path, Path, str]:
    data = tmp / f"g{count}.ttl"
    result = subprocess.run(
        [sys.executable, str(GENERATE), "--recommendations", str(count), "-o", str(data), *extra],
        capture_output=True,
        text=True,
        check=True,
    )
    return data, tmp / f"g{count}.inferred.ttl", result.stdout


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, Path, str]:
    return _generate(tmp_path_factory.mktemp("generated"), 200)


def test_generated_graph_conforms(generated, settings) -> None:
    data, _, _ = generated
    report = validate_graph(load_graph([data]), settings)
    assert report.conforms, report.text()
    assert not report.results


def test_generated_graph_has_what_it_says(generated) -> None:
    data, inferred, printed = generated
    graph, entailed = load_graph([data]), load_graph([inferred])
    assert len(set(graph.subjects(RDF.type, THB.Recommendation))) == 200
    assert printed.split()[1] == str(len(graph)) and printed.split()[4] == str(len(entailed))
    years = set(graph.objects(None, THB.year))
    assert len(years) >= 3
    assert len(set(graph.subjects(RDF.type, THB.Report))) >= len(years)
    assert any(len(list(graph.objects(r, THB.addressedTo))) >= 2 for r in graph.subjects(THB.text))
    assert len(set(graph.subjects(RDF.type, THB.Addressing))) >= 5


def test_same_seed_same_bytes_other_seed_other_graph(tmp_path: Path) -> None:
    for name in "abc":
        (tmp_path / name).mkdir()
    first, second = _generate(tmp_path / "a", 80), _generate(tmp_path / "b", 80)
    third = _generate(tmp_path / "c", 80, "--seed", "7")
    assert first[0].read_bytes() == second[0].read_bytes()
    assert first[1].read_bytes() == second[1].read_bytes()
    assert first[0].read_bytes() != third[0].read_bytes()


def test_too_few_recommendations_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATE), "-n", "3", "-o", str(tmp_path / "g.ttl")],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "at least" in result.stderr


@pytest.mark.java
def test_inferred_graph_is_what_hermit_entails(tmp_path: Path, settings) -> None:
    """The generator's rules give exactly `thbkg reason`'s graph (HermiT) on a generated graph."""
    data, inferred, _ = _generate(tmp_path, 120)
    hermit = infer(load_graph([settings.ontology]), load_graph([data]))
    rules = load_graph([inferred])
    if not isomorphic(hermit, rules):
        _, only_hermit, only_rules = graph_diff(hermit, rules)
        pytest.fail(
            f"HermiT only: {sorted(only_hermit)[:10]}\nrules only: {sorted(only_rules)[:10]}"
        )
