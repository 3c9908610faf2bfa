"""`thbkg build` and `thbkg serve --store`: a validated store, built atomically, and the stores
the server refuses; the cached default store; the store interface's bound values."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import psutil
import pytest
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic

from publish import validate
from publish.build import MANIFEST, build, cached_store, read_manifest, sha256
from publish.config import ROOT, Settings
from publish.describe import DOWNLOAD_FORMATS, download_path
from publish.errors import StoreRefused, ValidationFailed
from publish.formats import NTRIPLES, TURTLE
from publish.namespaces import BASE, DATA_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, THB
from publish.store import EmbeddedStore, bind_values

from .conftest import DATA, parse_rdf, run_cli, shipped_site, start_server, stop_server

SHIPPED = ROOT / "data" / "annex2018.ttl"
INFERRED = ROOT / "data" / "annex2018.inferred.ttl"
MINIMAL = DATA / "valid" / "minimal.ttl"


def test_build_writes_a_validated_store_with_its_manifest(tmp_path: Path) -> None:
    out = tmp_path / "store"
    result = run_cli("build", str(SHIPPED), "--inferred", str(INFERRED), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "validated and built" in result.stderr
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["validation"]["conforms"] is True
    assert manifest["sources"]["data"] == [{"path": str(SHIPPED), "sha256": sha256(SHIPPED)}]
    assert manifest["shapes"]["sha256"] == sha256(Settings().shapes)
    assert manifest["ontology"]["sha256"] == sha256(Settings().ontology)
    assert manifest["thbkg"] and manifest["built"] and manifest["buildSeconds"] > 0
    graphs = manifest["graphs"]
    assert set(graphs) == {str(DATA_GRAPH), str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH)}
    assert all(count > 0 for count in graphs.values())
    assert manifest["void"]["triples"] <= sum(graphs.values())
    # The store holds the files' triples, literals as written (xsd:positiveInteger kept).
    store = EmbeddedStore.open(out)
    data = parse_rdf(b"".join(store.dump(TURTLE, DATA_GRAPH)), "turtle")
    assert isomorphic(data, parse_rdf(SHIPPED.read_bytes(), "turtle"))


def test_a_graph_that_breaks_the_shapes_is_refused(tmp_path: Path) -> None:
    bad = DATA / "invalid" / "identifier-duplicate.ttl"
    result = run_cli("build", str(bad), "-o", str(tmp_path / "store"))
    assert result.returncode == 1
    assert "does not conform" in result.stderr and "focus node" in result.stderr
    assert not (tmp_path / "store").exists()


def test_a_file_that_cannot_be_parsed_exits_2_with_file_line_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text(MINIMAL.read_text(encoding="utf-8") + "\n<a> <b> .\n", encoding="utf-8")
    lines = broken.read_text(encoding="utf-8").count("\n")
    result = run_cli("build", str(broken), "-o", str(tmp_path / "store"))
    assert result.returncode == 2
    assert f"{broken}:{lines}:" in result.stderr
    assert not (tmp_path / "store").exists()


def test_an_unparseable_inferred_graph_exits_2_with_file_line_column(tmp_path: Path) -> None:
    broken = tmp_path / "broken.inferred.ttl"
    broken.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n")
    result = run_cli("build", str(MINIMAL), "--inferred", str(broken), "-o", str(tmp_path / "s"))
    assert result.returncode == 2
    assert f"{broken}:3:11: cannot parse as Turtle: . is not a valid" in result.stderr
    assert not (tmp_path / "s").exists()


def test_a_literal_the_store_would_change_is_refused(tmp_path: Path) -> None:
    """Oxigraph would store "05"^^xsd:integer as "5": the build names it instead."""
    data = tmp_path / "data.ttl"
    rec = "<https://w3id.org/thbkg/recommendation/2018-33>"
    count = '"05"^^<http://www.w3.org/2001/XMLSchema#integer>'
    extra = f"\n{rec} <http://example.org/count> {count} .\n"
    data.write_text(MINIMAL.read_text(encoding="utf-8") + extra, encoding="utf-8")
    result = run_cli("build", str(data), "-o", str(tmp_path / "s"))
    assert result.returncode == 2, result.stderr
    assert "graph/data: the store would change 1 literal(s)" in result.stderr
    assert '"05"' in result.stderr
    assert not (tmp_path / "s").exists()


def test_a_failed_build_leaves_the_previous_store_untouched(tmp_path: Path) -> None:
    out = tmp_path / "store"
    assert run_cli("build", str(MINIMAL), "-o", str(out)).returncode == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = DATA / "invalid" / "identifier-duplicate.ttl"
    assert run_cli("build", str(bad), "-o", str(out)).returncode == 1
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["store"]  # no scratch directory left


def test_ctrl_c_during_a_build_leaves_the_previous_store_untouched(tmp_path: Path) -> None:
    out = tmp_path / "store"
    assert run_cli("build", str(MINIMAL), "-o", str(out)).returncode == 0
    manifest = (out / MANIFEST).read_bytes()
    # A graph big enough that the build is still parsing or validating when Ctrl-C comes,
    # however fast the machine (the shipped data builds in about a second when it is idle).
    big = tmp_path.parent / f"{tmp_path.name}-big.ttl"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "-n", "3000", "-o", str(big)],
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "publish", "build", str(big), "-o", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(2.5)  # parsing or validating
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode != 0
    assert (out / MANIFEST).read_bytes() == manifest
    assert read_manifest(out, Settings()).data["sources"]["data"][0]["path"] == str(MINIMAL)
    assert [p.name for p in tmp_path.iterdir()] == ["store"]


def test_a_build_validates_in_chunks_beside_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validation runs in a process of its own while the store is written; in chunks it starts
    processes of its own too. A violation still refuses the build, and neither a build nor a
    refusal leaves a process or a scratch directory behind."""
    big = tmp_path / "big.ttl"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "-n", "1200", "-o", str(big)],
        check=True,
        capture_output=True,
    )
    monkeypatch.setattr(
        validate, "validate_graph", partial(validate.validate_graph, chunk_size=1000)
    )
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    settings = Settings().with_overrides(data=(big,), inferred=(), annotations=(), links=())
    assert build(settings, tmp_path / "store").data["validation"]["conforms"] is True
    bad = settings.with_overrides(data=(big, DATA / "invalid" / "identifier-duplicate.ttl"))
    with pytest.raises(ValidationFailed) as refused:
        build(bad, tmp_path / "store")
    assert refused.value.report.violations
    assert {p.pid for p in psutil.Process().children(recursive=True)} <= before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.inferred.ttl", "big.ttl", "store"]


