"""``/sparql``: the SPARQL 1.1 Protocol for queries, a Service Description, CORS, the editor page.

A thin shell over ``publish.sparql``: read the protocol's parameters, prepare the query (parse
and guard), negotiate a format among those the query form allows, run it to completion in the
core, and send bytes. Every error answered on ``/sparql`` (and below it) is a plain-text
message with the CORS headers: a client mistake is a 4xx, a query past the limit a 503.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, render_template, request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, VOID
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from .. import formats
from ..build import Site
from ..config import Settings
from ..errors import NotAcceptable, QueryError, TooLarge, UnsupportedMediaType
from ..namespaces import ENTAILMENT, SD, W3C_FORMATS, bind_prefixes, sparql_prologue
from ..queries import load_queries
from ..sparql import SparqlService
from .responses import plain_text_errors

_READ_ONLY = "this endpoint is read-only: SPARQL Update operations are refused"

bp = Blueprint("sparql", __name__)


def init_app(app: Flask, settings: Settings, site: Site) -> None:
    """Open the query engine over the site's store and load the stored queries, once, at
    start-up; register ``/sparql``."""
    app.extensions["thbkg.sparql"] = SparqlService.over_store(site.store, site.stats, settings)
    app.extensions["thbkg.queries"] = load_queries(settings.queries)
    app.register_blueprint(bp)


def service() -> SparqlService:
    """The SparqlService of the current app."""
    return current_app.extensions["thbkg.sparql"]


@bp.before_request
def _plain_text_errors() -> None:
    plain_text_errors()


@bp.before_app_request
def _outside_the_views() -> None:
    """Errors on /sparql that no view of ours raises, answered as ours are (plain text).

    A method we do not route (PUT, DELETE ...) fails in routing, before any blueprint is
    chosen, and a path below ``/sparql/`` falls through to the resource route; both would get
    the site's error page (HTML for a browser).
    """
    path = request.path
    if path in ("/sparql", "/sparql/"):
        exc = request.routing_exception
    elif path.startswith("/sparql/"):
        exc = NotFound(f"{path} is not part of the SPARQL endpoint; send queries to /sparql")
    else:
        return
    if isinstance(exc, MethodNotAllowed):
        exc = MethodNotAllowed(
            exc.valid_methods,
            f"{path} answers GET and POST (and OPTIONS for CORS), not {request.method}; "
            "this endpoint is read-only",
        )
    if isinstance(exc, HTTPException) and (exc.code or 0) >= 400:
        plain_text_errors()
        raise exc


@bp.after_request
def _negotiated(response: Response) -> Response:
    """Every answer of the endpoint depends on ``Accept``."""
    response.vary.add("Accept")
    return response


def _parameters() -> MultiDict[str, str]:
    """The protocol's parameters: from the URL, plus the body of a form POST."""
    params = MultiDict(request.args)
    if request.method != "POST":
        return params
    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower().replace("_", "-")
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"the request body must be UTF-8, not {charset}")
    limit = service().settings.max_body
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"the request body is larger than {limit} bytes, the configured limit")
    if mimetype == formats.FORM_BODY:
        for key, values in request.form.lists():
            params.setlist(key, params.getlist(key) + values)
    elif mimetype == formats.SPARQL_QUERY_BODY:
        try:
            body = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnsupportedMediaType(f"the query is not valid UTF-8: {exc}") from None
        params.setlist("query", [*params.getlist("query"), body])
    elif mimetype == formats.SPARQL_UPDATE_BODY:
        raise QueryError(_READ_ONLY)
    else:
        raise UnsupportedMediaType(
            f"POST a query as {formats.FORM_BODY} (query=...) or as {formats.SPARQL_QUERY_BODY}, "
            f"not as {mimetype or 'a body without Content-Type'}"
        )
    return params


