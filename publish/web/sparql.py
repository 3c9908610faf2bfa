"""``/sparql``: the SPARQL 1.1 Protocol for queries, a Service Description, CORS, the editor page.

A thin shell over ``publish.sparql``: read the protocol's parameters, hand the query, the
dataset and the client's format wishes to the query service (whose worker parses, guards,
negotiates, evaluates and renders within one deadline), and send the bytes. Every error
answered on ``/sparql`` (and below it) is a plain-text message with the CORS headers: a client
mistake is a 4xx, a query stopped by a limit a 503 (429 for a client over its share).
"""

from __future__ import annotations

import atexit
import json
from urllib.parse import urlencode

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

#: What a result page asks the query service for: SPARQL JSON, or Turtle for a graph.
_FOR_A_PAGE = f"{formats.SPARQL_JSON.media_type}, {formats.TURTLE.media_type};q=0.9"

bp = Blueprint("sparql", __name__)


def init_app(app: Flask, settings: Settings, site: Site) -> None:
    """Start the query workers over the site's store (or its endpoint) and read the stored
    queries, once, at start-up; register ``/sparql``."""
    service = SparqlService.over_site(site, settings)
    atexit.register(service.close)
    app.extensions["thbkg.sparql"] = service
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
    # ``format=`` (a name, suffix or media type) overrides Accept when the query form can take
    # it; the worker decides, since only it knows the form. Clients such as SPARQLWrapper also
    # send names we do not use: those fall back to Accept.
    # A person following a link (a browser preferring HTML to every result format) gets the
    # result as a page: asked of the service as SPARQL JSON, or Turtle for a graph.
    page = (
        "format" not in params
        and formats.negotiate(
            request.headers.get("Accept"),
            (*formats.RESULT_FORMATS, *formats.RDF_FORMATS, formats.HTML),
        )
        == formats.HTML
    )
    output, body = service().answer(
        queries[0],
        tuple(params.getlist("default-graph-uri")),
        tuple(params.getlist("named-graph-uri")),
        accept=_FOR_A_PAGE if page else request.headers.get("Accept"),
        format_override=None if page else params.get("format"),
        client=request.remote_addr,
    )
    if page:
        html = _results_page(queries[0], output, body)
        return Response(html, 200, content_type=formats.HTML.content_type)
    return Response(body, 200, content_type=formats.by_name(output).content_type)


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


def _page_words() -> dict[str, object]:
    """What base.html needs for a translated page with a language switch."""
    from .i18n import LANGUAGES, language
    from .pages import View
    from .responses import catalogue

    lang = language()
    view = View(catalogue(), lang)
    return {"v": view, "t": view.t, "lang": lang, "languages": LANGUAGES}


def _results_page(text: str, output: str, body: bytes) -> str:
    """A query's result as a page, for a person following a link without JavaScript."""
    words = _page_words()
    table: list[list[dict[str, str | None]]] = []
    variables: list[str] = []
    boolean = graph = None
    form = "CONSTRUCT"
    if output == formats.SPARQL_JSON.name:
        doc = json.loads(body)
        if "boolean" in doc:
            form, boolean = "ASK", doc["boolean"]
        else:
            form, variables = "SELECT", doc["head"]["vars"]
            view = words["v"]
            for binding in doc["results"]["bindings"]:
                row = []
                for var in variables:
                    cell = binding.get(var)
                    if cell is None:
                        row.append({"text": "", "href": None})
                    elif cell["type"] == "uri":
                        row.append({"text": cell["value"], "href": view.href_of(cell["value"])})
                    else:
                        row.append(
                            {"text": cell["value"], "href": None, "lang": cell.get("xml:lang")}
                        )
                table.append(row)
    else:
        graph = body.decode("utf-8")
    offers = formats.for_form(form)
    query_url = request.base_url + "?" + urlencode({"query": text})
    return render_template(
        "sparql_results.html",
        **words,
        query=text,
        form=form,
        variables=variables,
        table=table,
        boolean=boolean,
        graph=graph,
        downloads=[(f, f"{query_url}&{urlencode({'format': f.name})}") for f in offers],
    )


def editor_page() -> str:
    """YASGUI over this endpoint, our prefixes filled in, every stored query one click away."""
    settings = service().settings
    return render_template(
        "sparql.html",
        **_page_words(),
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
        f"{core.settings.max_rows} rows; engine: {core.engine}."
    )
    counts = core.statistics()
    graph.add((node, DCTERMS.description, Literal(limits, lang="en")))
    dataset, default = BNode(), BNode()
    graph.add((node, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, DCTERMS.description, Literal("The union of the named graphs.", lang="en")))
    graph.add((default, VOID.triples, Literal(counts[""])))
    for iri in sorted(URIRef(k) for k in counts if k):
        named, described = BNode(), BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, iri))
        graph.add((named, SD.graph, described))
        graph.add((described, RDF.type, SD.Graph))
        graph.add((described, VOID.triples, Literal(counts[str(iri)])))
    return graph
