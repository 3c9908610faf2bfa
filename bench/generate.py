"""Synthetic data that conforms to our shapes, at the scale the design aims for (issue 8).

    python bench/generate.py --recommendations 10000 -o /tmp/g10k.ttl [--seed 2018]

writes ``/tmp/g10k.ttl`` (the data graph) and ``/tmp/g10k.inferred.ttl`` (what `thbkg reason`
would entail from it; ``--inferred PATH`` to put it elsewhere). The same seed and size give the
same bytes. 100,000 recommendations are about 1.2 million triples.

What it holds, so that benchmarks see the shapes of the real data:
- the actors, themes, report, places and levels of the shipped 2018 annex (real, verified);
- more actors under them: police zones, prosecutors' offices, labour auditorates, social
  inspections, municipal and community services of Belgian towns, some with a unit of their
  own (three or four levels deep), each with a level of government;
- section themes under the two phenomena, with French and English labels and a heading;
- one synthetic annual report per year, published by Myria, over several years;
- recommendations numbered per year (``YEAR/N``), with a French text made of stock phrases,
  one to four addressees (the verbatim addressee cell lists them), some qualified addressings
  ("niveau politique", "comme Bruxelles"), and mentions of the verified places the text names.
The synthetic resources say so in their labels and titles; nothing here is Myria's words.

The inferred graph is computed by rules that mirror the ontology rather than by HermiT
(which would take hours at this size): superclasses of asserted types, super-properties
(thb:theme -> dcterms:subject, thb:mentions and thb:legalDefinition -> dcterms:references,
org:subOrganizationOf -> org:transitiveSubOrganizationOf, transitive), the chain behind
thb:concerns, and the six defined classes of recommendations. tests/test_generate.py proves the
rules give exactly HermiT's graph (`thbkg reason`) on a small generated graph."""

from __future__ import annotations

import argparse
import random
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, RDF, RDFS, SKOS, XSD

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from publish.config import Settings  # noqa: E402
from publish.graph import load_graph  # noqa: E402
from publish.namespaces import EU_COUNTRY, EU_LANGUAGE, EUROVOC, THB, resource  # noqa: E402

MYRIA = resource("actor/myria-centre-federal-migration")
THEME_SCHEME = resource("theme/scheme")
TRAFFICKING = resource("theme/traite-des-etres-humains")
SMUGGLING = resource("theme/trafic-d-etres-humains")
POLICE, MAGISTRACY = resource("actor/police"), resource("actor/magistrature")
LEVEL = {name: resource(f"level/{name}") for name in ("federal", "regional", "community", "local")}

