"""owlready2 + HermiT: check that ontology and data are consistent and materialise what OWL
entails into graph/inferred. Runs offline (`thbkg reason`), never while a request waits."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, XSD

from .chunking import description
from .config import Settings
from .errors import Inconsistent, ReasonerUnavailable
from .explain import explain
from .lifecycle import end_with_parent
from .namespaces import (
    BASE,
    DATA_GRAPH,
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    THB,
    bind_prefixes,
)
from .rdfio import load_graph

# The OWL 2 datatype map (OWL 2 Structural Specification, section 4): HermiT rejects the rest.
OWL2_DATATYPES = frozenset(
    {OWL.real, OWL.rational, RDF.PlainLiteral, RDF.XMLLiteral, RDF.langString, RDFS.Literal}
    | {
        XSD[name]
        for name in [
            *("decimal", "integer", "nonNegativeInteger", "nonPositiveInteger"),
            *("positiveInteger", "negativeInteger", "long", "int", "short", "byte"),
            *("unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "double"),
            *("float", "string", "normalizedString", "token", "language", "Name", "NCName"),
            *("NMTOKEN", "boolean", "hexBinary", "base64Binary", "anyURI", "dateTime"),
            "dateTimeStamp",
        ]
    }
)
# What each datatype outside the map becomes for HermiT. gYear becomes an integer, not a string,
# so that two different years of one recommendation still clash with functional thb:year.
DATATYPE_STAND_INS = {XSD.gYear: XSD.integer}
_YEAR = re.compile(r"^(-?\d{4,})(?:Z|[+-]\d{2}:\d{2})?$")
_INPUT_ONTOLOGY = "urn:thbkg:reasoner-input"
# Recommendations per HermiT run: beyond this, runs are split (see `infer`).
CHUNK_SIZE = 100


def _stand_in(literal: Literal) -> Literal:
    """A literal HermiT accepts with the same identity: gYear -> integer, others -> string."""
    if literal.datatype is None or literal.datatype in OWL2_DATATYPES:
        return literal
    if literal.datatype == XSD.gYear and (match := _YEAR.match(str(literal))):
        return Literal(int(match[1]), datatype=XSD.integer)
    return Literal(str(literal), datatype=XSD.string)


def _distinct_individuals(graph: Graph) -> list[URIRef]:
    """Our own resources other than recommendations: actors, themes, reports, levels, schemes.

    HermiT makes no Unique Name Assumption, but we mint exactly one IRI per thing, so these are
    pairwise different; saying so lets "addressed to at least 2 actors" count and lets a second
    theme or actor clash with a functional property. Recommendations are left out: nothing
    counts them, and an owl:AllDifferent over 10 000 of them would cost HermiT dearly."""
    typed = {s for s in graph.subjects(RDF.type) if isinstance(s, URIRef) and s.startswith(BASE)}
    terms = {s for s in typed if s.startswith(str(THB))}  # classes and properties
    terms |= {s for s, o in graph.subject_objects(RDF.type) if str(o).startswith(str(OWL))}
    terms -= set(graph.subjects(RDF.type, OWL.NamedIndividual))
    return sorted(typed - terms - set(graph.subjects(RDF.type, THB.Recommendation)))


def _meaningful_data_properties(graph: Graph) -> set[URIRef]:
    """Data properties some axiom speaks of (functional, domain, range, hierarchy, restriction).

    A literal of any other property (labels, identifiers, titles) can neither entail nor clash,
    and HermiT's realisation slows down markedly with every literal it is given."""
    axioms = (RDFS.domain, RDFS.range, RDFS.subPropertyOf, OWL.equivalentProperty)
    meaningful = set(graph.subjects(RDF.type, OWL.FunctionalProperty))
    meaningful |= {p for axiom in axioms for p in graph.subjects(axiom, None)}
    meaningful |= set(graph.objects(None, OWL.onProperty))
    return {p for p in meaningful if isinstance(p, URIRef)}


