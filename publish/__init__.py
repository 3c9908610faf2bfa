"""thbkg: the knowledge graph of Myria's recommendations, published as linked data."""

__version__ = "0.1.0"
