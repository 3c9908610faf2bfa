"""Response helpers shared by the blueprints: conditional bodies, alternates, negotiated errors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from urllib.parse import quote

from flask import Flask, Response, current_app, render_template, request, stream_with_context
from werkzeug.exceptions import HTTPException

from ..catalogue import Catalogue
from ..errors import ThbkgError
from ..formats import HTML, RDF_FORMATS, TEXT, TURTLE, Format, negotiate
from .i18n import DEFAULT, choose_language, translator

# What a resource URI offers, in the server's order of preference for equal qualities:
# ``*/*`` alone gets Turtle, a browser (``text/html`` at q=1) gets HTML.
RESOURCE_OFFERS: tuple[Format, ...] = (*RDF_FORMATS, HTML)
MAX_PATH = 1024


def catalogue() -> Catalogue:
    """The Catalogue of the running app."""
    return current_app.extensions["thbkg.catalogue"]


def href(path: str, suffix: str | None = None) -> str:
    """The local URL of one of our resources, on whatever host serves it."""
    return "/" + quote(path + (f".{suffix}" if suffix else ""), safe="/-_.~")


def alternates(path: str, iri: str) -> str:
    """A ``Link`` header: the IRI as canonical, and the URL of every other representation."""
    links = [f'<{iri}>; rel="canonical"']
    links += [
        f'<{href(path, fmt.suffix)}>; rel="alternate"; type="{fmt.media_type}"'
        for fmt in RESOURCE_OFFERS
    ]
    return ", ".join(links)


def conditional(body: bytes | str, fmt: Format, *, vary: tuple[str, ...] = ()) -> Response:
    """A 200 with a strong ETag from the body, turned into a 304 when ``If-None-Match`` matches."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    response = Response(data, content_type=fmt.content_type)
    response.set_etag(hashlib.sha256(data).hexdigest()[:32])
    if vary:
        response.vary.update(vary)
    return response.make_conditional(request)


def streamed(chunks: Iterator[bytes], fmt: Format, etag: str) -> Response:
    """A 200 whose body is sent as the store writes it (no length, no copy in memory), or a 304
    when ``If-None-Match`` names ``etag`` (then the store is not read at all)."""
    if etag in request.if_none_match:
        response = Response(status=304)
        response.set_etag(etag)
        return response
    response = Response(stream_with_context(chunks), content_type=fmt.content_type)
    response.set_etag(etag)
    return response


def error_response(status: int, message: str) -> Response:
    """An error in HTML for browsers and in plain text for everyone else."""
    fmt = negotiate(request.headers.get("Accept"), (TEXT, HTML)) or TEXT
    if fmt == HTML:
        lang = choose_language(request)
        body = render_template(
            "error.html", status=status, message=message, lang=lang, t=translator(lang)
        )
    else:
        body = f"{status} {message}\n"
    response = Response(body, status=status, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def init_app(app: Flask) -> None:
    """Template defaults; every HTTP error and every domain error in the negotiated format."""

    @app.context_processor
    def _defaults() -> dict[str, object]:
        """English words for pages whose view passes no ``t``; media types from formats.py."""
        return {"t": translator(DEFAULT), "TURTLE": TURTLE}

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        response = error_response(exc.code or 500, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:
            response.allow.update(exc.valid_methods)
        return response

    @app.errorhandler(ThbkgError)
    def _domain(exc: ThbkgError) -> Response:
        return error_response(exc.http_status, exc.message)
