"""Settings and content negotiation: the small pieces every shell relies on."""

from __future__ import annotations

import pytest

from publish import formats
from publish.config import Settings, from_environment
from publish.formats import (
    CSV,
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    RESOURCE_OFFERS,
    SPARQL_JSON,
    SPARQL_XML,
    TSV,
    TURTLE,
    negotiate,
)
from publish.graph import load_dataset
from publish.namespaces import DATA_GRAPH, INFERRED_GRAPH, ONTOLOGY_GRAPH

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


def test_environment_overrides_defaults() -> None:
    settings = from_environment({"THBKG_QUERY_TIMEOUT": "2.5", "THBKG_MAX_ROWS": "7"})
    assert settings.query_timeout == 2.5
    assert settings.max_rows == 7
    assert settings.max_body == Settings().max_body


def test_bad_environment_value_is_named() -> None:
    with pytest.raises(ValueError, match="THBKG_MAX_ROWS='many'"):
        from_environment({"THBKG_MAX_ROWS": "many"})


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_a_limit_that_would_stop_every_query_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match=f"THBKG_QUERY_TIMEOUT={value!r}: .* positive"):
        from_environment({"THBKG_QUERY_TIMEOUT": value})
    if value.lstrip("-").isdigit():
        with pytest.raises(ValueError, match="THBKG_MAX_ROWS=.* positive"):
            from_environment({"THBKG_MAX_ROWS": value})


def test_flags_override_environment() -> None:
    settings = from_environment({"THBKG_MAX_ROWS": "7"}).with_overrides(max_rows=9, max_body=None)
    assert settings.max_rows == 9
    assert settings.max_body == Settings().max_body


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, TURTLE),
        ("", TURTLE),
        ("*/*", TURTLE),
        (BROWSER, HTML),
        ("application/ld+json", JSONLD),
        ("application/json", JSONLD),
        ("text/turtle;q=0.5, application/rdf+xml", RDFXML),
        ("text/html;q=0.1, text/turtle;q=0.2", TURTLE),
        ("application/n-triples;q=0.9, */*;q=0.1", NTRIPLES),
        ("text/*", TURTLE),
        ("image/png", None),
        ("text/turtle;q=0", None),
        ("garbage;;;q=x", None),
        # Regression: any media-type parameter was a 406, even our own Content-Type's.
        ("text/turtle; charset=utf-8", TURTLE),
        ("text/turtle;charset=UTF-8;q=0.9, text/html;q=0.5", TURTLE),
        ("text/turtle; charset=iso-8859-1", None),
        ('application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"', JSONLD),
        (
            'application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded '
            'http://www.w3.org/ns/json-ld#compacted"',
            JSONLD,
        ),
        ('application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"', None),
        ("application/n-triples; version=1.1", NTRIPLES),  # an unknown parameter is ignored
        # Regression: an explicit refusal was overridden through an alias that */* matched.
        ("text/turtle;q=0, */*", JSONLD),
        ("text/turtle;q=0, application/ld+json;q=0, */*", NTRIPLES),
        ("text/turtle;q=0, application/x-turtle", None),
        ("application/ld+json;q=0, application/json", None),
        ("text/*;q=0, */*", JSONLD),
        ("text/*;q=0, text/turtle", TURTLE),  # the more specific range decides
        ("*/*;q=0.1, text/turtle;q=0.3, application/rdf+xml;q=0.3", TURTLE),
        ("application/xml", RDFXML),
        ("text/plain", NTRIPLES),
    ],
)
def test_negotiate(accept: str | None, expected: formats.Format | None) -> None:
    assert negotiate(accept, RESOURCE_OFFERS) == expected


SELECT_OFFERS = (SPARQL_JSON, SPARQL_XML, CSV, TSV)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/sparql-results+json; charset=utf-8", SPARQL_JSON),
        ("text/csv; header=present", CSV),
        ("text/csv; header=absent", None),
        ("text/csv; header=absent, text/tab-separated-values;q=0.5", TSV),
        ("application/xml", SPARQL_XML),
        ("text/xml", SPARQL_XML),
        ("text/plain", TSV),
        ("application/json", SPARQL_JSON),
        ("application/sparql-results+json;q=0, */*", SPARQL_XML),
        ("application/sparql-results+json;q=0, application/json", None),
    ],
)
def test_negotiate_results(accept: str, expected: formats.Format | None) -> None:
    assert formats.for_form("SELECT") == SELECT_OFFERS
    assert negotiate(accept, SELECT_OFFERS) == expected


def test_the_format_table_says_what_each_format_carries() -> None:
    assert formats.for_form("ASK") == (SPARQL_JSON, SPARQL_XML)
    assert formats.for_form("CONSTRUCT") == (TURTLE, JSONLD, NTRIPLES, RDFXML)
    assert formats.for_form("DESCRIBE") == formats.for_form("CONSTRUCT")
    assert TURTLE.w3c_iri == "http://www.w3.org/ns/formats/Turtle"
    assert TSV.w3c_iri == "http://www.w3.org/ns/formats/SPARQL_Results_TSV"
    assert HTML.w3c_iri is None
    assert formats.by_name("text/turtle; charset=utf-8") is TURTLE


def test_suffixes_and_names_find_formats() -> None:
    assert formats.by_suffix(".ttl") is TURTLE
    assert formats.by_suffix("jsonld") is JSONLD
    assert formats.by_suffix("exe") is None
    assert formats.by_name("text/turtle") is TURTLE
    assert formats.by_name("csv") is formats.CSV


def test_names_are_looked_up_within_the_offers() -> None:
    # Regression: ?format=json|xml on a resource meant SPARQL results, so it was a 406.
    assert formats.by_name("json") is formats.SPARQL_JSON
    assert formats.by_name("xml") is formats.SPARQL_XML
    assert formats.by_name("json", RESOURCE_OFFERS) is JSONLD
    assert formats.by_name("xml", RESOURCE_OFFERS) is formats.RDFXML
    assert formats.by_name("ttl", RESOURCE_OFFERS) is TURTLE
    assert formats.by_name("Turtle", RESOURCE_OFFERS) is TURTLE
    assert formats.by_name("application/json", RESOURCE_OFFERS) is JSONLD
    assert formats.by_name("csv", RESOURCE_OFFERS) is None


def test_dataset_has_the_three_named_graphs(settings: Settings) -> None:
    dataset = load_dataset(settings)
    assert len(dataset.graph(DATA_GRAPH)) > 300
    assert len(dataset.graph(ONTOLOGY_GRAPH)) > 100
    union = {t for t in dataset.triples((None, None, None))}
    assert set(dataset.graph(DATA_GRAPH)) <= union
    assert set(dataset.graph(INFERRED_GRAPH)) <= union


def test_short_names_an_iri_by_our_prefixes() -> None:
    from rdflib import URIRef

    from publish.namespaces import THB, short

    assert short(THB.Actor) == "thb:Actor"
    assert short(URIRef("http://example.org/x")) == "<http://example.org/x>"
    assert short(URIRef("http://example.org/x"), brackets=False) == "http://example.org/x"