def test_a_rebuild_replaces_the_store(tmp_path: Path) -> None:
    out = tmp_path / "store"
    settings = Settings().with_overrides(data=(MINIMAL,), inferred=())
    build(settings, out)
    build(Settings(), out)
    assert read_manifest(out, Settings()).data["sources"]["data"][0]["path"] == str(SHIPPED)
    assert [p.name for p in tmp_path.iterdir()] == ["store"]


# ---------------------------------------------------------------- serve --store refusals


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "store"
    build(Settings().with_overrides(data=(MINIMAL,), inferred=()), out)
    return out


def _copy(built: Path, tmp_path: Path, change) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))
    change(manifest)
    (copy / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return copy


def _refused(store: Path) -> str:
    result = run_cli("serve", "--store", str(store), "--port", "1", timeout=60)
    assert result.returncode == 2, result.stderr
    assert "listening" not in result.stderr
    return result.stderr


def test_serve_refuses_a_store_without_manifest(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    (copy / MANIFEST).unlink()
    message = _refused(copy)
    assert f"{copy} has no manifest.json" in message and "rebuild it with: thbkg build" in message


def test_serve_refuses_an_unvalidated_store(built: Path, tmp_path: Path) -> None:
    copy = _copy(built, tmp_path, lambda m: m.update(validation={"conforms": False}))
    message = _refused(copy)
    assert "was not validated" in message and "rebuild" in message


@pytest.mark.parametrize("what", ["shapes", "ontology"])
def test_serve_refuses_a_store_built_with_other_shapes_or_ontology(
    built: Path, tmp_path: Path, what: str
) -> None:
    copy = _copy(built, tmp_path, lambda m: m[what].update(sha256="0" * 64))
    message = _refused(copy)
    assert f"was built with other {what}" in message and "rebuild" in message


def test_serve_refuses_a_store_without_its_downloads(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    shutil.rmtree(copy / "downloads")
    message = _refused(copy)
    assert f"{copy} has no downloads/ directory" in message and "rebuild it with" in message


def test_serve_refuses_a_directory_that_is_no_store(tmp_path: Path) -> None:
    assert "no such store directory" in _refused(tmp_path / "nothing")


def test_read_manifest_accepts_the_built_store(built: Path) -> None:
    assert read_manifest(built, Settings()).data["validation"]["conforms"] is True
    other = Settings().with_overrides(shapes=MINIMAL)
    with pytest.raises(StoreRefused):
        read_manifest(built, other)


def test_serve_store_answers_without_validating(built: Path) -> None:
    process, url = start_server("--store", str(built))
    try:
        import urllib.request

        with urllib.request.urlopen(f"{url}/download/thbkg.ttl") as response:
            graph = parse_rdf(response.read(), "turtle")
        assert (None, THB.text, None) in graph
    finally:
        log = stop_server(process)
    assert "listening" in log


# ---------------------------------------------------------------- the cached default store


def test_the_cached_store_is_rebuilt_when_a_source_changes(tmp_path: Path) -> None:
    data = tmp_path / "data.ttl"
    shutil.copy(MINIMAL, data)
    settings = Settings(cache=tmp_path / "cache").with_overrides(data=(data,), inferred=())
    location = cached_store(settings)
    first = (location / MANIFEST).read_text(encoding="utf-8")
    assert cached_store(settings) == location
    assert (location / MANIFEST).read_text(encoding="utf-8") == first  # not rebuilt
    with data.open("a", encoding="utf-8") as handle:
        handle.write("\n# a comment changes the file's SHA-256\n")
    cached_store(settings)
    manifest = json.loads((location / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["sources"]["data"][0]["sha256"] == sha256(data)


def test_serve_without_store_builds_and_caches_the_shipped_data(tmp_path: Path) -> None:
    env = {"THBKG_CACHE": str(tmp_path / "cache")}
    process, url = start_server(env=env, timeout=180)
    try:
        import urllib.request

        with urllib.request.urlopen(f"{url}/recommendation/2018-32.ttl") as response:
            assert response.status == 200
    finally:
        stop_server(process)
    stores = list((tmp_path / "cache").iterdir())
    assert len(stores) == 1 and (stores[0] / MANIFEST).is_file()


# ---------------------------------------------------------------- bound values


def test_bound_values_cannot_change_a_query() -> None:
    store = shipped_site().store
    hostile = Literal('x" } ?s ?p ?o { "')
    assert store.select("SELECT ?s WHERE { ?s ?p ?o FILTER(?o = ?v) }", v=hostile) == []
    with pytest.raises(ValueError):
        bind_values("SELECT * WHERE { ?s ?p ?o }", {"s": URIRef("http://a> <b")})
    rows = store.select(
        "SELECT ?id WHERE { ?r dcterms:identifier ?id }", r=URIRef(BASE + "recommendation/2018-32")
    )
    assert rows == [{"id": Literal("2018/32")}]


def test_a_download_answers_a_byte_range(client) -> None:
    """A download interrupted halfway can be resumed: the file the build wrote answers
    ``Range`` with 206 and those bytes."""
    cat = client.application.extensions["thbkg.catalogue"]
    response = client.get("/download/thbkg.nt", headers={"Range": "bytes=10-29"})
    assert response.status_code == 206
    assert response.headers["Content-Range"].startswith("bytes 10-29/")
    assert response.data == cat.download_file(NTRIPLES).read_bytes()[10:30]


def test_downloads_are_the_files_the_build_wrote(client) -> None:
    """No download is built in memory: the server sends, as a file, what the build serialized
    into the store (downloads/), whose SHA-256 and size the dataset description gives."""
    cat = client.application.extensions["thbkg.catalogue"]
    for fmt in DOWNLOAD_FORMATS:
        name = download_path(fmt).rpartition("/")[2]
        response = client.get(f"/download/{name}", buffered=False)
        assert response.status_code == 200, name
        file = cat.download_file(fmt)
        assert response.content_length == file.stat().st_size == cat.stats.files[fmt.suffix][1]
        body = response.get_data()
        response.close()
        assert body == file.read_bytes(), name
        assert hashlib.sha256(body).hexdigest() == cat.stats.files[fmt.suffix][0], name
