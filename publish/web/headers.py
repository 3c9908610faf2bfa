"""Security headers, set once on every response the app sends (pages, RDF, SPARQL, errors).

The policy allows only this origin's own scripts, styles, images and fetches: no inline script
or style (the editor page keeps its settings in data attributes and its code in
``static/editor.js``), no plugin, no framing by another site, no ``<base>`` rewriting.
"""

from __future__ import annotations

from flask import Flask, Response

#: The two ``<style>`` elements YASGUI's result table (its column resizer) adds, allowed by
#: their hashes: the table's layout, and the cursor while a column is dragged. A test
#: recomputes them from the shipped ``yasgui.min.js``, so an upgrade that changes them fails.
YASGUI_STYLE_HASHES = (
    "sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk=",
    "sha256-c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg=",
)

#: ``Content-Security-Policy`` of every response; ``data:`` images are YASGUI's icons.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' " + " ".join(f"'{h}'" for h in YASGUI_STYLE_HASHES),
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def init_app(app: Flask) -> None:
    """Add the security headers to every response, errors included."""

    @app.after_request
    def _secure(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