def reasoner_input(asserted: Graph) -> Graph:
    """The graph handed to HermiT: only literals an axiom can use, datatypes mapped into the
    OWL 2 map, plus owl:AllDifferent over our resources."""
    prepared = Graph()
    meaningful = _meaningful_data_properties(asserted)
    for s, p, o in asserted:
        if isinstance(o, Literal):
            if p not in meaningful and not isinstance(s, BNode):
                continue
            o = _stand_in(o)
        elif o in DATATYPE_STAND_INS:
            o = DATATYPE_STAND_INS[o]
        elif isinstance(o, URIRef) and o.startswith(str(XSD)) and o not in OWL2_DATATYPES:
            o = XSD.string
        prepared.add((s, p, o))
    distinct = _distinct_individuals(asserted)
    if len(distinct) > 1:
        axiom, members = BNode(), BNode()
        prepared.add((axiom, RDF.type, OWL.AllDifferent))
        prepared.add((axiom, OWL.distinctMembers, members))
        Collection(prepared, members, list(distinct))
    return prepared


def _run_hermit(prepared: Graph, asserted: Graph) -> object:
    """Load ``prepared`` into a fresh owlready2 World and run HermiT on it."""
    import owlready2

    world = owlready2.World()
    ntriples = prepared.serialize(format="nt", encoding="utf-8")
    world.get_ontology(_INPUT_ONTOLOGY).load(fileobj=io.BytesIO(ntriples), format="ntriples")
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=True, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError:
        raise Inconsistent(explain(asserted)) from None
    except owlready2.OwlReadyJavaError as exc:
        raise ReasonerUnavailable(f"HermiT failed: {exc}") from None
    except FileNotFoundError as exc:
        raise ReasonerUnavailable(
            f"cannot run Java ({exc.filename or owlready2.JAVA_EXE}): install a Java runtime "
            "(apt-get install default-jre-headless) to reason; `bash .ci/run` does it"
        ) from None
    return world


def _object_properties(ontology: Graph) -> set[URIRef]:
    return {p for p in ontology.subjects(RDF.type, OWL.ObjectProperty) if isinstance(p, URIRef)}


def _close_properties(facts: set[tuple], ontology: Graph) -> set[tuple]:
    """Sub-properties, transitive properties and property chains, to a fixpoint.

    owlready2 keeps only the values HermiT reports directly; these rules (OWL 2 RL prp-spo1,
    prp-spo2, prp-trp) complete them, so graph/inferred holds every entailed link."""
    supers: dict[URIRef, set[URIRef]] = defaultdict(set)
    for sub, sup in ontology.subject_objects(RDFS.subPropertyOf):
        supers[sub].add(sup)
    transitive = set(ontology.subjects(RDF.type, OWL.TransitiveProperty))
    chains = [
        (prop, list(Collection(ontology, head)))
        for prop, head in ontology.subject_objects(OWL.propertyChainAxiom)
    ]
    facts = set(facts)
    while True:
        by_property: dict[URIRef, dict] = defaultdict(lambda: defaultdict(set))
        for s, p, o in facts:
            by_property[p][s].add(o)
        new: set[tuple] = set()
        for s, p, o in facts:
            new.update((s, sup, o) for sup in supers.get(p, ()))
        for p in transitive:
            links = by_property.get(p, {})
            for s, objects in links.items():
                for o in objects:
                    new.update((s, p, o2) for o2 in links.get(o, ()))
        for prop, chain in chains:
            frontier = {
                (s, o) for s, objects in by_property.get(chain[0], {}).items() for o in objects
            }
            for step in chain[1:]:
                links = by_property.get(step, {})
                frontier = {(s, o2) for s, o in frontier for o2 in links.get(o, ())}
            new.update((s, prop, o) for s, o in frontier)
        if new <= facts:
            return facts
        facts |= new


