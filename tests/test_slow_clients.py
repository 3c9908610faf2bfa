"""`thbkg serve --production` against slow clients: half-sent requests (slowloris) neither
exhaust the connections nor hold a request open past the client timeout."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from .conftest import start_server, stop_server

pytestmark = pytest.mark.server
CLIENT_TIMEOUT = 2


@pytest.fixture(scope="module")
def production() -> Iterator[tuple[str, int]]:
    process, url = start_server(
        "--production", "--workers", "4", env={"THBKG_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT)}
    )
    parts = urlsplit(url)
    yield parts.hostname, parts.port
    stop_server(process)


def _half_sent(address: tuple[str, int]) -> socket.socket:
    sock = socket.create_connection(address, timeout=5)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def _get(address: tuple[str, int], path: str = "/recommendation/2018-32.ttl") -> bytes:
    with socket.create_connection(address, timeout=5) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def test_200_slowloris_connections_do_not_stop_a_normal_client(
    production: tuple[str, int],
) -> None:
    slow = [_half_sent(production) for _ in range(200)]
    try:
        started = time.monotonic()
        reply = _get(production)
        elapsed = time.monotonic() - started
        assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
        assert elapsed < 1, elapsed
    finally:
        for sock in slow:
            sock.close()


def test_a_trickling_request_is_cut_at_the_client_timeout(production: tuple[str, int]) -> None:
    """One byte every 0.3 s would keep an idle-only timeout from ever firing."""
    sock = _half_sent(production)
    started = time.monotonic()
    closed_after = None
    try:
        while time.monotonic() - started < CLIENT_TIMEOUT + 6:
            try:
                sock.sendall(b"x")
                sock.settimeout(0.3)
                if sock.recv(1024) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:  # reset by the server
                closed_after = time.monotonic() - started
                break
    finally:
        sock.close()
    assert closed_after is not None, "the server kept a trickling request open"
    assert CLIENT_TIMEOUT - 0.5 < closed_after < CLIENT_TIMEOUT + 3, closed_after


def test_an_idle_connection_is_closed_and_the_server_still_answers(
    production: tuple[str, int],
) -> None:
    sock = _half_sent(production)
    sock.settimeout(CLIENT_TIMEOUT + 5)
    started = time.monotonic()
    assert sock.recv(1024) == b""
    assert time.monotonic() - started < CLIENT_TIMEOUT + 3
    sock.close()
    assert _get(production).startswith(b"HTTP/1.1 200")
