"""Response helpers shared by the blueprints: conditional bodies, alternates, negotiated errors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from flask import (
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
)
from werkzeug.exceptions import HTTPException

from ..catalogue import Catalogue
from ..errors import ThbkgError
from ..formats import HTML, RDF_FORMATS, RESOURCE_OFFERS, TEXT, TURTLE, Format, by_name, negotiate
from .i18n import DEFAULT, language, translator

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


def requested_format(
    explicit: Format | None = None, offers: tuple[Format, ...] = RESOURCE_OFFERS
) -> Format | Response:
    """The format to serve, or the error response that says why there is none.

    ``?format=`` first, then a suffix (``explicit``), then ``Accept`` over ``offers``.
    """
    asked = request.args.get("format")
    if asked is not None:
        fmt = by_name(asked, offers)
        if fmt is not None:
            return fmt
        other = by_name(asked)
        if other is not None:
            return error_response(406, f"this resource is not available as {other.media_type}")
        names = ", ".join(f.suffix for f in offers)
        return error_response(400, f"unknown format {asked!r}; use one of: {names}")
    if explicit is not None:
        return explicit
    fmt = negotiate(request.headers.get("Accept"), offers)
    if fmt is None:
        offered = ", ".join(f.media_type for f in offers)
        return error_response(406, f"no acceptable representation; this resource offers {offered}")
    return fmt


def landing_alternative() -> Response | None:
    """``/`` is the landing page: None for HTML; an RDF client is sent on to the dataset.

    HTML is preferred here (``*/*`` or no ``Accept`` gets the page); a client that prefers an
    RDF format gets a ``303 See Other`` to ``/dataset`` (its own IRI, negotiated again), or to
    the chosen representation when ``?format=`` named one; both say ``Vary: Accept``.
    """
    fmt = requested_format(offers=(HTML, *RDF_FORMATS))
    if isinstance(fmt, Response):
        fmt.vary.add("Accept")
        return fmt
    if fmt == HTML:
        return None
    suffix = fmt.suffix if "format" in request.args else None
    response = redirect(href("dataset", suffix), 303)
    response.vary.add("Accept")
    return response


def _not_modified(etag: str) -> Response | None:
    """A 304 when ``If-None-Match`` names ``etag``, also as the compressed variant's validator
    (``etag:gzip``, see ``delivery``)."""
    for tag in request.if_none_match.as_set():
        if tag == etag or tag.startswith(f"{etag}:"):
            response = Response(status=304)
            response.set_etag(tag)
            return response
    return None


def streamed(chunks: Iterator[bytes], fmt: Format, etag: str) -> Response:
    """A 200 whose body is sent as the store writes it (no length, no copy in memory), or a 304
    when the client has it (then the store is not read at all)."""
    if (response := _not_modified(etag)) is not None:
        return response
    response = Response(stream_with_context(chunks), content_type=fmt.content_type)
    response.set_etag(etag)
    return response


def sent_file(path: Path, fmt: Format, etag: str) -> Response:
    """A 200 with a file the build wrote, read in blocks as it is sent (its length known, byte
    ranges answered), or a 304 when the client has it."""
    if (response := _not_modified(etag)) is not None:
        return response
    response = send_file(path, mimetype=fmt.content_type, etag=etag, conditional=True)
    response.content_type = fmt.content_type
    del response.headers["Cache-Control"]  # the site's caching policy applies (``delivery``)
    if hasattr(response.response, "close"):  # closed even when compression replaces the body
        response.call_on_close(response.response.close)
    return response


#: How errors are written unless a part of the site says otherwise (``plain_text_errors``).
ERROR_OFFERS: tuple[Format, ...] = (TEXT, HTML)


def plain_text_errors() -> None:
    """This request's errors are plain text whatever it accepts (the SPARQL endpoint's clients
    are programs, and its editor shows the text)."""
    g.thbkg_error_offers = (TEXT,)


def error_response(status: int, message: str) -> Response:
    """An error in HTML for browsers and in plain text for everyone else."""
    offers = g.get("thbkg_error_offers", ERROR_OFFERS)
    fmt = negotiate(request.headers.get("Accept"), offers) or TEXT
    if fmt == HTML:
        lang = language()
        body = render_template(
            "error.html", status=status, message=message, lang=lang, t=translator(lang)
        )
    else:
        body = message.rstrip() + "\n"  # the status is in the status line
    response = Response(body, status=status, content_type=fmt.content_type)
    response.vary.add("Accept")
    return response


def open_to_scripts(response: Response) -> Response:
    """CORS on every response: the data and the endpoint are public, read-only and
    credential-free, so any web page's script may read them and query."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    asked = request.headers.get("Access-Control-Request-Headers")
    response.headers["Access-Control-Allow-Headers"] = asked or "Accept, Content-Type"
    response.headers["Access-Control-Expose-Headers"] = "Link, ETag, Content-Location"
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def init_app(app: Flask) -> None:
    """The one response policy: template defaults, every HTTP and domain error in the
    negotiated format (``error_response``), CORS on every response (``open_to_scripts``)."""

    app.after_request(open_to_scripts)

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
        response = error_response(exc.http_status, exc.message)
        retry_after = getattr(exc, "retry_after", None)  # an overloaded query service
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response