@bp.route("/sparql", methods=["GET", "POST"])
@bp.route("/sparql/", methods=["GET", "POST"])
def endpoint() -> Response:
    """SPARQL 1.1 Protocol query operation; without a query, the description or the editor."""
    params = _parameters()
    if "update" in params:
        raise QueryError(_READ_ONLY)
    queries = params.getlist("query")
    if len(queries) > 1:
        raise QueryError("send exactly one query parameter")
    if not queries:
        if request.method == "POST":
            raise QueryError(
                f"no query: send the query parameter or an {formats.SPARQL_QUERY_BODY} body"
            )
        return _describe_or_edit()
    core = service()
    prepared = core.prepare(
        queries[0],
        tuple(params.getlist("default-graph-uri")),
        tuple(params.getlist("named-graph-uri")),
    )
    chosen = _choose(prepared.offers, params.get("format"))
    body = core.run(prepared, chosen.name)
    return Response(body, 200, content_type=chosen.content_type)


def _choose(offers: tuple[formats.Format, ...], override: str | None) -> formats.Format:
    """``format=`` (a name, suffix or media type) overrides ``Accept`` when it names a format
    this query form can take; clients such as SPARQLWrapper also send names we do not use."""
    wanted = formats.by_name(override) if override else None
    if wanted in offers:
        return wanted
    return _negotiate(offers)


def _negotiate(offers: tuple[formats.Format, ...]) -> formats.Format:
    """The best of ``offers`` for the request's ``Accept``; NotAcceptable (406) when none is."""
    accept = request.headers.get("Accept")
    chosen = formats.negotiate(accept, offers)
    if chosen is None:
        raise NotAcceptable(
            f"cannot answer Accept: {accept}; this query's result is available as "
            + ", ".join(f.media_type for f in offers)
        )
    return chosen


def _describe_or_edit() -> Response:
    chosen = _negotiate(formats.RESOURCE_OFFERS)
    if chosen == formats.HTML:
        return Response(editor_page(), 200, content_type=formats.HTML.content_type)
    graph = service_description(request.url_root.rstrip("/") + "/sparql")
    body = graph.serialize(format=chosen.rdflib, encoding="utf-8")
    return Response(body, 200, content_type=chosen.content_type)


def editor_page() -> str:
    """YASGUI over this endpoint, our prefixes filled in, every stored query one click away."""
    settings = service().settings
    return render_template(
        "sparql.html",
        prologue=sparql_prologue(),
        queries=current_app.extensions["thbkg.queries"],
        endpoint=request.url_root.rstrip("/") + "/sparql",
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
    )


def service_description(endpoint_iri: str) -> Graph:
    """A SPARQL 1.1 Service Description: language, result formats, features, dataset, limits."""
    core = service()
    graph = bind_prefixes(Graph())
    graph.bind("sd", SD)
    graph.bind("formats", W3C_FORMATS)
    node = URIRef(endpoint_iri)
    graph.add((node, RDF.type, SD.Service))
    graph.add((node, SD.endpoint, node))
    graph.add((node, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((node, SD.feature, SD.UnionDefaultGraph))
    graph.add((node, SD.defaultEntailmentRegime, ENTAILMENT.Simple))
    for fmt in formats.ALL_FORMATS:
        if fmt.forms and fmt.w3c_iri:
            graph.add((node, SD.resultFormat, URIRef(fmt.w3c_iri)))
    limits = (
        f"Read-only; SERVICE is refused and FROM selects only this dataset's graphs; "
        f"queries stop after {core.settings.query_timeout:g} s and return at most "
        f"{core.settings.max_rows} rows; engine: {core.engine.name}."
    )
    graph.add((node, DCTERMS.description, Literal(limits, lang="en")))
    dataset, default = BNode(), BNode()
    graph.add((node, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, DCTERMS.description, Literal("The union of the named graphs.", lang="en")))
    graph.add((default, VOID.triples, Literal(core.union_size)))
    for iri in sorted(core.known):
        named, described = BNode(), BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, iri))
        graph.add((named, SD.graph, described))
        graph.add((described, RDF.type, SD.Graph))
        graph.add((described, VOID.triples, Literal(core.sizes[iri])))
    return graph
