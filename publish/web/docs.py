"""Documentation pages of the ontology and the shapes: their terms and constraints, in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DC, DCTERMS, OWL, RDF, RDFS, SH, SKOS

from ..catalogue import Catalogue
from ..namespaces import ONTOLOGY, SHAPES, THB, short
from .i18n import translator


@dataclass
class Term:
    """A class, property or shape as the documentation shows it."""

    iri: URIRef
    anchor: str
    labels: dict[str, str]
    comments: dict[str, str] = field(default_factory=dict)
    facts: list[tuple[str, list[object]]] = field(default_factory=list)
    rules: list[tuple[str, list[str], str]] = field(default_factory=list)


def _by_lang(graph: Graph, subject: object, prop: URIRef) -> dict[str, str]:
    return {
        (o.language or ""): str(o) for o in graph.objects(subject, prop) if isinstance(o, Literal)
    }


def _anchor(iri: URIRef) -> str:
    return str(iri).rpartition("#")[2] or str(iri).rpartition("/")[2]


def manchester(g: Graph, node: object) -> str:
    """An OWL class expression in Manchester syntax (``thb:Recommendation and (thb:concerns
    value thbr:actor/police)``), so a reader sees what a defined class means."""
    if isinstance(node, URIRef):
        return short(node)
    if isinstance(node, Literal):
        return str(node)
    value = g.value
    for prop, word in ((OWL.intersectionOf, " and "), (OWL.unionOf, " or ")):
        members = value(node, prop)
        if members is not None:
            return word.join(_grouped(g, m) for m in Collection(g, members))
    if value(node, OWL.complementOf) is not None:
        return f"not {_grouped(g, value(node, OWL.complementOf))}"
    if value(node, OWL.oneOf) is not None:
        return "{" + ", ".join(short(m) for m in Collection(g, value(node, OWL.oneOf))) + "}"
    prop = value(node, OWL.onProperty)
    if prop is None:
        return "(…)"
    on = short(prop)
    for key, word in ((OWL.someValuesFrom, "some"), (OWL.allValuesFrom, "only")):
        if value(node, key) is not None:
            return f"{on} {word} {_grouped(g, value(node, key))}"
    if value(node, OWL.hasValue) is not None:
        return f"{on} value {short(value(node, OWL.hasValue))}"
    filler = value(node, OWL.onClass)
    for keys, word in (
        ((OWL.minQualifiedCardinality, OWL.minCardinality), "min"),
        ((OWL.maxQualifiedCardinality, OWL.maxCardinality), "max"),
        ((OWL.qualifiedCardinality, OWL.cardinality), "exactly"),
    ):
        for key in keys:
            if value(node, key) is not None:
                tail = f" {_grouped(g, filler)}" if filler is not None else ""
                return f"{on} {word} {value(node, key)}{tail}"
    return "(…)"


def _grouped(g: Graph, node: object) -> str:
    text = manchester(g, node)
    return text if isinstance(node, URIRef) or " " not in text else f"({text})"


def disjoint(g: Graph, cls: URIRef) -> list[URIRef]:
    """The classes ``cls`` is declared disjoint with (disjointWith, AllDisjointClasses)."""
    found = set(g.objects(cls, OWL.disjointWith)) | set(g.subjects(OWL.disjointWith, cls))
    for axiom in g.subjects(RDF.type, OWL.AllDisjointClasses):
        members = list(Collection(g, g.value(axiom, OWL.members)))
        if cls in members:
            found |= set(members)
    found.discard(cls)
    return sorted(c for c in found if isinstance(c, URIRef))


@lru_cache(maxsize=8)  # a pure function of a catalogue that never changes, and a language
def ontology(cat: Catalogue, lang: str) -> dict[str, object]:
    """The ontology header, then its classes and properties, each with its anchor."""
    g = cat.ontology
    t = translator(lang)
    classes, properties = [], []
    for term in sorted(set(g.subjects(RDFS.isDefinedBy, ONTOLOGY))):
        if not str(term).startswith(str(THB)):
            continue
        types = set(g.objects(term, RDF.type))
        doc = Term(
            term, _anchor(term), _by_lang(g, term, RDFS.label), _by_lang(g, term, RDFS.comment)
        )
        if OWL.Class in types:
            doc.facts.append((t("subclass_of"), sorted(g.objects(term, RDFS.subClassOf))))
            definitions = [manchester(g, e) for e in g.objects(term, OWL.equivalentClass)]
            doc.facts.append((t("equivalent_to"), sorted(definitions)))
            doc.facts.append((t("disjoint_with"), disjoint(g, term)))
            classes.append(doc)
            continue
        kinds = [
            name
            for cls, name in (
                (OWL.ObjectProperty, t("object")),
                (OWL.DatatypeProperty, t("datatype_p")),
                (OWL.FunctionalProperty, t("functional")),
                (OWL.TransitiveProperty, t("transitive")),
            )
            if cls in types
        ]
        doc.facts.append((t("kind"), kinds))
        doc.facts.append((t("domain"), sorted(g.objects(term, RDFS.domain))))
        doc.facts.append((t("range"), sorted(g.objects(term, RDFS.range))))
        doc.facts.append((t("subproperty_of"), sorted(g.objects(term, RDFS.subPropertyOf))))
        for chain in g.objects(term, OWL.propertyChainAxiom):
            doc.facts.append((t("chain"), list(Collection(g, chain))))
        properties.append(doc)
    external = sorted(
        s
        for s in set(g.subjects(RDF.type, None))
        if isinstance(s, URIRef) and not str(s).startswith(str(THB)) and s != ONTOLOGY
    )
    return {
        "titles": _by_lang(g, ONTOLOGY, DCTERMS.title),
        "descriptions": _by_lang(g, ONTOLOGY, DCTERMS.description),
        "version": g.value(ONTOLOGY, OWL.versionInfo),
        "licence": g.value(ONTOLOGY, DCTERMS.license),
        "creator": g.value(ONTOLOGY, DCTERMS.creator),
        "publisher": g.value(ONTOLOGY, DC.publisher),
        "created": g.value(ONTOLOGY, DCTERMS.created),
        "modified": g.value(ONTOLOGY, DCTERMS.modified),
        "citation": _by_lang(g, ONTOLOGY, DCTERMS.bibliographicCitation),
        "versions": [
            (version, g.value(version, DCTERMS.created), _by_lang(g, version, SKOS.changeNote))
            for version in sorted(g.objects(ONTOLOGY, DCTERMS.hasVersion), reverse=True)
        ],
        "classes": classes,
        "properties": properties,
        "external": external,
    }


@lru_cache(maxsize=8)
def shapes(cat: Catalogue, lang: str) -> dict[str, object]:
    """Every node shape: what it targets, and each constraint said in words, with its message."""
    g = cat.shapes
    t = translator(lang)
    found = []
    for shape in sorted(set(g.subjects(RDF.type, SH.NodeShape))):
        if not isinstance(shape, URIRef):
            continue
        doc = Term(shape, _anchor(shape), _by_lang(g, shape, RDFS.label))
        targets = [
            (t(key), sorted(g.objects(shape, prop)))
            for key, prop in (
                ("target_class", SH.targetClass),
                ("target_objects", SH.targetObjectsOf),
                ("target_subjects", SH.targetSubjectsOf),
                ("target_node", SH.targetNode),
            )
        ]
        doc.facts = [(k, v) for k, v in targets if v]
        own = _constraints(cat, g, shape, lang)
        if own:
            doc.rules.append((t("node"), own, _message(g, shape, lang)))
        for prop in g.objects(shape, SH.property):
            path = _path(cat, g, g.value(prop, SH.path), lang)
            doc.rules.append((path, _constraints(cat, g, prop, lang), _message(g, prop, lang)))
        for sparql in g.objects(shape, SH.sparql):
            doc.rules.append((t("query"), [t("sparql")], _message(g, sparql, lang)))
        found.append(doc)
    return {
        "labels": _by_lang(g, SHAPES, RDFS.label),
        "comments": _by_lang(g, SHAPES, RDFS.comment),
        "shapes": found,
    }


def _message(g: Graph, node: object, lang: str) -> str:
    messages = _by_lang(g, node, SH.message)
    return messages.get(lang) or messages.get("") or next(iter(messages.values()), "")


def _path(cat: Catalogue, g: Graph, path: object, lang: str) -> str:
    if isinstance(path, BNode):
        inverse = g.value(path, SH.inversePath)
        if inverse is not None:
            return f"^{_path(cat, g, inverse, lang)}"
        return "(path)"
    label, name = cat.label(path, lang), short(path, brackets=False)
    return name if label == name else f"{label} ({name})"


def _constraints(cat: Catalogue, g: Graph, node: object, lang: str) -> list[str]:
    """The constraints of a shape (node or property), one phrase each."""
    t = translator(lang)
    value = g.value
    said: list[str] = []
    low, high = value(node, SH.minCount), value(node, SH.maxCount)
    if low is not None and high is not None and int(low) == int(high):
        said.append(t("exactly").format(n=int(low)))
    else:
        if low is not None:
            said.append(t("at_least").format(n=int(low)))
        if high is not None:
            said.append(t("at_most").format(n=int(high)))
    for prop, key in (
        (SH.datatype, "datatype"),
        (SH.nodeKind, "node_kind"),
        (SH["class"], "class"),
        (SH.hasValue, "has_value"),
        (SH.node, "conforms"),
    ):
        for obj in g.objects(node, prop):
            said.append(
                t(key).format(
                    x=cat.label(obj, lang) if prop != SH.datatype else short(obj, brackets=False)
                )
            )
    for pattern in g.objects(node, SH.pattern):
        said.append(t("pattern").format(x=pattern))
    for length in g.objects(node, SH.minLength):
        said.append(t("min_length").format(n=int(length)))
    for languages in g.objects(node, SH.languageIn):
        said.append(t("language_in").format(x=", ".join(str(x) for x in Collection(g, languages))))
    for members in g.objects(node, SH["in"]):
        said.append(t("in").format(x=", ".join(cat.label(x, lang) for x in Collection(g, members))))
    if value(node, SH.uniqueLang) == Literal(True):
        said.append(t("unique_lang"))
    qualified = value(node, SH.qualifiedValueShape)
    if qualified is not None:
        inner = "; ".join(_constraints(cat, g, qualified, lang))
        said.append(t("qualified").format(n=int(value(node, SH.qualifiedMinCount) or 0), x=inner))
    for negated in g.objects(node, SH["not"]):
        said.append(t("not").format(x="; ".join(_constraints(cat, g, negated, lang))))
    for options in g.objects(node, SH["or"]):
        alternatives = ["; ".join(_constraints(cat, g, o, lang)) for o in Collection(g, options)]
        said.append(t("or").format(x=" | ".join(alternatives)))
    return said
