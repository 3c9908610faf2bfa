"""Query workers: pre-started, single-threaded processes that each open the store read-only,
cut off the network, cap their memory and lower their CPU priority (pages and descriptions
are served first when the cores are busy), then answer queries one at a time.

The web tier never forks: workers come from multiprocessing's fork server, a single-threaded
process started once (fork and exec, like any subprocess), so no worker inherits a lock some
server thread held. A query past its deadline kills its worker; a fresh one is started in the
background while the client gets its 503. ``Admission`` bounds how many queries may be
running or waiting at once, in all and per client, so queries never hold every web thread.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from .config import Settings
from .errors import (
    Overloaded,
    QueryError,
    QueryOutOfMemory,
    QueryTimeout,
    ThbkgError,
)
from .sandbox import confine_network, limit_memory

#: What a worker answers with: given the store's directory (None when an external endpoint
#: answers), the settings and our graphs' IRIs, an object whose methods are the commands. A
#: module-level function, so the fork server finds it by name (``publish.sparql.open_core``).
CoreFactory = Callable[[str | None, Settings, frozenset[str]], object]


class WorkerFailed(ThbkgError):
    """A query worker cannot start: the store cannot be opened, the sandbox refused ..."""

    exit_code = 2
    http_status = 503


_PR_SET_PDEATHSIG = 1
#: How much nicer than the web tier a worker runs (``nice``): a busy worker yields the cores to
#: the threads that serve pages and descriptions.
NICENESS = 10
#: How long a worker may take to start (open the store, warm the parser).
START_TIMEOUT = 120.0


def _context() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    # Imported once in the fork server, so a worker (re)starts in milliseconds.
    context.set_forkserver_preload(["publish.pool", "publish.sparql"])
    return context


def _serve(
    conn: Connection,
    open_core: CoreFactory,
    store: str | None,
    settings: Settings,
    known: frozenset[str],
) -> None:
    """A worker's life: confine, open its core over the store (none when an external endpoint
    answers), then answer until EOF."""
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the fork server
    # Library deprecations must not fail a query, even under ``-W error``.
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        layers = confine_network()
        limit_memory(settings.query_memory)
        os.nice(NICENESS)
        core = open_core(store, settings, known)
    except ThbkgError as exc:
        conn.send(("failed", exc))
        return
    except Exception as exc:  # the store cannot be opened ...
        conn.send(("failed", WorkerFailed(f"a query worker cannot start: {exc}")))
        return
    conn.send(("ready", layers))
    while True:
        try:
            command, args = conn.recv()
        except (EOFError, OSError):  # the server went away
            return
        try:
            reply = (True, getattr(core, command)(*args))
        except ThbkgError as exc:
            reply = (False, exc)
        except MemoryError:
            conn.send((False, _out_of_memory(settings)))
            os._exit(1)  # a heap that hit its cap is not worth keeping; the pool replaces us
        except Exception as exc:  # the engine refused or failed on this query
            reply = (False, QueryError(f"the query could not be evaluated: {exc}"))
        conn.send(reply)


def _out_of_memory(settings: Settings, likely: bool = False) -> QueryOutOfMemory:
    why = "its worker ended, most likely because it" if likely else "it"
    return QueryOutOfMemory(
        f"the query was stopped: {why} needed more than {settings.query_memory / (1 << 20):g} "
        "MiB of memory, the configured limit (THBKG_QUERY_MEMORY)"
    )


@dataclass(eq=False)  # hashed by identity
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection


class WorkerPool:
    """``size`` query workers over the store at ``store`` (or none, ``known`` naming the graphs
    of an external endpoint); ``call`` runs one command in one."""

    def __init__(
        self,
        open_core: CoreFactory,
        store: Path | None,
        settings: Settings,
        size: int,
        known: Iterable[str] = (),
    ) -> None:
        self.open_core = open_core
        self.store = None if store is None else str(store)
        self.known = frozenset(str(iri) for iri in known)
        self.settings = settings
        self.layers: list[str] = []
        self._context = _context()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._closed = threading.Event()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        starting = [self._start() for _ in range(size)]
        try:
            for worker in starting:
                self.layers = self._ready(worker)
                self._idle.put(worker)
        except BaseException:
            self.close()
            raise

    def _start(self) -> _Worker:
        mine, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve,
            args=(theirs, self.open_core, self.store, self.settings, self.known),
            daemon=True,
        )
        process.start()
        theirs.close()
        worker = _Worker(process, mine)
        with self._lock:
            self._all.add(worker)
        return worker

    def _ready(self, worker: _Worker) -> list[str]:
        """Wait for a started worker's greeting; its failure is raised here."""
        try:
            if not worker.conn.poll(START_TIMEOUT):
                raise WorkerFailed(f"a query worker did not start within {START_TIMEOUT:g} s")
            status, detail = worker.conn.recv()
        except (EOFError, OSError):
            status, detail = (
                "failed",
                WorkerFailed(
                    f"a query worker ended while starting (exit code {worker.process.exitcode})"
                ),
            )
        if status != "ready":
            self._discard(worker)
            raise detail
        return detail

    def _discard(self, worker: _Worker) -> None:
        """Kill ``worker`` and close its pipe, once: ``close`` and a restarting thread may both
        discard the same worker, and a second ``close`` of its pipe could close a descriptor
        the process has since reused."""
        with self._lock:
            if worker not in self._all:
                return
            self._all.remove(worker)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` now; start its successor in the background."""
        self._discard(worker)
        threading.Thread(target=self._restart, daemon=True).start()

    def _restart(self) -> None:
        delay = 0.1
        while not self._closed.is_set():
            try:
                fresh = self._start()
                self._ready(fresh)
            except (ThbkgError, OSError) as exc:
                if self._closed.is_set():  # the pool closed under it: nothing went wrong
                    return
                print(f"thbkg: restarting a query worker: {exc}", file=sys.stderr)
                self._closed.wait(delay)
                delay = min(delay * 2, 10)
                continue
            if self._closed.is_set():
                self._discard(fresh)
            else:
                self._idle.put(fresh)
            return

    def call(self, command: str, args: tuple, deadline: float) -> object:
        """Run ``command(*args)`` on the query core of an idle worker, by ``deadline``.

        Waiting for an idle worker counts against the deadline; at the deadline the worker is
        killed and replaced, and the caller gets QueryTimeout.
        """
        limit = self.settings.query_timeout
        start = time.monotonic()
        try:
            worker = self._idle.get(timeout=max(0.0, deadline - start))
        except queue.Empty:
            raise QueryTimeout(
                f"the endpoint is busy: no query worker became free within {limit:g} s, the "
                "configured limit, so the query was not started; try again shortly"
            ) from None
        waited = time.monotonic() - start
        healthy = False
        try:
            worker.conn.send((command, args))
            if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                queued = f", {waited:.1f} s of it waiting for a free query worker"
                raise QueryTimeout(
                    f"the query ran longer than {limit:g} s, the configured limit"
                    f"{queued if waited >= 0.05 else ''}, and was stopped"
                )
            ok, payload = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(1)
            raise self._died(worker.process.exitcode) from None
        else:
            healthy = not isinstance(payload, QueryOutOfMemory)
        finally:
            if healthy and not self._closed.is_set():
                self._idle.put(worker)
            else:
                self._replace(worker)
        if not ok:
            raise payload
        return payload

    def _died(self, exitcode: int | None) -> ThbkgError:
        """Why a worker ended mid-query. An allocation past the memory cap aborts the engine
        (Rust aborts on a failed allocation: SIGABRT), and the kernel's OOM killer sends
        SIGKILL; anything else is reported as it is."""
        if exitcode in (-signal.SIGABRT, -signal.SIGKILL):
            return _out_of_memory(self.settings, likely=True)
        return QueryError(f"the query worker ended without an answer (exit code {exitcode})")

    def close(self) -> None:
        """Stop every worker."""
        self._closed.set()
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            self._discard(worker)


class Admission:
    """At most ``capacity`` queries running or waiting at once, and ``per_client`` of them from
    one client address; beyond that a query is refused at once (503, or 429 for the client
    over its share) with Retry-After, so waiting queries never hold every web thread."""

    def __init__(self, capacity: int, per_client: int, retry_after: int) -> None:
        self.capacity = capacity
        self.per_client = per_client
        self.retry_after = retry_after
        self._lock = threading.Lock()
        self._total = 0
        self._clients: Counter[str] = Counter()

    @contextmanager
    def admit(self, client: str | None) -> Iterator[None]:
        """Hold one place for the duration of a query, or raise Overloaded."""
        with self._lock:
            if self._total >= self.capacity:
                raise Overloaded(
                    f"the endpoint is full: {self.capacity} queries are running or waiting, the "
                    f"configured limit (THBKG_QUERY_QUEUE); try again in {self.retry_after} s",
                    self.retry_after,
                )
            if client is not None and self._clients[client] >= self.per_client:
                raise Overloaded(
                    f"this client already has {self.per_client} queries running or waiting, the "
                    "configured limit per client (THBKG_QUERIES_PER_CLIENT); wait for one to "
                    "finish",
                    self.retry_after,
                    429,
                )
            self._total += 1
            if client is not None:
                self._clients[client] += 1
        try:
            yield
        finally:
            with self._lock:
                self._total -= 1
                if client is not None:
                    self._clients[client] -= 1
                    if not self._clients[client]:
                        del self._clients[client]
