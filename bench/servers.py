"""Server processes for the side-by-side benchmark: start, wait until they answer, watch their
memory, and tear every one of them down (on error and on Ctrl-C too).

Each server runs in a session of its own, so stopping it also stops what it started (thbkg's
query workers); its memory is the resident set of that whole process tree, sampled by psutil.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from harness import MemoryWatch

#: Every server started and not yet stopped, so that ``stop_all`` can end them.
_RUNNING: list[Server] = []


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (0 once it is gone)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return total


@dataclass
class Server:
    """One running server: where its SPARQL endpoint is, and what it costs in memory."""

    name: str
    process: subprocess.Popen
    port: int
    query_path: str
    log: Path
    memory: MemoryWatch  # the peak of the process tree
    started: float = field(default_factory=time.perf_counter)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss(self) -> int:
        return tree_rss(self.process.pid)

    def log_tail(self, lines: int = 15) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


def launch(name: str, command: list[str], port: int, query_path: str, cwd: Path) -> Server:
    """Start ``command`` in a session of its own, its output in a log file (never a pipe that
    nobody drains), and start sampling its memory."""
    handle, log = tempfile.mkstemp(prefix=f"bench-{name.replace(' ', '-')}-", suffix=".log")
    with os.fdopen(handle, "w") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    memory = MemoryWatch(process.pid)
    memory.start()
    server = Server(name, process, port, query_path, Path(log), memory, started)
    _RUNNING.append(server)
    return server


def answers(server: Server, timeout: float = 5.0) -> int | None:
    """The status of a trivial ASK (the readiness probe of every peer); None if no answer."""
    query = urllib.parse.urlencode({"query": "ASK {}"})
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request(
            "GET",
            f"{server.query_path}?{query}",
            headers={"Accept": "application/sparql-results+json"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def wait_ready(server: Server, timeout: float) -> float:
    """Seconds from launch until the server answers; an error with its log if it exits or
    does not answer within ``timeout``."""
    deadline = server.started + timeout
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}"
            )
        status = answers(server)
        if status == 200:
            return time.perf_counter() - server.started
        if status is not None and 400 <= status < 500:  # a wrong path or query: no use waiting
            raise RuntimeError(f"{server.name} answers ASK at {server.query_path} with {status}")
        time.sleep(0.01)
    raise RuntimeError(f"{server.name} did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def stop(server: Server) -> int:
    """End the server's whole session (SIGTERM, then SIGKILL after 10 s); returns its peak RSS."""
    if server in _RUNNING:
        _RUNNING.remove(server)
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(server.process.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    server.memory.stop()
    server.log.unlink(missing_ok=True)
    return server.memory.peak_total


def stop_all() -> None:
    """Stop every server still running (called on the way out, whatever the way)."""
    for server in list(_RUNNING):
        stop(server)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def on_termination_stop_all() -> None:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt, so ``finally: stop_all()`` runs."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
