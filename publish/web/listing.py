"""The landing page's list: search, facets with counts, charts and exports, from the index.

Every state is a plain URL (``?q=&theme=&actor=&level=&year=&page=``, slugs as in our IRIs),
so a permalink reproduces it and nothing needs JavaScript. The same index answers the list, the
counts beside each facet value, the charts and the CSV/JSON exports, so their numbers agree.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from math import ceil
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, request

from .. import charts, export
from ..build import Site
from ..catalogue import PAGE_SIZE
from ..formats import CSV, CSVW_METADATA, HTML, JSON, LIST_FORMATS, Format, by_name, negotiate
from ..namespaces import BASE
from ..search import INDEX_DIR, build_index
from ..search_index import SearchIndex, Selection

MAX_QUERY = 500
_PREFIX = {"theme": "theme/", "actor": "actor/", "level": "level/"}


def init_app(app: Flask, site: Site) -> None:
    """Open the search index built with the site's store (or, for an external SPARQL
    endpoint, at start); a store in memory gets one built from it now, into a directory
    removed with the app."""
    directory = site.search
    if directory is None or not directory.is_dir():
        scratch = tempfile.mkdtemp(prefix="thbkg-search-")
        weakref.finalize(app, shutil.rmtree, scratch, ignore_errors=True)
        directory = Path(scratch) / INDEX_DIR
        build_index(site.store, directory)
    app.extensions["thbkg.search"] = SearchIndex(directory)
    app.register_blueprint(bp)


def search_index() -> SearchIndex:
    return current_app.extensions["thbkg.search"]


def selection() -> Selection:
    """The state the query string asks for; an unknown value is a 400 that names it."""
    index = search_index()
    args = request.args
    q = args.get("q", "").strip()
    if len(q) > MAX_QUERY:
        abort(400, f"q is at most {MAX_QUERY} characters, not {len(q)}")
    if "\x00" in q:
        abort(400, "q contains a NUL character")
    values: dict[str, object] = {"q": q}
    for facet, prefix in _PREFIX.items():
        slug = args.get(facet) or None
        if slug is None:
            continue
        iri = BASE + prefix + slug
        if not index.has(facet, iri):
            abort(400, f"unknown {facet} {slug[:80]!r}")
        values[facet] = iri
    year = args.get("year") or None
    if year is not None:
        if not (year.isascii() and year.isdigit() and len(year) <= 4):
            abort(400, f"year must be a year such as 2018, not {year[:40]!r}")
        if int(year) not in index.years():
            abort(400, f"no recommendation of year {int(year)}")
        values["year"] = int(year)
    return Selection(**values)  # type: ignore[arg-type]


def page_arg() -> int:
    """The ``?page=`` of a listing (1 when absent); a value that is no page number is a 400."""
    text = request.args.get("page") or "1"
    if not (text.isascii() and text.isdigit() and 0 < len(text) <= 6 and int(text) > 0):
        abort(400, f"page must be a page number such as 2, not {text[:40]!r}")
    return int(text)


def page_number(total: int) -> int:
    """The asked page of a list of ``total``; past the last page is a 404."""
    page = page_arg()
    last = max(1, ceil(total / PAGE_SIZE))
    if page > last:
        abort(404, f"page {page} is past the last page, {last}")
    return page


def wanted_table() -> Format | None:
    """CSV or JSON when ``?format=`` or ``Accept`` asks for the list as data, else None."""
    name = request.args.get("format")
    if name:
        fmt = by_name(name, LIST_FORMATS)
        if fmt is None:
            abort(400, f"format must be csv or json, not {name[:40]!r}")
        return fmt
    return CSV if negotiate(request.headers.get("Accept"), (HTML, CSV)) == CSV else None


def file_stem(sel: Selection) -> str:
    """A file name that says what the list holds: ``thbkg-recommendations-actor-police``."""
    parts = ["thbkg-recommendations"]
    for facet in ("theme", "actor", "level"):
        value = getattr(sel, facet)
        if value:
            parts.append(f"{facet}-{value.rpartition('/')[2]}")
    if sel.year:
        parts.append(str(sel.year))
    if sel.q:
        parts.append("search")
    return "-".join(parts)[:150]


def table_response(fmt: Format, sel: Selection, lang: str) -> Response:
    """The whole list of a state as CSV or JSON, streamed, with a file name."""
    index = search_index()

    def records() -> Iterator[dict[str, object]]:
        for hit in export.hits(index, sel):
            yield export.record(hit, lambda node: index.label(node, lang)[0])

    if fmt == JSON:
        about = {k: v for k, v in sel.__dict__.items() if v not in (None, "")}
        about["lang"] = lang
        body: Iterator[bytes] = export.json_chunks(records(), about)
    else:
        body = export.csv_chunks(records())
    response = Response(body, content_type=fmt.content_type)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{file_stem(sel)}.{fmt.suffix}"'
    )
    response.vary.update(("Accept", "Accept-Language"))
    return response


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet: its label (and the label's language), count, link, children."""

    node: object
    label: str
    label_lang: str
    count: int
    url: str
    selected: bool
    children: tuple[FacetValue, ...] = ()


Url = Callable[..., str]


