"""What the load and attack scripts share: a server on 127.0.0.1, an HTTP client, latency
figures, the peak memory of the server and its worker processes, and a listener that counts
the connections anything opens to it (the target of every SERVICE and FROM an attack sends)."""

from __future__ import annotations

import contextlib
import http.client
import socket
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import percentile  # noqa: E402

from tests.conftest import start_server, stop_server  # noqa: E402

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Reply:
    status: int  # 0 when the request failed (refused, reset, timed out)
    headers: dict[str, str]
    body: bytes
    seconds: float
    error: str = ""


def request(
    base: str,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Reply:
    """One request on a fresh connection to ``base`` (which must be on 127.0.0.1)."""
    parts = urlsplit(base)
    assert parts.hostname == LOOPBACK, "the benches only ever talk to 127.0.0.1"
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return Reply(response.status, dict(response.headers), data, time.perf_counter() - started)
    except (OSError, http.client.HTTPException) as exc:
        return Reply(0, {}, b"", time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


@dataclass
class Tally:
    """Requests, statuses, failures and latencies per kind of request."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, reply: Reply, failure: str | None = None) -> None:
        with self.lock:
            self.latencies[kind].append(reply.seconds)
            self.statuses[kind][reply.status or reply.error.split(":")[0]] += 1
            if failure:
                self.failures[kind].append(failure)

    @property
    def failed(self) -> int:
        return sum(len(f) for f in self.failures.values())

    def report(self) -> str:
        rows = [
            f"{'kind':<42} {'requests':>8} {'errors':>6} {'p50 ms':>8} {'p90 ms':>8} "
            f"{'p99 ms':>8} {'max ms':>8}  statuses"
        ]
        for kind, values in self.latencies.items():
            ms = sorted(v * 1000 for v in values)
            rows.append(
                f"{kind:<42} {len(ms):>8} {len(self.failures[kind]):>6} "
                f"{percentile(ms, 50):>8.1f} {percentile(ms, 90):>8.1f} "
                f"{percentile(ms, 99):>8.1f} {ms[-1]:>8.1f}  "
                + " ".join(f"{k}×{n}" for k, n in sorted(self.statuses[kind].items(), key=str))
            )
        for kind, failures in self.failures.items():
            if failures:
                more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
                rows.append(f"  ! {kind}: {failures[0]}{more}")
        return "\n".join(rows)


class MemoryWatch(threading.Thread):
    """Samples the resident memory of a process and of its descendants (query workers)."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak_server = self.peak_workers = self.peak_total = 0
        self.peak_worker_count = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            try:
                server = self.process.memory_info().rss
                workers = 0
                children = self.process.children(recursive=True)
                for child in children:
                    with contextlib.suppress(psutil.Error):  # it may just have ended
                        workers += child.memory_info().rss
            except psutil.Error:
                return
            self.peak_server = max(self.peak_server, server)
            self.peak_workers = max(self.peak_workers, workers)
            self.peak_total = max(self.peak_total, server + workers)
            self.peak_worker_count = max(self.peak_worker_count, len(children))
            self._done.wait(self.interval)

    def stop(self) -> str:
        self._done.set()
        self.join()
        mib = 1024 * 1024
        return (
            f"peak memory: server {self.peak_server / mib:.0f} MiB, workers "
            f"{self.peak_workers / mib:.0f} MiB (at most {self.peak_worker_count} processes), "
            f"together {self.peak_total / mib:.0f} MiB"
        )


class Listener(threading.Thread):
    """A TCP listener on 127.0.0.1 that counts connections and answers each with an empty
    SPARQL result, so a query that reached it would show."""

    ANSWER = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
        b"Connection: close\r\nContent-Length: 54\r\n\r\n"
        b'{"head":{"vars":["leak"]},"results":{"bindings":[{}]}}'
    )

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_server((LOOPBACK, 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{LOOPBACK}:{self.port}/"
        self.connections: list[bytes] = []

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(4096)
                    conn.sendall(self.ANSWER)
                except OSError:
                    first = b""
                self.connections.append(first.split(b"\r\n", 1)[0])

    def close(self) -> str:
        self.sock.close()
        seen = ", ".join(sorted({c.decode("latin-1") for c in self.connections})[:5])
        return f"outbound connections seen by the listener on {self.url}: " + (
            f"{len(self.connections)} ({seen})" if self.connections else "0"
        )


class Server:
    """``thbkg serve`` on 127.0.0.1 and a free port, with its memory watched."""

    def __init__(self, production: bool, workers: int, env: dict[str, str]) -> None:
        args = ("--production", "--workers", str(workers)) if production else ()
        self.process, self.url = start_server(*args, env=env, timeout=300)
        self.memory = MemoryWatch(self.process.pid)
        self.memory.start()

    def stop(self) -> str:
        try:
            return self.memory.stop()
        finally:
            stop_server(self.process)


def common_arguments(parser) -> None:
    """The server options both scripts take."""
    parser.add_argument("--dev", action="store_true", help="Flask's server, not waitress")
    parser.add_argument("--workers", type=int, default=8, help="waitress threads (default 8)")
    parser.add_argument("--engine", choices=("oxigraph",), default="oxigraph")
    parser.add_argument(
        "--query-timeout", type=float, default=10.0, help="THBKG_QUERY_TIMEOUT of the server"
    )
    parser.add_argument(
        "--query-queue",
        type=int,
        default=64,
        help="THBKG_QUERY_QUEUE of the server, and THBKG_QUERIES_PER_CLIENT: every client of "
        "these scripts comes from 127.0.0.1, one address (default 64)",
    )


def server_env(args) -> dict[str, str]:
    """The server's settings. Every simulated client comes from 127.0.0.1, so the per-client
    cap is the whole queue (``--query-queue``, 64 by default: the parser attack's 50 copies)."""
    queue = str(args.query_queue)
    return {
        "THBKG_ENGINE": args.engine,
        "THBKG_QUERY_TIMEOUT": str(args.query_timeout),
        "THBKG_QUERY_QUEUE": queue,
        "THBKG_QUERIES_PER_CLIENT": queue,
    }