# Belgian towns (French names), the places our synthetic local services belong to.
TOWNS = (
    "Bruxelles",
    "Anvers",
    "Gand",
    "Charleroi",
    "Liège",
    "Bruges",
    "Namur",
    "Louvain",
    "Mons",
    "Malines",
    "Alost",
    "Hasselt",
    "Courtrai",
    "Ostende",
    "Tournai",
    "Genk",
    "Seraing",
    "Roulers",
    "Verviers",
    "Mouscron",
    "Beveren",
    "Dendermonde",
    "Turnhout",
    "Wavre",
    "Arlon",
    "Nivelles",
    "Eupen",
    "Furnes",
    "Ypres",
    "Saint-Nicolas",
    "Lokeren",
    "Termonde",
    "Vilvorde",
    "Tongres",
    "Dinant",
    "Huy",
    "Marche-en-Famenne",
    "Bastogne",
    "Neufchâteau",
    "Mol",
    "Geel",
    "Lierre",
    "Herentals",
    "Hal",
    "Waterloo",
    "Braine-l'Alleud",
    "Ottignies",
    "Gembloux",
    "Andenne",
    "Binche",
    "La-Louvière",
    "Châtelet",
    "Fleurus",
    "Herstal",
    "Waremme",
    "Spa",
    "Malmedy",
    "Virton",
    "Saint-Trond",
    "Maasmechelen",
    "Lommel",
    "Knokke-Heist",
    "Eeklo",
)
# (French pattern, English pattern, parent, level): the kinds of local or regional bodies.
KINDS = (
    ("Zone de police {}", "Police zone of {}", POLICE, "local"),
    (
        "Parquet {}",
        "Public prosecutor's office of {}",
        resource("actor/ministere-public"),
        "federal",
    ),
    (
        "Auditorat du travail {}",
        "Labour prosecutor's office of {}",
        resource("actor/ministere-public"),
        "federal",
    ),
    ("Bourgmestre {}", "Mayor of {}", resource("actor/bourgmestres"), "local"),
    (
        "Centre public d'action sociale {}",
        "Public social welfare centre of {}",
        resource("actor/autorites-politiques-locales"),
        "local",
    ),
    (
        "Service de l'aide à la jeunesse {}",
        "Youth welfare service of {}",
        resource("actor/aide-a-la-jeunesse"),
        "community",
    ),
    (
        "Inspection sociale {}",
        "Social inspection of {}",
        resource("actor/inspection-sociale"),
        "federal",
    ),
    (
        "Inspection régionale de l'emploi {}",
        "Regional employment inspection of {}",
        resource("actor/inspections-regionales-de-l-emploi"),
        "regional",
    ),
)
# Groups the kinds above hang from, when the 2018 annex does not have them.
GROUPS = (
    (
        "aide-a-la-jeunesse",
        "Services de l'aide à la jeunesse",
        "Youth welfare services",
        "community",
    ),
    ("inspection-sociale", "Inspection sociale", "Social inspection", "federal"),
    (
        "inspections-regionales-de-l-emploi",
        "Inspections régionales de l'emploi",
        "Regional employment inspections",
        "regional",
    ),
)
# A unit some bodies have, addressed on its own (one level deeper).
UNIT = ("Cellule traite des êtres humains ({})", "Trafficking unit ({})")

SECTIONS = {
    TRAFFICKING: (
        ("Exploitation économique", "Labour exploitation"),
        ("Exploitation sexuelle", "Sexual exploitation"),
        ("Statut de victime", "Victim status"),
        ("Détection des victimes", "Detecting victims"),
        ("Enquêtes financières", "Financial investigations"),
        ("Mendicité et criminalité forcées", "Forced begging and forced criminality"),
        ("Travail domestique", "Domestic work"),
        ("Mariages forcés", "Forced marriages"),
        ("Accueil spécialisé des victimes", "Specialised shelter for victims"),
        ("Formation des acteurs de première ligne", "Training front-line actors"),
        ("Coopération internationale", "International cooperation"),
        ("Collecte de données", "Data collection"),
    ),
    SMUGGLING: (
        ("Démanteler les réseaux de passeurs", "Dismantling smuggling networks"),
        ("Approche financière du trafic", "A financial approach to smuggling"),
        ("Transmigrants", "Transit migrants"),
        ("Protection des victimes de trafic", "Protecting victims of smuggling"),
        ("Parkings autoroutiers", "Motorway car parks"),
        ("Passeurs sur les réseaux sociaux", "Smugglers on social media"),
        ("Coopération policière européenne", "European police cooperation"),
    ),
}
PHENOMENON_HEADING = {TRAFFICKING: "TRAITE DES ÊTRES HUMAINS", SMUGGLING: "TRAFIC D'ÊTRES HUMAINS"}

