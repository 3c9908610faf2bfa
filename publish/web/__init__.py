"""The web app: ``create_app(settings)`` builds it the same way for tests and production."""

from __future__ import annotations

import threading

from flask import Flask

from ..build import Site, cached_store, open_built
from ..catalogue import Catalogue
from ..config import Settings, from_environment
from ..rdfio import load_graph
from .cache import ResponseCache
from .sparql import init_app as init_sparql


def create_app(settings: Settings | None = None, site: Site | None = None) -> Flask:
    """The Flask app over ``site`` (by default, the cached store of ``settings``' sources,
    built first when missing or stale).

    Every request reads through the site's store; only small, fixed-size things (the dataset
    description, the ontology and shapes documents) are prepared here, once.
    """
    from . import crawl, delivery, headers, listing, pages, resources, responses

    settings = settings or from_environment()
    site = site or open_built(cached_store(settings), settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    shapes = load_graph([settings.shapes])
    cat = Catalogue(site.store, site.stats, shapes, site.version, site.downloads)
    app.extensions["thbkg.catalogue"] = cat
    threading.Thread(target=cat.warm, name="thbkg-warm-pages", daemon=True).start()
    listing.init_app(app, site)
    responses.init_app(app)
    delivery.init_app(app, settings)
    headers.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(crawl.bp)
    init_sparql(app, settings, site)
    # Last: its catch-all route maps every other path onto a resource IRI.
    app.register_blueprint(resources.bp)
    if settings.response_cache:  # outermost: a hit enters neither Flask nor the proxy fix
        app.wsgi_app = ResponseCache(app.wsgi_app, settings.response_cache)  # type: ignore[method-assign]
    return app
