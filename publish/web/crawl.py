"""What crawlers read first: ``/robots.txt`` and ``/sitemap.xml`` (every page we publish).

URLs are built from the request (the public host and scheme behind a trusted proxy), as the
Sitemaps protocol wants them on the host that serves the sitemap.
"""

from __future__ import annotations

from functools import lru_cache
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, request

from .. import formats
from ..catalogue import Catalogue
from .responses import catalogue, conditional, href

bp = Blueprint("crawl", __name__)


@bp.route("/robots.txt", methods=["GET"])
def robots() -> Response:
    """Every page may be crawled; running queries (``/sparql?query=``) may not."""
    root = request.url_root.rstrip("/")
    body = f"User-agent: *\nAllow: /\nDisallow: /sparql?\n\nSitemap: {root}/sitemap.xml\n"
    return conditional(body, formats.TEXT)


#: URLs in one sitemap file, the Sitemaps protocol's limit; more make a sitemap index.
MAX_URLS = 50_000
_URLSET = '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
_INDEX = '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'


@bp.route("/sitemap.xml", methods=["GET"])
def sitemap() -> Response:
    """The landing page, the query editor and every resource that dereferences; beyond
    ``MAX_URLS`` of them, an index of ``/sitemap-N.xml`` files that list them in turn."""
    root = request.url_root.rstrip("/")
    return conditional(_sitemap(catalogue(), root, 0, MAX_URLS), formats.SITEMAP)


@bp.route("/sitemap-<int:part>.xml", methods=["GET"])
def sitemap_part(part: int) -> Response:
    """Part ``part`` (from 1) of a sitemap too long for one file."""
    cat, root = catalogue(), request.url_root.rstrip("/")
    if not 1 <= part <= _parts(cat, MAX_URLS):
        abort(404, f"there is no sitemap part {part}; /sitemap.xml lists the parts")
    return conditional(_sitemap(cat, root, part, MAX_URLS), formats.SITEMAP)


@lru_cache(maxsize=8)
def _paths(cat: Catalogue) -> tuple[str, ...]:
    """Listed once per catalogue: listing the paths scans the whole store."""
    return ("/", href("sparql"), *(href(p) for p in cat.paths()))


def _parts(cat: Catalogue, size: int) -> int:
    return -(-len(_paths(cat)) // size)


@lru_cache(maxsize=16)
def _sitemap(cat: Catalogue, root: str, part: int, size: int) -> str:
    """Part ``part`` of the sitemap (0: the whole, or the index of its parts)."""
    paths = _paths(cat)
    if part == 0 and len(paths) > size:
        entries = "".join(
            f"  <sitemap><loc>{escape(root)}/sitemap-{n}.xml</loc></sitemap>\n"
            for n in range(1, _parts(cat, size) + 1)
        )
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{_INDEX}\n{entries}</sitemapindex>\n'
    if part:
        paths = paths[(part - 1) * size : part * size]
    urls = "".join(f"  <url><loc>{escape(root + p)}</loc></url>\n" for p in paths)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{_URLSET}\n{urls}</urlset>\n'