VERBS = (
    "Renforcer",
    "Améliorer",
    "Développer",
    "Garantir",
    "Évaluer",
    "Poursuivre",
    "Harmoniser",
    "Systématiser",
    "Intensifier",
    "Structurer",
    "Encourager",
    "Clarifier",
)
OBJECTS = (
    "la formation des acteurs de première ligne",
    "la détection des victimes potentielles",
    "les enquêtes financières sur les réseaux",
    "la collecte de données chiffrées",
    "la coopération entre les inspections sociales et les parquets",
    "l'accueil des victimes mineures d'âge",
    "l'application du statut de victime",
    "le suivi des dossiers judiciaires",
    "l'échange d'informations entre services",
    "la protection des mineurs étrangers non accompagnés",
    "les contrôles dans les secteurs à risque",
    "la saisie des avoirs criminels",
    "l'information des victimes sur leurs droits",
)
COMPLEMENTS = (
    "en matière de traite des êtres humains",
    "afin de mieux protéger les victimes",
    "dans les grandes villes",
    "au niveau européen",
    "en concertation avec les centres d'accueil spécialisés",
    "dans le cadre du plan d'action national",
    "en tenant compte de la vulnérabilité particulière des mineurs",
    "sur l'ensemble du territoire",
    "avec des moyens suffisants",
)
SECOND = (
    "Il est nécessaire de dégager les moyens humains et budgétaires correspondants.",
    "Les magistrats de référence doivent être associés à cette démarche.",
    "Une évaluation doit être menée après deux ans.",
    "Les acteurs de terrain doivent disposer d'outils pratiques à cet effet.",
)
# A sentence naming a verified place of the 2018 annex, and that place (its hidden label matches).
MENTIONS = (
    ("Une attention particulière doit être portée aux victimes nigérianes.", EU_COUNTRY.NGA),
    ("Une structure équivalente doit être créée en Flandre.", EUROVOC["3061"]),
    ("Les autorités belges doivent s'y engager.", EU_COUNTRY.BEL),
)
QUALIFIERS = (
    "niveau politique",
    "comme Bruxelles",
    "comme Anvers",
    "en priorité",
    "niveau opérationnel",
)


def _of(town: str) -> str:
    """The French preposition before a town's name: "de Namur", "d'Anvers"."""
    return f"d'{town}" if town[0] in "AEIOUYÉ" else f"de {town}"


def slug(text: str) -> str:
    """Lowercase ASCII with hyphens, as our slugs are derived from French names."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _shared(
    base: Graph, rng: random.Random, actor_budget: int, years: list[int]
) -> tuple[Graph, list[URIRef]]:
    """Actors, themes, places and reports: the 2018 annex's and synthetic ones."""
    graph = Graph()
    recommendations = set(base.subjects(RDF.type, THB.Recommendation))
    owned = {o for r in recommendations for o in base.objects(r, THB.qualifiedAddressing)}
    for s, p, o in base:
        if s not in recommendations and s not in owned:
            graph.add((s, p, o))

    def actor(iri: URIRef, fr: str, en: str, level: str, parent: URIRef | None) -> None:
        graph.add((iri, RDF.type, THB.Actor))
        graph.add((iri, SKOS.prefLabel, Literal(fr, lang="fr")))
        graph.add((iri, SKOS.prefLabel, Literal(f"{en} (synthetic)", lang="en")))
        graph.add((iri, THB.level, LEVEL[level]))
        if parent is not None:
            graph.add((iri, ORG.subOrganizationOf, parent))

    for name, fr, en, level in GROUPS:
        actor(resource(f"actor/{name}"), fr, en, level, None)
    bodies = [(kind, town) for town in TOWNS for kind in KINDS]
    rng.shuffle(bodies)
    made = 0
    for (fr, en, parent, level), town in bodies:
        if made >= actor_budget:
            break
        name = fr.format(_of(town))
        iri = resource(f"actor/{slug(name)}")
        actor(iri, name, en.format(town.replace("-", " ")), level, parent)
        made += 1
        if rng.random() < 0.25 and made < actor_budget:
            unit_fr, unit_en = (
                UNIT[0].format(name),
                UNIT[1].format(en.format(town.replace("-", " "))),
            )
            actor(resource(f"actor/{slug(unit_fr)}"), unit_fr, unit_en, level, iri)
            made += 1

    for phenomenon, sections in SECTIONS.items():
        for fr, en in sections:
            theme = resource(f"theme/{slug(fr)}")
            graph.add((theme, RDF.type, THB.Theme))
            graph.add((theme, SKOS.inScheme, THEME_SCHEME))
            graph.add((theme, SKOS.broader, phenomenon))
            graph.add((theme, SKOS.prefLabel, Literal(fr, lang="fr")))
            graph.add((theme, SKOS.prefLabel, Literal(f"{en} (synthetic)", lang="en")))
            heading = f"{PHENOMENON_HEADING[phenomenon]} : {fr.upper()}"
            graph.add((theme, THB.headingText, Literal(heading, lang="fr")))

    for year in years:
        report = resource(f"report/rapport-annuel-synthetique-{year}")
        graph.add((report, RDF.type, THB.Report))
        graph.add((report, DCTERMS.title, Literal(f"Rapport annuel synthétique {year}", lang="fr")))
        graph.add((report, DCTERMS.title, Literal(f"Synthetic annual report {year}", lang="en")))
        graph.add((report, DCTERMS.publisher, MYRIA))
        issued = f"{year}-{rng.randint(6, 12):02d}-{rng.randint(1, 28):02d}"
        graph.add((report, DCTERMS.issued, Literal(issued, datatype=XSD.date)))
        graph.add((report, DCTERMS.language, EU_LANGUAGE.FRA))
        graph.add((report, DCTERMS.language, EU_LANGUAGE.NLD))
    leaves = sorted(
        a
        for a in graph.subjects(RDF.type, THB.Actor)
        if not any(graph.subjects(ORG.subOrganizationOf, a)) and a != MYRIA
    )
    return graph, leaves


