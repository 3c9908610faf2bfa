"""Annex source text + authority file -> the knowledge graph of the recommendations."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, ORG, RDF, RDFS, SKOS, XSD

from .annex import Row, read_annex, read_item, split_cell
from .errors import IngestError
from .namespaces import THB, bind_prefixes, resource
from .rdfio import load_graph

# What the output carries of each resource it uses, followed from the authority file.
_FOLLOW = (
    ORG.subOrganizationOf,
    SKOS.broader,
    SKOS.inScheme,
    THB.level,
    DCTERMS.publisher,
    DCTERMS.spatial,
)

# The properties whose French values name an actor, a theme or a place in the sources.
_LABELS = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)


def slugify(name: str) -> str:
    """Lowercase ASCII with hyphens, as the contract derives slugs from French names."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_name.lower()).split()
    return "-".join(words)


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def _form_pattern(forms: Iterable[str]) -> re.Pattern[str]:
    """Whole-word, case-insensitive match of any form, with the spaces and apostrophes of a text."""
    alternatives = []
    for form in sorted(forms, key=len, reverse=True):
        escaped = (re.escape(word) for word in form.split())
        alternatives.append(r"\s+".join(escaped).replace("'", "['’]"))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


class Authorities:
    """The hand-curated authority file, indexed by the French names the sources use."""

    def __init__(self, graph: Graph, path: Path) -> None:
        self.graph, self.path = graph, path
        for label_property in _LABELS:  # a name is matched by its text and language tag
            for node, label in graph.subject_objects(label_property):
                if not isinstance(label, Literal):
                    raise IngestError(
                        f"{path}: <{node}> has {label_property.n3(graph.namespace_manager)} "
                        f'<{label}>, which is not a text literal such as "Police"@fr'
                    )
        self.actors: dict[str, URIRef] = {}
        for label_property in _LABELS:
            for actor, label in graph.subject_objects(label_property):
                if (actor, RDF.type, THB.Actor) in graph and label.language == "fr":
                    self.actors.setdefault(_key(label), actor)
        self.themes = {
            _key(label): theme
            for theme, label in graph.subject_objects(SKOS.prefLabel)
            if (theme, RDF.type, THB.Theme) in graph and label.language == "fr"
        }
        forms: dict[URIRef, set[str]] = {}
        for node, label in graph.subject_objects(SKOS.hiddenLabel):
            kinds = set(graph.objects(node, RDF.type))
            if label.language == "fr" and not kinds & {THB.Actor, THB.Theme}:
                forms.setdefault(node, set()).add(str(label))
        # The places and bodies a text can name, with the pattern of their French forms.
        self.mentionables = [(node, _form_pattern(forms[node])) for node in sorted(forms)]

    @classmethod
    def load(cls, path: Path) -> Authorities:
        """Parse the authority file; a syntax error is a LoadError naming line and column."""
        return cls(load_graph([path]), Path(path))

    def actor(self, name: str, where: str) -> URIRef:
        """The actor a French name denotes; an unknown name says where to add it."""
        try:
            return self.actors[_key(name)]
        except KeyError:
            raise IngestError(
                f"{where}: unknown addressee {name!r}: add it to the authority file "
                f"{self.path} (as an actor's French skos:prefLabel, altLabel or hiddenLabel)"
            ) from None

    def theme(self, row: Row) -> URIRef:
        """The theme of a section, checked against the phenomenon its heading names."""
        section, where = row.section, f"{row.source}:{row.section.line}"
        theme = self.themes.get(_key(section.title))
        phenomenon = self.themes.get(_key(section.phenomenon))
        if theme is None or phenomenon is None:
            missing = section.title if theme is None else section.phenomenon
            raise IngestError(
                f"{where}: unknown theme {missing!r} in heading "
                f"{section.heading!r}: add it to {self.path}"
            )
        if (theme, SKOS.broader, phenomenon) not in self.graph:
            raise IngestError(
                f"{where}: {self.path} does not put theme {section.title!r} "
                f"under {section.phenomenon!r}, as the heading does"
            )
        return theme

    def report(self, year: int, where: str) -> URIRef:
        """The report an annex of ``year`` belongs to: the one issued that year."""
        reports = sorted(
            report
            for report, issued in self.graph.subject_objects(DCTERMS.issued)
            if (report, RDF.type, THB.Report) in self.graph and str(issued)[:4] == str(year)
        )
        if len(reports) != 1:
            raise IngestError(
                f"{where}: {self.path} must describe exactly one report issued "
                f"in {year}; found {len(reports)}"
            )
        return reports[0]

    def mentions(self, text: str) -> list[URIRef]:
        """The places and bodies whose French forms ``text`` contains as whole words."""
        return [node for node, pattern in self.mentionables if pattern.search(text)]

    def closure(self, used: Iterable[URIRef]) -> Iterator[URIRef]:
        """``used`` and every resource they reach through hierarchy, scheme, level, publisher.

        A concept scheme travels whole: every concept in it comes along, so that a closed
        vocabulary such as the levels of government is published complete.
        """
        seen: dict[object, int] = {}  # shared, so each resource is walked from once
        reached: dict[URIRef, None] = {}
        for start in used:
            reached.setdefault(start)
            reached.update(dict.fromkeys(self.graph.transitiveClosure(_neighbours, start, seen)))
        yield from reached