def _value(
    node: object,
    count: int,
    sel: Selection,
    facet: str,
    lang: str,
    url: Url,
    children: tuple[FacetValue, ...] = (),
) -> FacetValue:
    index = search_index()
    if facet == "year":
        text, text_lang, slug = str(node), lang, node
    else:
        text, text_lang = index.label(str(node), lang)
        slug = str(node).rpartition("/")[2]
    chosen = getattr(sel, facet) == node
    return FacetValue(
        node,
        text,
        text_lang,
        count,
        url(**{facet: None if chosen else slug, "page": None}),
        chosen,
        children,
    )


def _tree(
    facet: str,
    sel: Selection,
    counts: dict[object, int],
    lang: str,
    url: Url,
    parent: object = None,
) -> tuple[FacetValue, ...]:
    """The values of a hierarchical facet with a count (or chosen), nested as in the graph."""
    index = search_index()
    values = []
    for node in index.tree(facet).get(parent, []):
        if counts.get(node, 0) or getattr(sel, facet) == node:
            below = _tree(facet, sel, counts, lang, url, node)
            values.append(_value(node, counts.get(node, 0), sel, facet, lang, url, below))
    return tuple(sorted(values, key=lambda v: (-v.count, v.label.casefold())))


def facets(sel: Selection, lang: str, url: Url) -> dict[str, tuple[FacetValue, ...]]:
    """Every facet's values with the count each would give, for the landing page."""
    counts = search_index().facets(sel)
    flat = {
        facet: tuple(
            sorted(
                (_value(n, c, sel, facet, lang, url) for n, c in counts[facet].items()),
                key=lambda v: v.label if facet == "year" else v.label.casefold(),
            )
        )
        for facet in ("level", "year")
    }
    return {
        "theme": _tree("theme", sel, counts["theme"], lang, url),
        "actor": _tree("actor", sel, counts["actor"], lang, url),
        **flat,
    }


@dataclass(frozen=True)
class Chart:
    """An SVG chart and the table of the same numbers (label, count, link)."""

    id: str
    title: str
    svg: object
    rows: tuple[tuple, ...]  # (label, count, link[, depth in the hierarchy])


def chart_set(
    sel: Selection,
    lang: str,
    t: Callable[[str], str],
    link: Callable[[str], str],
    root: str | None = None,
    max_depth: int = 3,
) -> list[Chart]:
    """The charts of a selection: per addressee (by name; with sub-organisations), per theme,
    per level, and the actor hierarchy (below ``root`` on an actor's page)."""
    index = search_index()

    def rows(counts: dict[object, int], keep: Callable[[object], bool] = lambda n: True):
        found = [
            (index.label(str(n), lang)[0], c, link(str(n)))
            for n, c in counts.items()
            if c and keep(n)
        ]
        return tuple(sorted(found, key=lambda r: (-r[1], r[0].casefold()))[: charts.MAX_BARS])

    themes = index.tree("theme")
    sections = {n for parent, kids in themes.items() if parent is not None for n in kids}
    made = []
    for key, counts, keep in (
        ("by_name", index.addressed(sel), lambda n: True),
        ("with_parts", index.counts(sel, "actor"), lambda n: True),
        ("per_theme", index.counts(sel, "theme"), lambda n: n in sections or not sections),
        ("per_level", index.counts(sel, "level"), lambda n: True),
    ):
        shown = rows(counts, keep)
        if shown:
            title = t(f"chart_{key}")
            svg = charts.bars(title, tuple((label, count) for label, count, _ in shown))
            made.append(Chart(key, title, svg, shown))
    actor_counts = index.counts(sel, "actor")
    tree = index.tree("actor")
    walked: list[tuple[int, str, int, str]] = []

    def walk(node: str | None, depth: int) -> None:
        kids = [c for c in tree.get(node, []) if actor_counts.get(c)]
        named = sorted(((index.label(c, lang)[0], c) for c in kids), key=lambda x: x[0].casefold())
        for text, child in named:
            walked.append((depth, text, actor_counts[child], child))
            if depth + 1 < max_depth:
                walk(child, depth + 1)

    walk(root, 0)
    if walked:
        title = t("chart_hierarchy")
        svg = charts.tree(title, [(d, f"{text} ({n})") for d, text, n, _ in walked])
        table = tuple((text, n, link(node), d) for d, text, n, node in walked)
        made.append(Chart("hierarchy", title, svg, table))
    return made


bp = Blueprint("listing", __name__)


@bp.route("/" + export.TABLE_PATH, methods=["GET"])
def whole_table() -> Response:
    """Every recommendation as CSV, labels in French, described by its CSVW metadata."""
    index = search_index()
    records = (
        export.record(hit, lambda node: index.label(node, "fr")[0])
        for hit in export.hits(index, Selection())
    )
    body = export.csv_chunks(records, bom=False)
    response = Response(body, content_type=CSV.content_type)
    name = export.TABLE_PATH.rpartition("/")[2]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Link"] = (
        f'</{export.METADATA_PATH}>; rel="describedby"; type="{CSVW_METADATA.media_type}"'
    )
    return response


@bp.route("/" + export.METADATA_PATH, methods=["GET"])
def table_metadata() -> Response:
    """The W3C CSVW metadata of the whole table."""
    body = json.dumps(export.csvw_metadata(), ensure_ascii=False, indent=2) + "\n"
    return Response(body, content_type=CSVW_METADATA.content_type)


@bp.route("/charts.css", methods=["GET"])
def chart_styles() -> Response:
    """pygal's style sheet for the inline charts (no inline style under our CSP)."""
    return Response(charts.stylesheet(), content_type="text/css; charset=utf-8")