def _literal(text: str, lang: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


def _iri(iri: URIRef) -> str:
    return f"<{iri}>"


def recommendations(
    shared: Graph, leaves: list[URIRef], count: int, years: list[int], rng: random.Random
) -> Iterator[tuple[URIRef, dict]]:
    """Each recommendation as its IRI and its fields, in identifier order."""
    actors = sorted(shared.subjects(RDF.type, THB.Actor))
    actors.remove(MYRIA)
    label = {}
    for a in actors:
        label[a] = next(str(o) for o in shared.objects(a, SKOS.prefLabel) if o.language == "fr")
    sections = sorted(shared.subjects(THB.headingText, None))
    per_year = [
        count // len(years) + (1 if i < count % len(years) else 0) for i in range(len(years))
    ]
    index = 0
    for year, size in zip(years, per_year, strict=True):
        first = rng.randint(1, 40)  # annexes do not all start at 1
        for sequence in range(first, first + size):
            addressees = rng.sample(actors, min(len(actors), rng.choice((1, 1, 1, 2, 2, 3, 4))))
            if index < len(leaves) and leaves[index] not in addressees:
                addressees[0] = leaves[index]  # every leaf actor is addressed at least once
            addressees = sorted(set(addressees))
            index += 1
            text = f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(COMPLEMENTS)}."
            if rng.random() < 0.4:
                text += " " + rng.choice(SECOND)
            mentions = []
            if rng.random() < 0.1:
                sentence, place = rng.choice(MENTIONS)
                text += " " + sentence
                mentions.append(place)
            qualified = []
            if rng.random() < 0.12:
                qualified.append((rng.choice(addressees), rng.choice(QUALIFIERS)))
            qualifier_of = dict(qualified)
            cells = [
                label[a] + (f" ({qualifier_of[a]})" if a in qualifier_of else "")
                for a in addressees
            ]
            cell = cells[0] if len(cells) == 1 else " ".join(f"- {c}" for c in cells)
            yield (
                resource(f"recommendation/{year}-{sequence}"),
                {
                    "year": year,
                    "sequence": sequence,
                    "text": text,
                    "theme": rng.choice(sections),
                    "report": resource(f"report/rapport-annuel-synthetique-{year}"),
                    "addressees": addressees,
                    "cell": cell,
                    "qualified": qualified,
                    "mentions": mentions,
                },
            )


