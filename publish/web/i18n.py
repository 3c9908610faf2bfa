"""The language of a page: ``?lang=fr|en``, else ``Accept-Language``, else English; its words."""

from __future__ import annotations

from collections.abc import Callable

from flask import Request

LANGUAGES = ("en", "fr")
DEFAULT = "en"

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "site": "Myria's recommendations on trafficking and smuggling",
        "home": "Recommendations",
        "ontology": "Ontology",
        "shapes": "Shapes",
        "dataset": "Dataset",
        "downloads": "Downloads",
        "recommendation": "Recommendation",
        "recommendations": "Recommendations",
        "theme": "Theme",
        "themes": "Themes",
        "actor": "Actor",
        "actors": "Actors",
        "report": "Report",
        "reports": "Reports",
        "year": "Year",
        "all": "All",
        "text": "Text (French, authoritative)",
        "addressed_to": "Addressed to",
        "addressee_text": "Addressee cell, verbatim",
        "qualifier": "qualified as",
        "part_of": "Part of",
        "parts": "Sub-organisations",
        "level": "Level of government",
        "labels": "Labels",
        "broader": "Broader theme",
        "narrower": "Narrower themes",
        "heading": "Section heading, verbatim",
        "links_out": "Links to other vocabularies",
        "legal": "Legal definition",
        "formats": "This resource as data",
        "properties": "Description",
        "referenced_by": "Referenced by",
        "concepts": "Concepts",
        "count": "count",
        "no_match": "No recommendation matches these filters.",
        "showing": "Showing",
        "of": "of",
        "filter_hint": "Filter by theme, actor (including its sub-organisations) or year.",
        "intro": "The recommendations that Myria, Belgium's Federal Migration Centre and "
        "independent rapporteur on trafficking and smuggling of human beings, addresses to "
        "public authorities in the annexes of its annual reports, as linked data. The text of "
        "each recommendation is the French original, verbatim.",
        "source": "Source",
        "triples": "triples",
        "entities": "entities",
        "publisher": "Publisher",
        "licence": "Licence",
        "classes": "Classes",
        "properties_h": "Properties",
        "targets": "Applies to",
        "message": "Message",
        "graph": "Named graph",
        "download": "Download",
        "media_type": "Media type",
        "statistics": "Statistics",
        "not_found": "Not found",
        "error": "Error",
        "language": "Language",
        "mentions": "Mentions",
        "concerns": "Concerns (inferred, with the organisations its addressees belong to)",
    },
    "fr": {
        "site": "Recommandations de Myria sur la traite et le trafic",
        "home": "Recommandations",
        "ontology": "Ontologie",
        "shapes": "Formes",
        "dataset": "Jeu de données",
        "downloads": "Téléchargements",
        "recommendation": "Recommandation",
        "recommendations": "Recommandations",
        "theme": "Thème",
        "themes": "Thèmes",
        "actor": "Acteur",
        "actors": "Acteurs",
        "report": "Rapport",
        "reports": "Rapports",
        "year": "Année",
        "all": "Toutes",
        "text": "Texte (français, fait foi)",
        "addressed_to": "Adressée à",
        "addressee_text": "Cellule « Destinataire », telle quelle",
        "qualifier": "précision",
        "part_of": "Fait partie de",
        "parts": "Sous-organisations",
        "level": "Niveau de pouvoir",
        "labels": "Libellés",
        "broader": "Thème plus large",
        "narrower": "Thèmes plus précis",
        "heading": "Intitulé de section, tel quel",
        "links_out": "Liens vers d'autres vocabulaires",
        "legal": "Définition légale",
        "formats": "Cette ressource en données",
        "properties": "Description",
        "referenced_by": "Cité par",
        "concepts": "Concepts",
        "count": "nombre",
        "no_match": "Aucune recommandation ne correspond à ces filtres.",
        "showing": "Affichage de",
        "of": "sur",
        "filter_hint": "Filtrer par thème, par acteur (avec ses sous-organisations) ou par année.",
        "intro": "Les recommandations que Myria, Centre fédéral Migration et rapporteur "
        "national indépendant sur la traite et le trafic des êtres humains, adresse aux "
        "autorités dans les annexes de ses rapports annuels, en données liées. Le texte de "
        "chaque recommandation est l'original français, tel quel.",
        "source": "Source",
        "triples": "triplets",
        "entities": "entités",
        "publisher": "Éditeur",
        "licence": "Licence",
        "classes": "Classes",
        "properties_h": "Propriétés",
        "targets": "S'applique à",
        "message": "Message",
        "graph": "Graphe nommé",
        "download": "Télécharger",
        "media_type": "Type de média",
        "statistics": "Statistiques",
        "not_found": "Introuvable",
        "error": "Erreur",
        "language": "Langue",
        "mentions": "Mentionne",
        "concerns": "Concerne (déduit, avec les organisations dont relèvent ses destinataires)",
    },
}


def choose_language(request: Request) -> str:
    """``?lang=`` when it names a language we have, else the best ``Accept-Language`` match."""
    asked = request.args.get("lang", "").strip().lower()
    if asked in LANGUAGES:
        return asked
    try:
        return request.accept_languages.best_match(LANGUAGES, default=DEFAULT) or DEFAULT
    except ValueError:  # a malformed header is no reason to fail the page
        return DEFAULT


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)``: the word for ``key`` in ``lang``, falling back to English."""
    table = MESSAGES.get(lang, MESSAGES[DEFAULT])

    def t(key: str) -> str:
        return table.get(key) or MESSAGES[DEFAULT].get(key, key)

    return t