def _entailed(world: object, asserted: Graph, ontology: Graph) -> Graph:
    """Every type and object-property value between named individuals that OWL entails."""
    import owlready2

    properties = _object_properties(ontology)
    candidates = {s for s in asserted.subjects(RDF.type) if isinstance(s, URIRef)}
    candidates |= {
        node
        for p in properties
        for pair in asserted.subject_objects(p)
        for node in pair
        if isinstance(node, URIRef)
    }
    entailed = set()
    for subject in sorted(candidates):
        individual = world[str(subject)]
        if not isinstance(individual, owlready2.Thing):
            continue  # a class, a property or the ontology itself
        for cls in individual.is_a:
            if isinstance(cls, owlready2.ThingClass):
                for ancestor in cls.ancestors():
                    if ancestor is not owlready2.Thing and ancestor.iri:
                        entailed.add((subject, RDF.type, URIRef(ancestor.iri)))
    facts = {
        (s, p, o)
        for s, p, o in world.as_rdflib_graph()
        if p in properties and isinstance(s, URIRef) and isinstance(o, URIRef)
    }
    facts |= {
        (s, p, o)
        for p in properties
        for s, o in asserted.subject_objects(p)
        if isinstance(s, URIRef) and isinstance(o, URIRef)
    }
    entailed |= _close_properties(facts, ontology)
    inferred = bind_prefixes(Graph())
    for triple in entailed:
        if triple not in asserted:
            inferred.add(triple)
    return inferred


def _infer_whole(ontology: Graph, data: Graph) -> Graph:
    """One HermiT run over ontology + data."""
    asserted = Graph()
    asserted += ontology
    asserted += data
    world = _run_hermit(reasoner_input(asserted), asserted)
    return _entailed(world, asserted, ontology)


def _infer_ntriples(ontology: bytes, data: bytes) -> bytes:
    """`_infer_whole` across a process boundary: N-Triples in, N-Triples out."""
    inferred = _infer_whole(
        Graph().parse(data=ontology, format="nt"), Graph().parse(data=data, format="nt")
    )
    return inferred.serialize(format="nt", encoding="utf-8")


def partition(data: Graph, size: int) -> tuple[Graph, list[Graph]]:
    """The shared part (actors, themes, reports, places) and the recommendations in chunks."""
    recommendations = sorted(r for r in data.subjects(RDF.type, THB.Recommendation))
    chunks, owned = [], set()
    for start in range(0, len(recommendations), size):
        chunk = Graph()
        for rec in recommendations[start : start + size]:
            for triple in description(data, rec):
                chunk.add(triple)
                owned.add(triple)
        chunks.append(chunk)
    shared = Graph()
    for triple in data:
        if triple not in owned:
            shared.add(triple)
    return shared, chunks


def infer(
    ontology: Graph, data: Graph, *, chunk_size: int = CHUNK_SIZE, workers: int | None = None
) -> Graph:
    """Reason over ontology + data; the entailed-and-not-asserted triples, or Inconsistent.

    HermiT's realisation grows faster than linearly with the number of individuals, so beyond
    ``chunk_size`` recommendations each HermiT run gets the shared resources and one chunk of
    recommendations, in parallel processes. This is complete for our ontology: no axiom lets a
    fact about one recommendation entail anything about another (no inverse properties, no
    universal or cardinality restriction on actors, themes or reports), so every clash and
    every entailment lies within one recommendation and the shared resources."""
    shared, chunks = partition(data, chunk_size)
    if len(chunks) <= 1:
        return _infer_whole(ontology, data)
    ontology_nt = ontology.serialize(format="nt", encoding="utf-8")
    shared_nt = shared.serialize(format="nt", encoding="utf-8")
    inputs = [shared_nt + chunk.serialize(format="nt", encoding="utf-8") for chunk in chunks]
    workers = workers or min(len(chunks), os.cpu_count() or 1)
    context = multiprocessing.get_context("spawn")
    inferred = bind_prefixes(Graph())
    # Pool, not ProcessPoolExecutor: leaving the block on an error or SIGTERM terminates the
    # workers (and each stops its Java) instead of waiting for every chunk to finish.
    with context.Pool(workers, initializer=end_with_parent, initargs=(os.getpid(),)) as pool:
        for result in pool.starmap(_infer_ntriples, [(ontology_nt, i) for i in inputs]):
            inferred.parse(data=result, format="nt")
    for triple in data:
        inferred.remove(triple)
    return inferred