def _neighbours(node: URIRef, graph: Graph) -> Iterator[URIRef]:
    """What ``closure`` follows from one resource: hierarchy, level, publisher, scheme members."""
    for prop in _FOLLOW:
        yield from (o for o in graph.objects(node, prop) if isinstance(o, URIRef))
    yield from (s for s in graph.subjects(SKOS.inScheme, node) if isinstance(s, URIRef))


def _addressees(row: Row, authorities: Authorities, graph: Graph, rec: URIRef) -> set[URIRef]:
    """Add the addressing of one row to ``graph``; returns the actors used."""
    where = f"{row.source}:{row.line}: recommendation {row.identifier}"
    used: set[URIRef] = set()
    for item in split_cell(row.cell):
        try:
            groups = read_item(item)
        except ValueError as exc:
            raise IngestError(f"{where}: addressee {item!r}: {exc}") from None
        for group in groups:
            actor = authorities.actor(group.name, where)
            used.add(actor)
            members = [authorities.actors.get(_key(part)) for part in group.parts]
            qualifiers = [group.example] if group.example else []
            if members and all(members):
                for member in members:
                    graph.add((rec, THB.addressedTo, member))
                    graph.add((member, ORG.subOrganizationOf, actor))
                    used.add(member)
            elif any(members):
                unknown = [p for p, m in zip(group.parts, members, strict=True) if m is None]
                raise IngestError(
                    f"{where}: in ({group.parenthetical}), unknown member "
                    f"{unknown[0]!r}: add it to {authorities.path}"
                )
            else:
                graph.add((rec, THB.addressedTo, actor))
                if group.parenthetical:
                    qualifiers.insert(0, group.parenthetical)
            for qualifier in qualifiers:
                addressing = BNode()
                graph.add((rec, THB.qualifiedAddressing, addressing))
                graph.add((addressing, RDF.type, THB.Addressing))
                graph.add((addressing, THB.actor, actor))
                graph.add((addressing, THB.qualifier, Literal(qualifier, lang="fr")))
    return used


def build_graph(rows: Iterable[Row], authorities: Authorities) -> Graph:
    """The self-contained graph of ``rows``: recommendations and what they use."""
    graph = bind_prefixes(Graph())
    used: set[URIRef] = set()
    seen: dict[str, Row] = {}
    for row in rows:
        where = f"{row.source}:{row.line}"
        if row.identifier in seen:
            first = seen[row.identifier]
            raise IngestError(
                f"{where}: identifier {row.identifier!r} already used at "
                f"{first.source}:{first.line}"
            )
        seen[row.identifier] = row
        rec = resource(f"recommendation/{row.year}-{row.sequence}")
        theme, report = authorities.theme(row), authorities.report(row.year, where)
        graph.add((rec, RDF.type, THB.Recommendation))
        graph.add((rec, DCTERMS.identifier, Literal(row.identifier)))
        graph.add((rec, THB.year, Literal(str(row.year), datatype=XSD.gYear)))
        graph.add((rec, THB.sequence, Literal(row.sequence, datatype=XSD.positiveInteger)))
        graph.add((rec, RDFS.label, Literal(f"Recommandation {row.identifier}", lang="fr")))
        graph.add((rec, RDFS.label, Literal(f"Recommendation {row.identifier}", lang="en")))
        graph.add((rec, THB.text, Literal(row.text, lang="fr")))
        graph.add((rec, THB.addresseeText, Literal(row.cell, lang="fr")))
        graph.add((rec, THB.theme, theme))
        graph.add((rec, DCTERMS.isPartOf, report))
        graph.add((theme, THB.headingText, Literal(row.section.heading, lang="fr")))
        mentioned = authorities.mentions(row.text)
        for node in mentioned:
            graph.add((rec, THB.mentions, node))
        used |= {theme, report, *mentioned} | _addressees(row, authorities, graph, rec)
    for node in authorities.closure(used):
        graph += authorities.graph.triples((node, None, None))
    return graph


def ingest(sources: Iterable[Path], authorities_path: Path) -> Graph:
    """Read every annex and join it with the authority file into one graph."""
    authorities = Authorities.load(authorities_path)
    rows = [row for source in sources for row in read_annex(source)]
    return build_graph(rows, authorities)
