"""Bad bytes and faults: characters XML cannot carry, I/O failures, signals, `-o` targets,
start-up of `thbkg serve`. Each case runs the CLI as a subprocess, as a user would."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from publish.config import ROOT, Settings
from publish.lifecycle import TERMINATED

from .conftest import DATA, free_port, run_cli

SOURCE = ROOT / "data" / "sources" / "annex2018.fr.txt"
MINIMAL = DATA / "valid" / "minimal.ttl"
OUTPUT_ERROR = 4


def _start(*args: str, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "publish", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


# ------------------------------------------------------------ characters XML cannot carry


@pytest.mark.parametrize(
    ("bad", "shown"),
    [("\x00", "U+0000 (NUL)"), ("\x07", "U+0007"), ("\uffff", "U+FFFF")],
)
def test_ingest_refuses_a_character_xml_cannot_carry(tmp_path: Path, bad: str, shown: str) -> None:
    text = SOURCE.read_text(encoding="utf-8")
    source = tmp_path / "annex.txt"
    source.write_text(text.replace("intensifier", "inten" + bad + "sifier", 1), encoding="utf-8")
    line = text[: text.index("intensifier")].count("\n") + 1
    out = tmp_path / "out.ttl"
    result = run_cli("ingest", str(source), "-o", str(out))
    assert result.returncode == 1
    assert f"annex.txt:{line}:" in result.stderr and shown in result.stderr, result.stderr
    assert not out.exists()


@pytest.mark.parametrize("literal", ["raw\x00nul", "escaped\\u0000nul", "escaped\\U0000000Bvt"])
def test_validate_refuses_a_character_xml_cannot_carry(tmp_path: Path, literal: str) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    bad = tmp_path / "bad.ttl"
    bad.write_text(text.replace("Installer une taskforce.", literal, 1), encoding="utf-8")
    before = text[: text.index("Installer une taskforce.")]
    line = before.count("\n") + 1
    column = len(before) - before.rfind("\n") + (3 if literal.startswith("raw") else 7)
    result = run_cli("validate", str(bad))
    assert result.returncode == 2, result.stderr
    assert f"bad.ttl:{line}:{column}: U+" in result.stderr, result.stderr


def test_an_escaped_backslash_before_u0000_is_not_a_nul(tmp_path: Path) -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    good = tmp_path / "good.ttl"
    good.write_text(text.replace("Installer une taskforce.", "a \\\\u0000 b", 1), encoding="utf-8")
    assert run_cli("validate", str(good)).returncode == 0


def test_serve_refuses_data_with_a_nul(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text(MINIMAL.read_text(encoding="utf-8").replace("taskforce", "task\x00force", 1))
    result = run_cli("serve", "--port", str(free_port()), "--data", str(bad), timeout=120)
    assert result.returncode == 2 and "bad.ttl:" in result.stderr and "U+0000" in result.stderr
    assert "listening" not in result.stderr


def test_build_refuses_an_inferred_file_with_a_nul(tmp_path: Path) -> None:
    """The inferred graph reaches the store by Oxigraph's parser alone: it is checked too."""
    inferred = tmp_path / "bad.inferred.ttl"
    inferred.write_text(
        "<https://w3id.org/thbkg/recommendation/2018-33> "
        '<http://www.w3.org/2000/01/rdf-schema#comment> "a\\u0000b" .\n'
    )
    store = tmp_path / "store"
    result = run_cli(
        "build", str(MINIMAL), "--inferred", str(inferred), "-o", str(store), timeout=300
    )
    assert result.returncode == 2, result.stderr
    assert f"{inferred}:1:" in result.stderr and "U+0000 (NUL)" in result.stderr
    assert not store.exists()


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ('SELECT ?x WHERE { BIND("a\\u0000b" AS ?x) }', "application/sparql-results+xml"),
        ('CONSTRUCT { <urn:a> <urn:b> ?x } WHERE { BIND("\\u0001" AS ?x) }', "application/rdf+xml"),
    ],
)
def test_a_query_result_xml_cannot_carry_is_a_406(client, query: str, accept: str) -> None:
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert response.status_code == 406, response.get_data(as_text=True)
    assert "(XML) cannot carry" in response.get_data(as_text=True)
    json_or_turtle = client.get(
        "/sparql",
        query_string={"query": query, "format": "nt"}
        if "CONSTRUCT" in query
        else {"query": query, "format": "json"},
    )
    assert json_or_turtle.status_code == 200


