"""Load the dataset once: the data, ontology and inferred graphs, as named graphs of one Dataset."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from rdflib import Dataset, Graph

from .config import Settings
from .errors import ValidationFailed
from .namespaces import (
    ANNOTATIONS_GRAPH,
    DATA_GRAPH,
    INFERRED_GRAPH,
    LINKS_GRAPH,
    ONTOLOGY_GRAPH,
    bind_prefixes,
    graph_iri,
)
from .rdfio import load_graph, parse_into
from .validate import validate_graph

# Generated graphs (by `thbkg reason`, `thbkg links`): a missing file is an empty graph.
_GENERATED = {INFERRED_GRAPH, LINKS_GRAPH}


def load_dataset(settings: Settings) -> Dataset:
    """The published dataset: every named graph of ``settings.graph_sources()``, union default;
    the generated ones (inferred, links) only when their files are there."""
    dataset = bind_prefixes(Dataset(default_union=True))
    for name, paths in settings.graph_sources().items():
        graph = dataset.graph(graph_iri(name))
        for path in paths:
            if name not in _GENERATED or Path(path).is_file():
                parse_into(graph, path)
    return dataset


class KnowledgeGraph:
    """The published graph, loaded and checked once; the CLI and the web app share it."""

    def __init__(self, settings: Settings, dataset: Dataset) -> None:
        self.settings = settings
        self.dataset = dataset

    @cached_property
    def shapes(self) -> Graph:
        """The SHACL shapes, parsed once: validation and the documentation pages share them."""
        return load_graph([self.settings.shapes])

    @classmethod
    def load(cls, settings: Settings, *, validate: bool = True) -> KnowledgeGraph:
        """Load every graph; with ``validate``, refuse a data graph that breaks the shapes."""
        knowledge = cls(settings, load_dataset(settings))
        if validate:
            report = validate_graph(
                knowledge.graph(DATA_GRAPH) + knowledge.graph(ANNOTATIONS_GRAPH),
                settings,
                shapes=knowledge.shapes,
                ontology=knowledge.graph(ONTOLOGY_GRAPH),
            )
            if not report.conforms:
                raise ValidationFailed(
                    f"the data does not conform to the shapes:\n{report.text()}", report
                )
        return knowledge

    def graph(self, iri: object) -> Graph:
        """One named graph (``DATA_GRAPH``, ``ONTOLOGY_GRAPH``, ``ANNOTATIONS_GRAPH`` ...)."""
        return self.dataset.graph(iri)