def _turtle(iri: URIRef, rec: dict) -> str:
    """One recommendation in Turtle, with the prefixes of ``PREFIXES``."""
    identifier = f"{rec['year']}/{rec['sequence']}"
    lines = [
        f"{_iri(iri)} a thb:Recommendation ;",
        f"    dcterms:identifier {_literal(identifier)} ;",
        f'    thb:year "{rec["year"]}"^^xsd:gYear ;',
        f'    thb:sequence "{rec["sequence"]}"^^xsd:positiveInteger ;',
        f"    rdfs:label {_literal('Recommandation ' + identifier, 'fr')}, "
        f"{_literal('Recommendation ' + identifier, 'en')} ;",
        f"    thb:text {_literal(rec['text'], 'fr')} ;",
        f"    thb:theme {_iri(rec['theme'])} ;",
        f"    dcterms:isPartOf {_iri(rec['report'])} ;",
        "    thb:addressedTo " + ", ".join(_iri(a) for a in rec["addressees"]) + " ;",
        f"    thb:addresseeText {_literal(rec['cell'], 'fr')} ;",
    ]
    for actor, qualifier in rec["qualified"]:
        lines.append(
            f"    thb:qualifiedAddressing [ a thb:Addressing ; thb:actor {_iri(actor)} ; "
            f"thb:qualifier {_literal(qualifier, 'fr')} ] ;"
        )
    if rec["mentions"]:
        lines.append("    thb:mentions " + ", ".join(_iri(m) for m in rec["mentions"]) + " ;")
    lines[-1] = lines[-1].removesuffix(" ;") + " ."
    return "\n".join(lines) + "\n\n"


PREFIXES = {
    "thb": str(THB),
    "dcterms": str(DCTERMS),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "org": str(ORG),
    "foaf": str(FOAF),
    "prov": str(PROV),
}
HEADER = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())


def _ntriples(graph: Graph) -> str:
    """A small graph as sorted N-Triples lines (valid Turtle), so the output is reproducible."""
    return "".join(sorted(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in graph)) + "\n"


# ------------------------------------------------------------------ the inferred graph


def _superclasses(ontology: Graph) -> dict[URIRef, set[URIRef]]:
    """Every named class -> its named superclasses (rdfs:subClassOf, transitively)."""
    direct: dict[URIRef, set[URIRef]] = defaultdict(set)
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            direct[sub].add(sup)
    closed = {}
    for cls in list(direct):
        seen, stack = set(), list(direct[cls])
        while stack:
            sup = stack.pop()
            if sup not in seen:
                seen.add(sup)
                stack.extend(direct.get(sup, ()))
        closed[cls] = seen
    return closed


def _ancestors(parent: dict[URIRef, set[URIRef]], node: URIRef) -> set[URIRef]:
    seen, stack = set(), list(parent.get(node, ()))
    while stack:
        up = stack.pop()
        if up not in seen:
            seen.add(up)
            stack.extend(parent.get(up, ()))
    return seen


def infer_shared(shared: Graph, ontology: Graph) -> Graph:
    """What OWL entails about the actors, themes, reports and places."""
    inferred = Graph()
    supers = _superclasses(ontology)
    for s, cls in shared.subject_objects(RDF.type):
        if isinstance(s, URIRef):
            for sup in supers.get(cls, ()):
                inferred.add((s, RDF.type, sup))
    parent: dict[URIRef, set[URIRef]] = defaultdict(set)
    for child, up in shared.subject_objects(ORG.subOrganizationOf):
        parent[child].add(up)
    for child in parent:
        for up in _ancestors(parent, child):
            inferred.add((child, ORG.transitiveSubOrganizationOf, up))
    for s, o in shared.subject_objects(THB.legalDefinition):
        inferred.add((s, DCTERMS.references, o))
    for triple in shared:
        inferred.remove(triple)
    return inferred


def infer_recommendation(iri: URIRef, rec: dict, shared: Graph, parent: dict) -> Iterator[tuple]:
    """What OWL entails about one recommendation (see the module's docstring)."""
    yield iri, RDF.type, PROV.Entity
    yield iri, DCTERMS.subject, rec["theme"]
    for place in rec["mentions"]:
        yield iri, DCTERMS.references, place
    concerned = set(rec["addressees"])
    for actor in rec["addressees"]:
        concerned |= _ancestors(parent, actor)
    for actor in sorted(concerned):
        yield iri, THB.concerns, actor
    if len(rec["addressees"]) >= 2:
        yield iri, RDF.type, THB.MultiAddresseeRecommendation
    if POLICE in concerned:
        yield iri, RDF.type, THB.LawEnforcementRecommendation
    if MAGISTRACY in concerned:
        yield iri, RDF.type, THB.JudiciaryRecommendation
    if any((a, THB.level, LEVEL["federal"]) in shared for a in rec["addressees"]):
        yield iri, RDF.type, THB.FederalLevelRecommendation
    phenomena = set(shared.objects(rec["theme"], SKOS.broader))
    if TRAFFICKING in phenomena:
        yield iri, RDF.type, THB.TraffickingRecommendation
    if SMUGGLING in phenomena:
        yield iri, RDF.type, THB.SmugglingRecommendation


