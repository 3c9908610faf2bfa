"""The web app: ``create_app(settings)`` builds it the same way for tests and production."""

from __future__ import annotations

from flask import Flask

from ..catalogue import Catalogue
from ..config import Settings, from_environment
from ..graph import KnowledgeGraph
from .sparql import init_app as init_sparql


def create_app(settings: Settings | None = None, knowledge: KnowledgeGraph | None = None) -> Flask:
    """The Flask app over ``knowledge`` (loaded and validated from ``settings`` when omitted).

    Everything a request needs (descriptions, labels, the dataset description) is indexed here,
    once, so no request waits for a file or a reasoner.
    """
    from . import crawl, delivery, pages, resources, responses

    settings = settings or from_environment()
    knowledge = knowledge or KnowledgeGraph.load(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["thbkg.catalogue"] = Catalogue(knowledge)
    responses.init_app(app)
    delivery.init_app(app, settings)
    app.register_blueprint(pages.bp)
    app.register_blueprint(crawl.bp)
    init_sparql(app, settings, knowledge)
    # Last: its catch-all route maps every other path onto a resource IRI.
    app.register_blueprint(resources.bp)
    return app
