"""How responses travel: through reverse proxies, through caches, compressed.

Behind ``settings.proxy_hops`` trusted proxies, werkzeug's ProxyFix takes the client's scheme,
host, port and path prefix from ``X-Forwarded-*`` (only that many hops are believed, so a client
cannot forge them past the proxy); every URL we build (the Service Description, the sitemap,
redirects) then says ``https://`` and the public host. Every successful GET carries an ETag and
``Cache-Control: public, max-age``; errors are not stored. Large textual responses are compressed
(flask-compress, by ``Accept-Encoding``), the ETag marked per encoding.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_compress import Compress
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import formats
from ..config import Settings

#: Responses smaller than this are sent as they are: compressing them gains nothing.
COMPRESS_MIN_SIZE = 1024
_COMPRESSIBLE = sorted(
    {
        media_type
        for f in (*formats.ALL_FORMATS, formats.SITEMAP, formats.STYLESHEET, formats.SCRIPT)
        for media_type in (f.media_type, *f.aliases)
    }
)


def init_app(app: Flask, settings: Settings) -> None:
    """Trust ``settings.proxy_hops`` proxies; add caching headers; compress what is worth it."""
    hops = settings.proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    app.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_ALGORITHM_STREAMING=["br", "gzip"],  # downloads are sent in blocks
        COMPRESS_MIMETYPES=_COMPRESSIBLE,
        COMPRESS_MIN_SIZE=COMPRESS_MIN_SIZE,
        COMPRESS_STREAMS=True,
    )
    Compress(app)

    # Registered after Compress, so it runs before it: the ETag exists when the body is encoded.
    @app.after_request
    def _cacheable(response: Response) -> Response:
        """Cache-Control and ETag on what a GET successfully returns; errors are not stored."""
        if request.method not in ("GET", "HEAD") or "Cache-Control" in response.headers:
            return response
        if response.status_code >= 400:
            response.cache_control.no_store = True
            return response
        response.cache_control.public = True
        response.cache_control.max_age = settings.cache_max_age
        if response.status_code == 200 and not response.is_streamed:
            if response.get_etag()[0] is None:
                response.add_etag()
            response.make_conditional(request)
        return response
