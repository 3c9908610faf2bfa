"""Install anywhere: the wheel built from the repository carries data, ontology, shapes and
queries, and runs ``thbkg validate``, ``query``, ``reason`` and ``serve`` with no checkout.

Offline: the wheel is built without build isolation (the installed setuptools), from a copy of
the tracked files, and installed with ``--no-deps`` into a fresh virtual environment that sees
the already installed dependencies (``--system-site-packages``). Every command runs from an
empty directory, and the test checks that the package imported is the installed one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from publish.config import ROOT

from .conftest import free_port

pytestmark = pytest.mark.server


def _run(*args: str | Path, cwd: Path, timeout: float = 300, stdin: str | None = None):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _tracked_copy(target: Path) -> None:
    """The repository's tracked files only, so nothing untracked can make the build pass."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the venv's bin directory, an empty working directory)."""
    base = tmp_path_factory.mktemp("wheel")
    source, dist, venv, work = (base / n for n in ("src", "dist", "venv", "work"))
    work.mkdir()
    source.mkdir()
    _tracked_copy(source)
    built = _run(
        sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, source,
        cwd=base,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = dist.glob("thbkg-*.whl")
    made = _run(sys.executable, "-m", "venv", "--system-site-packages", venv, cwd=base)
    assert made.returncode == 0, made.stderr
    bin_dir = venv / "bin"
    pip = _run(
        bin_dir / "python", "-m", "pip", "install", "--no-deps", "--no-index",
        "--force-reinstall", wheel, cwd=base,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stdout + pip.stderr
    yield bin_dir, work


def test_the_installed_package_is_the_wheel(installed: tuple[Path, Path]) -> None:
    bin_dir, work = installed
    probe = _run(
        bin_dir / "python",
        "-c",
        "import json, publish, publish.config as c; "
        "print(json.dumps([publish.__file__, str(c.ROOT), str(c.Settings().data[0])]))",
        cwd=work,
    )
    module, root, data = json.loads(probe.stdout)
    venv = str(bin_dir.parent)
    assert module.startswith(venv) and root.startswith(venv), probe.stdout
    assert Path(root).name == "shipped" and Path(data).is_file()


def test_validate_and_query_the_shipped_data(installed: tuple[Path, Path]) -> None:
    bin_dir, work = installed
    validated = _run(bin_dir / "thbkg", "validate", cwd=work)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "Conforms" in validated.stdout
    query = (
        "PREFIX thb: <https://w3id.org/thbkg/ontology#>\n"
        "SELECT (COUNT(?r) AS ?n) WHERE { ?r a thb:Recommendation }"
    )
    answered = _run(bin_dir / "thbkg", "query", "--format", "csv", "-", cwd=work, stdin=query)
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.splitlines() == ["n", "11"]


@pytest.mark.java
def test_reason_on_the_shipped_data(installed: tuple[Path, Path]) -> None:
    bin_dir, work = installed
    out = work / "inferred.ttl"
    reasoned = _run(bin_dir / "thbkg", "reason", "-o", out, cwd=work, timeout=600)
    assert reasoned.returncode == 0, reasoned.stderr
    assert "consistent" in reasoned.stderr and out.stat().st_size > 0


def test_serve_the_shipped_data(installed: tuple[Path, Path]) -> None:
    bin_dir, work = installed
    port = free_port()
    log = (work / "serve.log").open("w")
    server = subprocess.Popen(
        [str(bin_dir / "thbkg"), "serve", "--port", str(port)],
        cwd=work,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/robots.txt", timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (
                    work / "serve.log"
                ).read_text()
                time.sleep(0.3)
        request = urllib.request.Request(
            base + "/recommendation/2018-32", headers={"Accept": "text/turtle"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert "Recommandation 2018/32" in response.read().decode()
        editor = urllib.request.Request(base + "/sparql", headers={"Accept": "text/html"})
        with urllib.request.urlopen(editor, timeout=30) as response:
            assert "recommendations-per-theme" in response.read().decode()  # queries/ shipped
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
