"""The web app: ``create_app(settings)`` builds it the same way for tests and production."""

from __future__ import annotations

from flask import Flask

from ..config import Settings, from_environment
from ..graph import KnowledgeGraph
from .sparql import init_app as init_sparql


def create_app(settings: Settings | None = None, knowledge: KnowledgeGraph | None = None) -> Flask:
    """The Flask app over ``knowledge`` (loaded and validated from ``settings`` when omitted)."""
    settings = settings or from_environment()
    knowledge = knowledge or KnowledgeGraph.load(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.extensions["thbkg"] = knowledge
    init_sparql(app, settings, knowledge)
    return app


def knowledge_of(app: Flask) -> KnowledgeGraph:
    """The KnowledgeGraph an app serves."""
    return app.extensions["thbkg"]
