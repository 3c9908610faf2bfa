"""What crawlers read first: ``/robots.txt`` and ``/sitemap.xml`` (every page we publish).

URLs are built from the request (the public host and scheme behind a trusted proxy), as the
Sitemaps protocol wants them on the host that serves the sitemap.
"""

from __future__ import annotations

from functools import lru_cache
from xml.sax.saxutils import escape

from flask import Blueprint, Response, request

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


@bp.route("/sitemap.xml", methods=["GET"])
def sitemap() -> Response:
    """The landing page, the query editor and every resource that dereferences."""
    return conditional(_sitemap(catalogue(), request.url_root.rstrip("/")), formats.SITEMAP)


@lru_cache(maxsize=8)
def _sitemap(cat: Catalogue, root: str) -> str:
    """Written once per catalogue and public root: listing the paths scans the whole store."""
    paths = ["/", href("sparql"), *(href(p) for p in cat.paths())]
    urls = "".join(f"  <url><loc>{escape(root + p)}</loc></url>\n" for p in paths)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}</urlset>\n"
    )
