"""Dereferencing: a request path names the resource with that path under the base IRI.

The representation is picked, in this order, by ``?format=``, by a suffix (``.ttl``, ``.jsonld``,
``.nt``, ``.rdf``, ``.html``), then by ``Accept`` (see ``formats.RESOURCE_OFFERS``). Also here:
the downloads of the whole graph, the JSON-LD context, and ``/.well-known/void``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, request

from ..describe import DOWNLOAD_FORMATS, download_name
from ..formats import HTML, JSONLD, RESOURCE_OFFERS, Format, by_suffix
from ..namespaces import BASE
from . import pages
from .responses import (
    MAX_PATH,
    alternates,
    catalogue,
    conditional,
    error_response,
    href,
    requested_format,
    sent_file,
    streamed,
)

bp = Blueprint("resources", __name__)


def _split_suffix(path: str) -> tuple[str, Format | None]:
    """``recommendation/2018-32.ttl`` -> (``recommendation/2018-32``, Turtle) when both exist."""
    stem, dot, suffix = path.rpartition(".")
    if not dot or "/" in suffix:
        return path, None
    fmt = by_suffix(suffix)
    if fmt in RESOURCE_OFFERS and catalogue().iri(stem) is not None:
        return stem, fmt
    return path, None


def serve_resource(path: str) -> Response:
    """Answer for one resource path, with or without a format suffix."""
    if len(path) > MAX_PATH:
        return error_response(414, f"the path is longer than {MAX_PATH} characters")
    path, explicit = _split_suffix(path)
    iri = catalogue().iri(path)
    if iri is None:
        return error_response(404, f"no resource {BASE}{path}")
    fmt = requested_format(explicit)
    if isinstance(fmt, Response):
        return fmt
    negotiated = explicit is None and "format" not in request.args
    if fmt == HTML:
        body: bytes | str = pages.render_resource(path)
        response = conditional(body, fmt, vary=("Accept", "Accept-Language"))
    elif catalogue().is_graph(path):  # a whole named graph: streamed from the store
        response = streamed(catalogue().stream(fmt, iri), fmt, catalogue().etag(f"{path} {fmt}"))
        if negotiated:
            response.vary.add("Accept")
    else:
        body = catalogue().representation(path, fmt)
        response = conditional(body, fmt, vary=("Accept",) if negotiated else ())
    if negotiated:
        response.headers["Content-Location"] = href(path, fmt.suffix)
    response.headers["Link"] = alternates(path, str(iri))
    return response


@bp.route("/<path:path>", methods=["GET"])
def resource(path: str) -> Response:
    """The catch-all: any other path is a resource under the base IRI (Cool URIs).

    ``recommendation/2018-32/`` is a common way to mistype an IRI: it redirects (301) to the
    resource without the slash rather than answering 404.
    """
    stem = path.rstrip("/")
    if stem != path and stem and len(path) <= MAX_PATH and catalogue().iri(stem) is not None:
        query = request.query_string.decode("latin-1")
        return redirect(href(stem) + (f"?{query}" if query else ""), 301)
    return serve_resource(path)


@bp.route("/.well-known/void", methods=["GET"])
def well_known_void() -> Response:
    """The VoID description (RFC 5785 well-known location): the dataset description itself."""
    return serve_resource("dataset")


@bp.route("/context.jsonld", methods=["GET"])
def jsonld_context() -> Response:
    """The published JSON-LD context that gives our terms plain-JSON names."""
    return conditional(catalogue().context_document, JSONLD)


@bp.route("/download/<name>", methods=["GET"])
def download(name: str) -> Response:
    """The whole graph in one format, as a file to save."""
    for fmt in DOWNLOAD_FORMATS:
        if download_name(fmt) == name:
            etag, file = catalogue().etag(name), catalogue().download_file(fmt)
            if file is not None:
                response = sent_file(file, fmt, etag)
            else:  # an external store: serialized as it is read
                response = streamed(catalogue().stream(fmt), fmt, etag)
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    abort(404, f"no download {name!r}")