def hermit_version() -> str:
    """The version of the HermiT that owlready2 runs (its jar's manifest), else "unknown"."""
    import owlready2

    jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"
    try:
        with zipfile.ZipFile(jar) as archive:
            manifest = archive.read("META-INF/MANIFEST.MF").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return "unknown"
    found = re.search(r"^Implementation-Version:\s*(\S+)", manifest, re.M)
    return found.group(1) if found else "unknown"


def provenance(inputs: Iterable[Path], started: datetime, ended: datetime) -> Graph:
    """PROV-O about graph/inferred: which reasoner (and version) generated it, when, from which
    graphs and files (by name and SHA-256), so a reader can tell where an inferred triple came
    from. Kept in graph/inferred itself, as statements about the graph."""
    import owlready2

    g = bind_prefixes(Graph())
    activity = URIRef(f"{INFERRED_GRAPH}#reasoning")
    agent = URIRef(f"{INFERRED_GRAPH}#reasoner")
    version = hermit_version()
    g.add((INFERRED_GRAPH, RDF.type, PROV.Entity))
    g.add((INFERRED_GRAPH, PROV.wasGeneratedBy, activity))
    # UTC, written without a zone: rdflib and Oxigraph read "Z" and "+00:00" differently, and
    # the store refuses a literal they would not agree on.
    when = {
        t: Literal(t.strftime("%Y-%m-%dT%H:%M:%S"), datatype=XSD.dateTime) for t in (started, ended)
    }
    g.add((INFERRED_GRAPH, PROV.generatedAtTime, when[ended]))
    g.add((activity, RDF.type, PROV.Activity))
    g.add((activity, RDFS.label, Literal("thbkg reason: HermiT over ontology and data", lang="en")))
    g.add((activity, PROV.startedAtTime, when[started]))
    g.add((activity, PROV.endedAtTime, when[ended]))
    g.add((activity, PROV.wasAssociatedWith, agent))
    g.add((agent, RDF.type, PROV.SoftwareAgent))
    g.add((agent, RDFS.label, Literal(f"HermiT {version} (owlready2 {owlready2.VERSION})")))
    g.add((agent, OWL.versionInfo, Literal(version)))
    for graph in (DATA_GRAPH, ONTOLOGY_GRAPH):
        g.add((INFERRED_GRAPH, PROV.wasDerivedFrom, graph))
        g.add((activity, PROV.used, graph))
    for path in inputs:
        data = Path(path).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        used = URIRef(f"{INFERRED_GRAPH}#input-{digest[:16]}")
        g.add((activity, PROV.used, used))
        g.add((used, RDF.type, PROV.Entity))
        g.add((used, DCTERMS.title, Literal(Path(path).name)))
        g.add((used, DCTERMS.identifier, Literal(f"sha256:{digest}")))
    return g


def reason_files(paths: Iterable[Path], settings: Settings) -> Graph:
    """Reason over the data files with the ontology of ``settings``; the result carries its
    provenance (``provenance``)."""
    paths = list(paths)
    started = datetime.now(UTC).replace(microsecond=0)
    inferred = infer(load_graph([settings.ontology]), load_graph(paths))
    ended = datetime.now(UTC).replace(microsecond=0)
    inferred += provenance([settings.ontology, *paths], started, ended)
    return inferred
