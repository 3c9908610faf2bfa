"""Load the dataset once: the data, ontology and inferred graphs, as named graphs of one Dataset."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from rdflib import Dataset, Graph

from .config import Settings
from .errors import ValidationFailed
from .namespaces import DATA_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH, bind_prefixes
from .rdfio import load_graph, parse_into
from .validate import validate_graph


def load_dataset(settings: Settings) -> Dataset:
    """The published dataset: data, ontology and (when present) inferred graphs, union default."""
    dataset = bind_prefixes(Dataset(default_union=True))
    for path in settings.data:
        parse_into(dataset.graph(DATA_GRAPH), path)
    parse_into(dataset.graph(ONTOLOGY_GRAPH), settings.ontology)
    inferred = dataset.graph(INFERRED_GRAPH)
    for path in settings.inferred:
        if Path(path).is_file():
            parse_into(inferred, path)
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
                knowledge.graph(DATA_GRAPH),
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
        """One named graph (``DATA_GRAPH``, ``ONTOLOGY_GRAPH``, ``INFERRED_GRAPH``)."""
        return self.dataset.graph(iri)