def _term(node: URIRef) -> str:
    if node == RDF.type:
        return "a"
    for prefix, namespace in PREFIXES.items():
        if node.startswith(namespace) and re.fullmatch(r"[A-Za-z][\w-]*", node[len(namespace) :]):
            return f"{prefix}:{node[len(namespace) :]}"
    return _iri(node)


def _inferred_turtle(subject: URIRef, triples: Iterable[tuple]) -> str:
    body = ";\n    ".join(f"{_term(p)} {_term(o)}" for _, p, o in sorted(set(triples)))
    return f"{_iri(subject)} {body} .\n\n"


# ------------------------------------------------------------------ the command


def generate(count: int, data_path: Path, inferred_path: Path, seed: int) -> tuple[int, int]:
    """Write the data and inferred graphs; return their triple counts."""
    settings = Settings()
    rng = random.Random(seed)
    base, ontology = load_graph(settings.data), load_graph([settings.ontology])
    years = list(range(2024 - max(3, min(30, count // 1000 + 2)) + 1, 2025))
    base_leaves = sum(1 for _ in base.subjects(RDF.type, THB.Actor))
    shared, leaves = _shared(base, rng, max(4, min(count // 4 - base_leaves, 1000)), years)
    if count < len(leaves):
        raise SystemExit(f"--recommendations must be at least {len(leaves)} (one per leaf actor)")
    parent: dict[URIRef, set[URIRef]] = defaultdict(set)
    for child, up in shared.subject_objects(ORG.subOrganizationOf):
        parent[child].add(up)
    shared_inferred = infer_shared(shared, ontology)
    data_triples, inferred_triples = len(shared), len(shared_inferred)
    with (
        data_path.open("w", encoding="utf-8") as data,
        inferred_path.open("w", encoding="utf-8") as inf,
    ):
        data.write(
            f"# Synthetic thbkg data: {count} recommendations, seed {seed} (bench/generate.py).\n"
        )
        data.write(HEADER + "\n" + _ntriples(shared))
        inf.write(f"# What OWL entails from {data_path.name} (bench/generate.py's rules).\n")
        inf.write(HEADER + "\n" + _ntriples(shared_inferred))
        for iri, rec in recommendations(shared, leaves, count, years, rng):
            data.write(_turtle(iri, rec))
            data_triples += (
                10 + len(rec["addressees"]) + len(rec["mentions"]) + 4 * len(rec["qualified"])
            )
            entailed = list(infer_recommendation(iri, rec, shared, parent))
            inf.write(_inferred_turtle(iri, entailed))
            inferred_triples += len(entailed)
    return data_triples, inferred_triples


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recommendations", "-n", type=int, required=True, help="how many")
    parser.add_argument("-o", "--output", type=Path, required=True, help="data graph (Turtle)")
    parser.add_argument(
        "--inferred", type=Path, help="inferred graph (default: OUTPUT's stem + .inferred.ttl)"
    )
    parser.add_argument("--seed", type=int, default=2018, help="random seed (default 2018)")
    args = parser.parse_args(argv)
    if args.recommendations < 1:
        parser.error("--recommendations must be positive")
    inferred = args.inferred or args.output.with_name(
        args.output.name.removesuffix(".ttl") + ".inferred.ttl"
    )
    data_triples, inferred_triples = generate(
        args.recommendations, args.output, inferred, args.seed
    )
    print(f"{args.output}: {data_triples} triples; {inferred}: {inferred_triples} triples")


if __name__ == "__main__":
    main()
