"""Running the app: bind first, then serve with waitress (production) or Werkzeug.

The socket is bound before anything says ``listening``, and the same way in both modes, so a
port in use is one clear error. waitress is configured against slow clients: many connections
(a half-sent request holds a connection, never a worker thread), a deadline for a whole request
that trickled bytes do not extend (slowloris), and a bounded request body.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import socket
from multiprocessing.process import BaseProcess
from pathlib import Path

from flask import Flask
from waitress.channel import HTTPChannel

from ..build import Site
from ..config import Settings
from ..lifecycle import end_with_parent


def listen(host: str, port: int, shared: bool = False) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (an IPv4 or IPv6 address or a name);
    OSError when the port is in use or the address is not this machine's. A ``shared`` one
    (``SO_REUSEPORT``) lets the copies of a server listen beside it, each on a socket of its
    own among which the kernel spreads the connections evenly."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    return socket.create_server((host, port), family=family, backlog=1024, reuse_port=shared)


class _DeadlineChannel(HTTPChannel):
    """A request must arrive whole within ``channel_timeout`` of its first byte: a client that
    sends a byte now and then keeps its request's start time, so waitress's idle check
    (``maintenance``) closes it like a silent one."""

    def handle_read(self) -> None:
        partial, started = self.request is not None, self.last_activity
        super().handle_read()
        if partial and self.request is not None:
            self.last_activity = started


def _open_files(needed: int) -> None:
    """Raise the soft limit of open files towards ``needed`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        ceiling = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


def serve_production(app: Flask, sock: socket.socket, threads: int, settings: Settings) -> None:
    """waitress with ``threads`` worker threads on ``sock``, until the process is stopped."""
    import waitress

    _open_files(settings.connection_limit + 256)
    server = waitress.create_server(
        app,
        sockets=[sock],
        threads=threads,
        ident="thbkg",
        connection_limit=settings.connection_limit,
        channel_timeout=settings.client_timeout,
        cleanup_interval=max(0.5, min(30.0, settings.client_timeout / 4)),
        # Bodies up to twice the limit reach the app, which refuses them with its own
        # message; beyond, waitress refuses them before buffering them to disk.
        max_request_body_size=2 * settings.max_body,
        asyncore_use_poll=True,  # select() cannot watch descriptors above 1024
    )
    server.channel_class = _DeadlineChannel
    server.run()


def start_copies(
    count: int, sock: socket.socket, threads: int, settings: Settings, source: Path | Site
) -> list[BaseProcess]:
    """``count`` more production servers on the address of ``sock`` (a ``shared`` one), each a
    process of its own: one Python process serves from one core at a time.
    ``source`` is a built store's directory, which each opens read-only with query workers of
    its own, or a site on an external endpoint, handed over whole (figures, search index).
    They end with this process, even when it is killed; ``stop_copies`` stops them."""
    context = multiprocessing.get_context("spawn")  # nothing of this process's threads
    copies = []
    for _ in range(count):
        copy = context.Process(
            target=_serve_copy,
            args=(sock.getsockname()[:2], threads, settings, source, os.getpid()),
            name="thbkg-web",
        )
        copy.start()
        copies.append(copy)
    return copies


def _serve_copy(
    address: tuple[str, int], threads: int, settings: Settings, source: Path | Site, parent: int
) -> None:
    from ..build import open_built
    from . import create_app

    end_with_parent(parent)
    site = open_built(source, settings) if isinstance(source, Path) else source
    app = create_app(settings, site)
    serve_production(app, listen(*address, shared=True), threads, settings)


def stop_copies(copies: list[BaseProcess]) -> None:
    """SIGTERM to each copy (it finishes what it is sending), then wait for them."""
    for copy in copies:
        copy.terminate()
    for copy in copies:
        copy.join(10)
        if copy.is_alive():
            copy.kill()
            copy.join()


def serve_development(app: Flask, sock: socket.socket) -> None:
    """Werkzeug's threaded development server on ``sock``."""
    from werkzeug.serving import make_server

    host, port = sock.getsockname()[:2]
    make_server(host, port, app, threaded=True, fd=sock.fileno()).serve_forever()
