"""Settings: paths, base IRI and limits. Defaults < environment (THBKG_*) < CLI flags."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TypeVar


def _shipped_root(package: Path) -> Path:
    """Where data/, ontology/, shapes/ and queries/ are: the checkout the package sits in, or,
    in an installed wheel, the copy shipped inside the package (``publish/shipped``)."""
    checkout = package.parent
    if (checkout / "ontology" / "thbkg.ttl").is_file():
        return checkout
    return package / "shipped"


ROOT = _shipped_root(Path(__file__).resolve().parent)
Number = TypeVar("Number", int, float)

#: Names accepted by the ``engine`` setting (``THBKG_ENGINE``, ``--engine``).
ENGINES = ("rdflib", "oxigraph")


@dataclass(frozen=True)
class Settings:
    """Everything the core needs, passed explicitly; nothing is read at import time."""

    data: tuple[Path, ...] = (ROOT / "data" / "annex2018.ttl",)
    inferred: tuple[Path, ...] = (ROOT / "data" / "annex2018.inferred.ttl",)
    ontology: Path = ROOT / "ontology" / "thbkg.ttl"
    shapes: Path = ROOT / "shapes" / "thbkg.shacl.ttl"
    authorities: Path = ROOT / "data" / "authorities.ttl"
    source: Path = ROOT / "data" / "sources" / "annex2018.fr.txt"
    queries: Path = ROOT / "queries"
    query_timeout: float = 10.0
    max_rows: int = 10_000
    max_body: int = 100_000
    engine: str = "rdflib"  # SPARQL engine: "rdflib" or "oxigraph" (THBKG_ENGINE)
    proxy_hops: int = 0  # trusted reverse proxies in front of the server (X-Forwarded-*)
    cache_max_age: int = 3600  # seconds a cache may reuse a response (Cache-Control max-age)
    # Files of the graphs issue 10 adds (graph/annotations, graph/links); none by default.
    annotations: tuple[Path, ...] = ()
    links: tuple[Path, ...] = ()
    # Where `thbkg serve` without --store keeps the store it builds from the shipped data.
    cache: Path | None = None  # THBKG_CACHE; else $XDG_CACHE_HOME/thbkg or ~/.cache/thbkg
    endpoint_timeout: float = 10.0  # seconds a --sparql-endpoint may take to answer
    # Production server (waitress): open connections at most, and the seconds a client has to
    # send a whole request (or that an idle connection stays open).
    connection_limit: int = 1000
    client_timeout: float = 20.0

    def cache_dir(self) -> Path:
        """The directory of the cached default store (read when needed, not at import)."""
        if self.cache is not None:
            return self.cache
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "thbkg"

    def graph_sources(self) -> dict[str, tuple[Path, ...]]:
        """Each named graph (``graph/NAME``) and the files it is built from, in build order:
        the one list that build, the store cache and serve read."""
        return {
            "data": self.data,
            "ontology": (self.ontology,),
            "inferred": self.inferred,
            "annotations": self.annotations,
            "links": self.links,
        }

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with the given fields replaced; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _engine(name: str) -> str:
    """A SPARQL engine name, checked here so a typo stops the command with a usage error."""
    if name not in ENGINES:
        raise ValueError(f"the SPARQL engine must be one of {', '.join(ENGINES)}")
    return name


def positive_limit(value: Number) -> Number:
    """A limit as given, refusing zero, negative, infinite and NaN, which would stop every query."""
    if not (value > 0 and math.isfinite(value)):
        raise ValueError("the limit must be a positive number")
    return value


def _positive(cast: Callable[[str], Number]) -> Callable[[str], Number]:
    return lambda text: positive_limit(cast(text))


def _count(text: str) -> int:
    """A whole number of zero or more (proxy hops, cache seconds)."""
    value = int(text)
    if value < 0:
        raise ValueError("the value must be zero or more")
    return value


_ENV_CASTS = {
    "query_timeout": _positive(float),
    "max_rows": _positive(int),
    "max_body": _positive(int),
    "engine": _engine,
    "proxy_hops": _count,
    "cache_max_age": _count,
    "endpoint_timeout": _positive(float),
    "cache": Path,
    "connection_limit": _positive(int),
    "client_timeout": _positive(float),
}


def from_environment(environ: dict[str, str] | None = None) -> Settings:
    """Defaults overridden by THBKG_QUERY_TIMEOUT, THBKG_MAX_ROWS, THBKG_MAX_BODY, THBKG_ENGINE,
    THBKG_PROXY_HOPS, THBKG_CACHE_MAX_AGE, THBKG_ENDPOINT_TIMEOUT, THBKG_CACHE,
    THBKG_CONNECTION_LIMIT, THBKG_CLIENT_TIMEOUT."""
    environ = os.environ if environ is None else environ
    overrides: dict[str, object] = {}
    for f in fields(Settings):
        key = f"THBKG_{f.name.upper()}"
        if f.name in _ENV_CASTS and key in environ:
            try:
                overrides[f.name] = _ENV_CASTS[f.name](environ[key])
            except ValueError as exc:
                raise ValueError(f"{key}={environ[key]!r}: {exc}") from None
    return Settings().with_overrides(**overrides)
