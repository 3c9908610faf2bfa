"""HTML for people: the landing page with its filters, and a page per resource.

Pages show labels in the asked language (``?lang=``, else ``Accept-Language``), never raw IRIs
for linked resources; Jinja2 escapes every value. No page needs JavaScript.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, SKOS

from ..annotations import tags
from ..catalogue import Catalogue
from ..describe import SPARQL_ENDPOINT
from ..formats import CSV, HTML, JSON, RDF_FORMATS, by_name
from ..namespaces import BASE, DATASET, THB
from . import docs, listing, schemaorg
from .i18n import LANGUAGES, language, translator
from .responses import catalogue, conditional, href, landing_alternative

bp = Blueprint("pages", __name__)

# The values of ?prop on ?node (a resource a page links to), in term order.
OBJECTS = "SELECT ?v WHERE { ?node ?prop ?v } ORDER BY ?v"

MATCH_PROPERTIES = (
    SKOS.exactMatch,
    SKOS.closeMatch,
    SKOS.broadMatch,
    SKOS.narrowMatch,
    SKOS.relatedMatch,
)


class View:
    """What templates need to show a node: its label, where it links to, how a value reads.

    Values come from ``described``, the small graph the store answered for this page (a
    resource's description, or the dataset description), never from the whole dataset."""

    def __init__(
        self,
        cat: Catalogue,
        lang: str,
        described: Graph | None = None,
        inferred: frozenset[tuple] = frozenset(),
    ) -> None:
        self.cat = cat
        self.lang = lang
        self.t = translator(lang)
        self.described = described if described is not None else Graph()
        self.inferred = inferred  # the statements of ``described`` that graph/inferred holds

    def label(self, node: object) -> str:
        """A label in the page language, so templates never show a raw IRI."""
        return self.cat.label(node, self.lang)

    def labels(self, node: object) -> dict[str, str]:
        """Every label of ``node`` by language tag."""
        return self.cat.labels(node)

    def href(self, node: object) -> str | None:
        """A local link for our resources (keeping the language), the IRI for others."""
        if isinstance(node, URIRef):
            text = str(node)
            if text.startswith(BASE):
                local, _, fragment = text[len(BASE) :].partition("#")
                query = f"?lang={self.lang}" if request.args.get("lang") else ""
                return href(local) + query + (f"#{fragment}" if fragment else "")
            return text
        return None

    def label_lang(self, node: object) -> str:
        """The language of ``node``'s label when it is not the page's (a fallback), else ''."""
        labels = self.cat.labels(node)
        if not labels or self.lang in labels:
            return ""
        label = self.label(node)
        return next((tag for tag, text in sorted(labels.items()) if text == label and tag), "")

    def href_of(self, iri: str) -> str | None:
        """``href`` of an IRI given as text (the search index keeps IRIs as text)."""
        return self.href(URIRef(iri))

    def name(self, iri: str) -> tuple[str, str]:
        """(label, its language) of an IRI given as text, from the search index."""
        return listing.search_index().label(iri, self.lang)

    def slug(self, node: object) -> str:
        """The last segment of one of our IRIs, as filter parameters take it."""
        return str(node).rpartition("/")[2]

    def value(self, node: object) -> dict[str, object]:
        """A value for a template: label and link for IRIs, text and language for literals."""
        if isinstance(node, Literal):
            return {"text": str(node), "lang": node.language, "datatype": node.datatype}
        if isinstance(node, BNode):
            return {"text": "", "blank": self.properties(node)}
        return {"text": self.label(node), "href": self.href(node), "iri": str(node)}

    def nodes(self, subject: object, prop: URIRef) -> list[object]:
        """The values of ``prop`` on ``subject`` in this page's description, sorted."""
        return sorted(self.described.objects(subject, prop))

    def values(self, subject: object, prop: URIRef) -> list[dict[str, object]]:
        """Every value of ``prop`` ready for a template, sorted so pages are stable."""
        return [self.value(o) for o in self.nodes(subject, prop)]

    def properties(
        self, subject: object
    ) -> list[tuple[dict[str, object], list[dict[str, object]]]]:
        """Every (property, values) of ``subject`` in this page's description, by label."""
        graph = self.described
        props = sorted(set(graph.predicates(subject)), key=self.label)
        return [
            (
                self.value(p),
                [self._marked(subject, p, o) for o in sorted(graph.objects(subject, p))],
            )
            for p in props
        ]

    def _marked(self, subject: object, prop: object, node: object) -> dict[str, object]:
        """A value, marked when the reasoner inferred the statement rather than the source."""
        item = self.value(node)
        if (subject, prop, node) in self.inferred:
            item["inferred"] = True
        return item

    def url(self, **changes: object) -> str:
        """This page's URL with some query parameters changed (None removes one)."""
        args = {k: v for k, v in request.args.items()}
        for key, value in changes.items():
            if value is None:
                args.pop(key, None)
            else:
                args[key] = str(value)
        return request.path + ("?" + urlencode(args) if args else "")


def _render(
    template: str,
    path: str | None,
    title: str,
    described: Graph | None = None,
    inferred: frozenset[tuple] = frozenset(),
    **context: object,
) -> str:
    cat = catalogue()
    lang = language()
    view = View(cat, lang, described, inferred)
    # The landing page's data is the dataset description (where ``/`` sends RDF clients).
    data_path = "dataset" if path is None else path
    formats = [(f, href(data_path, f.suffix)) for f in RDF_FORMATS]
    if data_path == "dataset":
        context["schema_org"] = schemaorg.dataset(cat.description, lang)
    return render_template(
        template,
        v=view,
        t=view.t,
        lang=lang,
        languages=LANGUAGES,
        title=title,
        path=path,
        iri=BASE + path if path is not None else None,
        canonical=BASE + path if path is not None else BASE,
        formats=formats,
        cat=cat,
        THB=THB,
        SKOS=SKOS,
        DCTERMS=DCTERMS,
        FOAF=FOAF,
        PROV=PROV,
        **context,
    )


@bp.route("/", methods=["GET"])
def index() -> Response:
    """The landing page: search, facets with counts, charts, the list; CSV or JSON on request."""
    sel = listing.selection()  # a bad parameter is a 400, whatever representation is asked
    listing.page_arg()
    asked = request.args.get("format")
    rdf = asked and not by_name(asked, listing.LIST_FORMATS) and by_name(asked, RDF_FORMATS)
    table = None if rdf else listing.wanted_table()
    if table is None and (elsewhere := landing_alternative()) is not None:
        return elsewhere
    cat = catalogue()
    lang = language()
    if table is not None:
        return listing.table_response(table, sel, lang)
    view = View(cat, lang)
    index = listing.search_index()
    total = index.count(sel)
    page = listing.page_number(total)
    hits = index.search(sel, limit=listing.PAGE_SIZE, offset=(page - 1) * listing.PAGE_SIZE)
    body = _render(
        "index.html",
        None,
        view.t("site"),
        hits=hits,
        total=total,
        page=page,
        pages=max(1, -(-total // listing.PAGE_SIZE)),
        sel=sel,
        facets=listing.facets(sel, lang, view.url),
        charts=listing.chart_set(sel, lang, view.t, view.href_of),
        filtered=sel != listing.Selection(),
        counts=cat.counts,
        stats=cat.stats,
        reports=cat.instances(THB.Report),
        downloads=cat.download_list(),
        table_path=listing.export.TABLE_PATH,
        sparql=href("sparql"),
    )
    response = conditional(body, HTML, vary=("Accept", "Accept-Language"))
    response.headers["Link"] = (
        f'<{BASE}>; rel="canonical", '
        '</dataset>; rel="describedby", </.well-known/void>; rel="describedby", '
        f'<{view.url(format="csv", page=None)}>; rel="alternate"; type="{CSV.media_type}", '
        f'<{view.url(format="json", page=None)}>; rel="alternate"; type="{JSON.media_type}"'
    )
    return response


def render_resource(path: str) -> str:
    """The HTML page of a resource the catalogue knows.

    Rendered once per catalogue, request path with its query, language and public root URL
    (what a page reads of the request): a running server's store does not change, and
    rendering is Python work that every other request would wait for."""
    return _rendered(catalogue(), path, request.full_path, language(), request.root_url)


@lru_cache(maxsize=1024)
def _rendered(cat: Catalogue, path: str, full_path: str, lang: str, root: str) -> str:
    kind = cat.kind(path)
    iri = cat.iri(path)
    title = cat.label(iri, lang)
    if kind in ("ontology", "shapes"):
        model = docs.ontology(cat, lang) if kind == "ontology" else docs.shapes(cat, lang)
        return _render(f"{kind}.html", path, title, doc=model)
    if kind == "dataset":
        return _render(
            "dataset.html",
            path,
            title,
            cat.description,
            node=DATASET,
            stats=cat.stats,
            downloads=cat.download_list(),
            sparql=SPARQL_ENDPOINT,
        )
    if kind == "graph":
        return _render(
            "graph.html",
            path,
            path,
            size=cat.stats.graphs.get(iri, 0),
            subjects=cat.subjects_in(iri),
        )
    described = cat.describe(iri)
    context: dict[str, object] = {"node": iri}
    page = listing.page_arg()
    if kind == "recommendation":
        context["qualified"] = _qualifications(described, iri)
        context["mention_matches"] = {
            m: _objects(cat, m, SKOS.exactMatch) for m in described.objects(iri, THB.mentions)
        }
        context["tags"] = tags(cat.store.select, iri)
    elif kind == "actor":
        context["ancestors"] = cat.ancestors(iri)
        context["children"] = cat.subjects(ORG.subOrganizationOf, iri)
        context["listing"] = cat.recommendations(actor=iri, page=page)
        context["charts"] = _charts(listing.Selection(actor=str(iri)), lang, root=str(iri))
    elif kind == "theme":
        context["narrower"] = cat.subjects(SKOS.broader, iri)
        context["listing"] = cat.recommendations(theme=iri, page=page)
        context["charts"] = _charts(listing.Selection(theme=str(iri)), lang)
        context["matches"] = [
            (p, o) for p in MATCH_PROPERTIES for o in sorted(described.objects(iri, p))
        ]
    elif kind == "report":
        context["listing"] = cat.recommendations(report=iri, page=page)
    elif kind == "scheme":
        context["concepts"] = sorted(
            set(cat.subjects(SKOS.inScheme, iri)) | set(described.objects(iri, SKOS.hasTopConcept))
        )
    if "listing" in context:
        context["rows"] = context["listing"].rows  # type: ignore[attr-defined]
    context["incoming"] = _incoming(cat, iri)
    inferred = cat.inferred_part(iri, described)
    return _render(f"{kind}.html", path, title, described, inferred, **context)


def _charts(sel: listing.Selection, lang: str, root: str | None = None) -> list[listing.Chart]:
    """The charts of an actor's or a theme's recommendations, as on the landing page."""
    view = View(catalogue(), lang)
    return listing.chart_set(sel, lang, view.t, view.href_of, root=root)


def _incoming(cat: Catalogue, iri: URIRef) -> list[tuple[URIRef, list[URIRef]]]:
    """Each resource that links to ``iri`` once, with every property it links by (a
    recommendation both addressed to and concerning an actor was listed twice)."""
    found: dict[URIRef, set[URIRef]] = {}
    for subject, prop in cat.incoming(iri):
        found.setdefault(subject, set()).add(prop)
    return [(s, sorted(props)) for s, props in sorted(found.items())]


def _objects(cat: Catalogue, node: URIRef, prop: URIRef) -> list[URIRef]:
    """The values of ``prop`` on a linked resource (outside this page's description)."""
    return [row["v"] for row in cat.store.select(OBJECTS, node=node, prop=prop)]


def _qualifications(described: Graph, iri: URIRef) -> dict[URIRef, list[str]]:
    """Qualifiers by actor, from the recommendation's qualified addressings."""
    found: dict[URIRef, list[str]] = {}
    for node in described.objects(iri, THB.qualifiedAddressing):
        actor = described.value(node, THB.actor)
        for qualifier in described.objects(node, THB.qualifier):
            found.setdefault(actor, []).append(str(qualifier))
    return found