# ------------------------------------------------------------ I/O failures


def _read_only(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with ``directory`` read-only: a read-only bind mount in a mount namespace
    as root (root writes through permissions), mode 0555 otherwise."""
    command = [sys.executable, "-m", "publish", *args]
    if os.geteuid() == 0:
        if not shutil.which("unshare"):
            pytest.skip("root without unshare: cannot make a read-only directory")
        script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", script, str(directory), *command]
    else:
        directory.chmod(0o555)
    try:
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        directory.chmod(0o755)


def test_unwritable_output_directory_is_an_error_line(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    result = _read_only(locked, "ingest", str(SOURCE), "-o", str(locked / "out.ttl"))
    if "unshare:" in result.stderr or "mount:" in result.stderr:
        pytest.skip(f"cannot make a read-only mount here: {result.stderr.strip()}")
    assert result.returncode == OUTPUT_ERROR, result.stderr
    assert result.stderr.startswith("error: cannot write ") and "Traceback" not in result.stderr
    assert "ead-only file system" in result.stderr or "ermission denied" in result.stderr
    assert list(locked.iterdir()) == []


def test_a_parent_that_is_a_file_is_an_error_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = run_cli("ingest", str(SOURCE), "-o", str(tmp_path / "file" / "out.ttl"))
    assert result.returncode == OUTPUT_ERROR and result.stderr.startswith("error: cannot write")
    assert "Traceback" not in result.stderr


def _file_size_limit(limit: int):
    def limit_writes() -> None:  # in the child: writes past the limit fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_writes


def test_a_full_disk_leaves_the_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out.ttl"
    out.write_text("previous content\n")
    process = _start("ingest", str(SOURCE), "-o", str(out), preexec_fn=_file_size_limit(4096))
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == OUTPUT_ERROR, stderr
    assert stderr.startswith(f"error: cannot write {out}: File too large"), stderr
    assert out.read_text() == "previous content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.ttl"]


@pytest.mark.parametrize("command", [["validate"], ["query", "-"]])
def test_standard_output_on_a_full_disk(command: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "publish", *command],
            input="SELECT * WHERE { ?s ?p ?o } LIMIT 500",
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
    assert result.returncode == OUTPUT_ERROR, result.stderr
    assert result.stderr == "error: writing the output: No space left on device\n"


# ------------------------------------------------------------ -o targets


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _device(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can make a device node")
    os.mknod(path, 0o666 | 0o020000, os.makedev(1, 3))  # a character device: /dev/null's


def _symlink(path: Path) -> None:
    target = path.parent / "target.ttl"
    target.write_text("the link's target\n")
    path.symlink_to(target)


@pytest.mark.parametrize(
    ("make", "kind"),
    [(_symlink, "a symbolic link"), (_fifo, "a FIFO"), (_device, "a character device")],
)
@pytest.mark.parametrize("command", ["ingest", "reason"])
def test_output_must_be_a_regular_file_or_a_new_path(
    tmp_path: Path, make, kind: str, command: str
) -> None:
    out = tmp_path / "out.ttl"
    make(out)
    before = os.lstat(out)
    args = ["ingest", str(SOURCE)] if command == "ingest" else ["reason", str(MINIMAL)]
    result = run_cli(*args, "-o", str(out), timeout=60)
    assert result.returncode == OUTPUT_ERROR, result.stderr
    assert f"error: {out} is {kind}; the output must be a regular file" in result.stderr
    after = os.lstat(out)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    if kind == "a symbolic link":
        assert (tmp_path / "target.ttl").read_text() == "the link's target\n"


# ------------------------------------------------------------ signals


def _big_annex(path: Path, rows: int) -> None:
    head = SOURCE.read_text(encoding="utf-8").split("2018/32\t")[0]
    body = "".join(
        f"2018/{n}\tTexte de la recommandation {n}, écrit pour peser.\t- Police\n"
        for n in range(1, rows + 1)
    )
    path.write_text(head + body, encoding="utf-8")


def test_sigterm_while_writing_removes_the_temporary_file(tmp_path: Path) -> None:
    source, out = tmp_path / "annex.txt", tmp_path / "out" / "annex.ttl"
    _big_annex(source, 3000)
    out.parent.mkdir()
    out.write_text("previous content\n")
    process = _start("ingest", str(source), "-o", str(out))
    deadline = time.monotonic() + 300
    while not [p for p in out.parent.iterdir() if p.name.startswith(".annex.ttl.")]:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == TERMINATED
    assert [p.name for p in out.parent.iterdir()] == ["annex.ttl"]
    assert out.read_text() == "previous content\n"


def _descendants(pid: int) -> list[int]:
    import psutil

    return [p.pid for p in psutil.Process(pid).children(recursive=True)]


@pytest.mark.java
def test_sigterm_takes_the_reasoning_workers_and_java_down(tmp_path: Path) -> None:
    import psutil

    if not shutil.which("java"):
        pytest.skip("no Java runtime")
    from rdflib import Graph, Literal, URIRef

    from publish.graph import load_graph

    data = load_graph(Settings().data)
    big = Graph()
    for year in range(2100, 2130):  # 330 recommendations: 4 chunks, in parallel workers

        def moved(term: object, year: int = year) -> object:
            if isinstance(term, URIRef):
                return URIRef(term.replace("recommendation/2018-", f"recommendation/{year}-"))
            if isinstance(term, Literal) and str(term).startswith("2018/"):
                return Literal(str(term).replace("2018/", f"{year}/"))
            return term

        big += ((moved(s), p, moved(o)) for s, p, o in data)
    source = tmp_path / "big.ttl"
    big.serialize(source, format="turtle")
    out = tmp_path / "big.inferred.ttl"
    process = _start("reason", str(source), "-o", str(out))
    deadline = time.monotonic() + 300
    while not any("java" in p.name() for p in psutil.Process(process.pid).children(recursive=True)):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.1)
    children = _descendants(process.pid)
    assert len(children) >= 3  # at least two workers and one Java
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == TERMINATED
    time.sleep(1)
    assert [
        pid
        for pid in children
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.ttl"]


# ------------------------------------------------------------ thbkg serve start-up


@pytest.mark.parametrize("mode", [[], ["--production"]])
def test_a_port_in_use_exits_2_without_saying_listening(mode: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", *mode, "--port", str(port), timeout=120)
    assert result.returncode == 2, result.stderr
    assert f"error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "listening" not in result.stderr


@pytest.mark.parametrize("mode", [[], ["--production"]])
def test_listening_is_said_once_the_port_accepts_and_sigterm_exits_143(mode: list[str]) -> None:
    port = free_port()
    process = _start("serve", *mode, "--port", str(port))
    try:
        line = process.stderr.readline()
        assert line.startswith(f"thbkg: listening on http://127.0.0.1:{port}/"), line
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass  # accepted at once: bound before the line was printed
    finally:
        process.terminate()
        process.communicate(timeout=30)
    assert process.returncode == TERMINATED


def test_a_missing_inferred_file_is_refused(tmp_path: Path) -> None:
    result = run_cli(
        "serve", "--data", str(MINIMAL), "--inferred", str(tmp_path / "missing.ttl"), timeout=60
    )
    assert result.returncode == 2
    assert "missing.ttl" in result.stderr and "does not exist" in result.stderr
