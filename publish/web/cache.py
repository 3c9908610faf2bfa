"""A shared HTTP cache inside the server, in front of the app: the store never changes while
it is served, so a representation the app has marked ``Cache-Control: public`` stays right
for as long as the server runs.

A GET answered 200, public, with a ``Content-Length`` of at most ``MAX_ENTRY`` bytes is kept,
under its URL (scheme, host, path, query and any ``X-Forwarded-*`` header) and the values of
the request headers its ``Vary`` names, as any HTTP cache would key it; the next such request
gets the same status, headers and body without entering Flask. Requests the cache would have
to revalidate or cut (``If-*``, ``Range``, ``Cache-Control``, ``Pragma``) and those carrying
credentials go to the app, as do HEAD, errors and ``/sparql``: queries are answered by the
engine each time, under their time limit and admission control (a cache in front may still
store a GET's answer: it is marked public). The least recently used URLs leave first once the
answers kept (bodies and headers) pass ``capacity`` bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from werkzeug.datastructures import ResponseCacheControl
from werkzeug.http import parse_cache_control_header, parse_set_header

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: Larger bodies (whole downloads) are sent from their files, never kept.
MAX_ENTRY = 1 << 20
#: Request headers with which the app, not the cache, must answer.
_BYPASS = (
    "HTTP_IF_MATCH",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
    "HTTP_CACHE_CONTROL",
    "HTTP_PRAGMA",
    "HTTP_AUTHORIZATION",
    "HTTP_COOKIE",
)
#: Request headers that say what URL the client asked for, behind a proxy.
_FORWARDED = ("HTTP_X_FORWARDED_", "HTTP_FORWARDED")
#: Paths always answered by the app.
_UNCACHED = ("/sparql",)


class _Entry(NamedTuple):
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def size(self) -> int:
        """Bytes held, headers counted: what ``capacity`` bounds."""
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


#: The answers kept for one URL: by the environ keys of the request headers their ``Vary``
#: names (HTML and Turtle of one resource vary on different headers), then by those values.
_Variants = dict[tuple[str, ...], dict[tuple[str, ...], _Entry]]


def _vary_keys(headers: list[tuple[str, str]]) -> tuple[str, ...]:
    """The environ keys of the request headers that a response's ``Vary`` names."""
    named = parse_set_header(",".join(v for k, v in headers if k.lower() == "vary"))
    return tuple(sorted({"HTTP_" + h.upper().replace("-", "_") for h in named}))


class ResponseCache:
    """WSGI middleware keeping ``app``'s public 200 answers to GET, up to ``capacity`` bytes."""

    def __init__(self, app: WSGIApplication, capacity: int) -> None:
        self.app = app
        self.capacity = capacity
        self.size = 0
        self._urls: OrderedDict[tuple[str, ...], _Variants] = OrderedDict()  # least recent first
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        url = self._url(environ)
        if url is None:
            return self.app(environ, start_response)
        entry = self._find(url, environ)
        if entry is not None:
            start_response(entry.status, list(entry.headers))
            return [entry.body]
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def keep(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> object:
            started.append((status, headers))
            return start_response(status, headers, exc_info)  # type: ignore[arg-type]

        body = self.app(environ, keep)
        if not started or not self._storable(*started[-1]):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        status, headers = started[-1]
        # The server dates each answer it sends (Werkzeug dated this one when it was made).
        undated = [(k, v) for k, v in headers if k.lower() != "date"]
        self._store(url, environ, _Entry(status, undated, data))
        return [data]

    def _url(self, environ: WSGIEnvironment) -> tuple[str, ...] | None:
        """What names the resource, for a GET the cache may answer; else None."""
        path = environ.get("PATH_INFO", "")
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or path.startswith(_UNCACHED)
            or any(h in environ for h in _BYPASS)
        ):
            return None
        forwarded = sorted(f"{k}={v}" for k, v in environ.items() if k.startswith(_FORWARDED))
        return (
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", ""),
            path,
            environ.get("QUERY_STRING", ""),
            *forwarded,
        )

    def _find(self, url: tuple[str, ...], environ: WSGIEnvironment) -> _Entry | None:
        """A kept answer whose ``Vary`` headers had the values this request has."""
        with self._lock:
            variants = self._urls.get(url)
            if variants is None:
                return None
            self._urls.move_to_end(url)
            for vary, answers in variants.items():
                entry = answers.get(tuple(environ.get(h, "") for h in vary))
                if entry is not None:
                    return entry
        return None

    def _storable(self, status: str, headers: list[tuple[str, str]]) -> bool:
        named = {k.lower(): v for k, v in headers}
        control = parse_cache_control_header(named.get("cache-control"), cls=ResponseCacheControl)
        length = named.get("content-length", "")
        return (
            status.startswith("200 ")
            and control.public
            and not (control.no_store or control.no_cache or control.private)
            and "set-cookie" not in named
            and "*" not in parse_set_header(named.get("vary"))
            and length.isdigit()
            and int(length) <= min(MAX_ENTRY, self.capacity)
        )

    def _store(self, url: tuple[str, ...], environ: WSGIEnvironment, entry: _Entry) -> None:
        vary = _vary_keys(entry.headers)
        values = tuple(environ.get(h, "") for h in vary)
        with self._lock:
            answers = self._urls.setdefault(url, {}).setdefault(vary, {})
            old = answers.pop(values, None)
            self.size += entry.size() - (old.size() if old else 0)
            answers[values] = entry
            self._urls.move_to_end(url)
            while self.size > self.capacity and self._urls:
                self._drop(next(iter(self._urls)))

    def _drop(self, url: tuple[str, ...]) -> None:
        variants = self._urls.pop(url, {})
        self.size -= sum(e.size() for answers in variants.values() for e in answers.values())
