"""graph/links: the labels of the external concepts our graphs link to, from the verified lists.

EuroVoc's English preferred labels come from the ``eurovoc`` package (EuroVoc's own list by
identifier); the EU country and language tables' codes are ISO 3166-1 alpha-3 and ISO 639-2/T,
whose names pycountry carries in English, French and Dutch. An identifier a list does not hold
stops the build: a link we cannot verify is not published. ELI acts get no title, as no
verified list of act titles is at hand; they get the name their ELI spells out under EUR-Lex's
template ``{typedoc}/{year}/{naturalnumber}/oj`` ("Directive 2011/36") (README, "Annotations").
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterable
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from .errors import LinkError
from .graph import load_graph
from .namespaces import ELI, EU_COUNTRY, EU_LANGUAGE, EUROVOC, bind_prefixes

LANGUAGES = ("fr", "nl")  # besides English, where the list has them
ELI_ACT = re.compile(r"^http://data\.europa\.eu/eli/(dir|reg|dec)/([0-9]{4})/([0-9]+)/oj$")
# The kinds of act EUR-Lex's ELI template names by its {typedoc}, in our three languages.
TYPEDOCS = {
    "dir": {"en": "Directive", "fr": "Directive", "nl": "Richtlijn"},
    "reg": {"en": "Regulation", "fr": "Règlement", "nl": "Verordening"},
    "dec": {"en": "Decision", "fr": "Décision", "nl": "Besluit"},
}


def _lists() -> tuple[object, object]:
    try:
        import eurovoc
        import pycountry
    except ImportError as exc:
        raise LinkError(
            f"thbkg links needs the verified lists: {exc.name} is not installed "
            "(pip install pycountry; pip install --no-deps eurovoc==23.10.16.0)"
        ) from None
    return eurovoc, pycountry


def external_iris(graph: Graph, namespace: str) -> set[URIRef]:
    """Every IRI under ``namespace`` that ``graph`` uses, as subject or object."""
    return {
        node
        for triple in graph
        for node in (triple[0], triple[2])
        if isinstance(node, URIRef) and node.startswith(namespace)
    }


def _translations(pycountry: object, domain: str) -> dict[str, gettext.GNUTranslations]:
    return {
        lang: gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang])
        for lang in LANGUAGES
    }


def _names(graph: Graph, iri: URIRef, english: str, translations: dict) -> None:
    graph.add((iri, RDFS.label, Literal(english, lang="en")))
    for lang, catalogue in translations.items():
        if english in catalogue._catalog:  # only a name the list translates, never a fallback
            graph.add((iri, RDFS.label, Literal(catalogue.gettext(english), lang=lang)))


def build_links(source: Graph) -> Graph:
    """The labels of every EuroVoc concept, EU country and EU language ``source`` links to."""
    eurovoc, pycountry = _lists()
    links = bind_prefixes(Graph())
    for iri in sorted(external_iris(source, str(EUROVOC))):
        identifier = iri.removeprefix(str(EUROVOC))
        label = eurovoc.en_labels.get(identifier)
        if label is None:
            raise LinkError(f"{iri}: no EuroVoc concept has the identifier {identifier!r}")
        links.add((iri, SKOS.prefLabel, Literal(label, lang="en")))
    countries = _translations(pycountry, "iso3166-1")
    for iri in sorted(external_iris(source, str(EU_COUNTRY))):
        entry = pycountry.countries.get(alpha_3=iri.removeprefix(str(EU_COUNTRY)))
        if entry is None:
            raise LinkError(f"{iri}: not an ISO 3166-1 alpha-3 code of the EU country table")
        _names(links, iri, entry.name, countries)
    languages = _translations(pycountry, "iso639-3")
    for iri in sorted(external_iris(source, str(EU_LANGUAGE))):
        entry = pycountry.languages.get(alpha_3=iri.removeprefix(str(EU_LANGUAGE)).lower())
        if entry is None:
            raise LinkError(f"{iri}: not an ISO 639 code of the EU language table")
        _names(links, iri, entry.name, languages)
    acts = external_iris(source, "http://data.europa.eu/eli/") - external_iris(source, str(ELI))
    for iri in sorted(acts):
        match = ELI_ACT.match(iri)
        if match is None:
            raise LinkError(f"{iri}: not an act-level ELI (…/eli/TYPEDOC/YEAR/NUMBER/oj)")
        typedoc, year, number = match.groups()
        for lang, name in TYPEDOCS[typedoc].items():
            links.add((iri, RDFS.label, Literal(f"{name} {year}/{number}", lang=lang)))
    return links


def links_files(paths: Iterable[Path]) -> Graph:
    """``build_links`` over the union of data files (a file that cannot be parsed: LoadError)."""
    return build_links(load_graph(paths))
