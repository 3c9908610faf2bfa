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

#: Names accepted by the ``engine`` setting (``THBKG_ENGINE``): Oxigraph alone evaluates
#: queries since the store (issue 8); rdflib still parses and guards them.
ENGINES = ("oxigraph",)
GIB = 1 << 30


@dataclass(frozen=True)
class Settings:
    """Everything the core needs, passed explicitly; nothing is read at import time."""

    data: tuple[Path, ...] = (ROOT / "data" / "annex2018.ttl",)
    inferred: tuple[Path, ...] = (ROOT / "data" / "annex2018.inferred.ttl",)
    annotations: tuple[Path, ...] = (ROOT / "data" / "annotations.ttl",)
    links: tuple[Path, ...] = (ROOT / "data" / "links.ttl",)
    ontology: Path = ROOT / "ontology" / "thbkg.ttl"
    shapes: Path = ROOT / "shapes" / "thbkg.shacl.ttl"
    authorities: Path = ROOT / "data" / "authorities.ttl"
    source: Path = ROOT / "data" / "sources" / "annex2018.fr.txt"
    queries: Path = ROOT / "queries"
    query_timeout: float = 10.0
    max_rows: int = 10_000
    max_body: int = 100_000
    engine: str = "oxigraph"  # SPARQL engine (THBKG_ENGINE); the only one since the store
    query_memory: int = GIB  # data (heap) each query worker may use, in bytes
    query_workers: int = 2  # query worker processes
    query_queue: int = 16  # queries running or waiting at once; more get 503 + Retry-After
    queries_per_client: int = 4  # of those, per client address; more get 429 + Retry-After
    proxy_hops: int = 0  # trusted reverse proxies in front of the server (X-Forwarded-*)
    cache_max_age: int = 3600  # seconds a cache may reuse a response (Cache-Control max-age)
    # Bytes of pages and descriptions the server keeps in its response cache (0: none).
    response_cache: int = 64 << 20
    # Where `thbkg serve` without --store keeps the store it builds from the shipped data.
    cache: Path | None = None  # THBKG_CACHE; else $XDG_CACHE_HOME/thbkg or ~/.cache/thbkg
    endpoint_timeout: float = 10.0  # seconds a --sparql-endpoint may take to answer
    # ... and to answer each of the start-up's reads (the VoID counts, the search index).
    endpoint_start_timeout: float = 600.0
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
        """A copy with the given fields replaced; ``None`` values are ignored. Other data
        drops the annotations unless they are given too: the curators' tags belong to the
        recommendations they were made on."""
        changes = {k: v for k, v in overrides.items() if v is not None}
        if "data" in changes and "annotations" not in changes:
            changes["annotations"] = ()
        return replace(self, **changes)


def _engine(name: str) -> str:
    """A SPARQL engine name, checked here so a typo stops the command with a usage error."""
    if name not in ENGINES:
        raise ValueError(f"the SPARQL engine must be one of {', '.join(ENGINES)}")
    return name


def byte_size(text: str) -> int:
    """A size in bytes, or with a unit: ``1073741824``, ``512M``, ``1G`` (powers of 1024)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    factor = units.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in units else text
    try:
        return positive_limit(int(float(number) * factor))
    except ValueError:
        raise ValueError("give a positive size in bytes, or with K, M or G (512M, 1G)") from None


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


def _size_or_none(text: str) -> int:
    """A size as ``byte_size`` reads it, or 0 for none."""
    return 0 if text.strip() == "0" else byte_size(text)


_ENV_CASTS = {
    "query_timeout": _positive(float),
    "max_rows": _positive(int),
    "max_body": _positive(int),
    "engine": _engine,
    "proxy_hops": _count,
    "cache_max_age": _count,
    "response_cache": _size_or_none,
    "query_memory": byte_size,
    "query_workers": _positive(int),
    "query_queue": _positive(int),
    "queries_per_client": _positive(int),
    "endpoint_timeout": _positive(float),
    "endpoint_start_timeout": _positive(float),
    "cache": Path,
    "connection_limit": _positive(int),
    "client_timeout": _positive(float),
}


def from_environment(environ: dict[str, str] | None = None) -> Settings:
    """Defaults overridden by THBKG_QUERY_TIMEOUT, THBKG_MAX_ROWS, THBKG_MAX_BODY, THBKG_ENGINE,
    THBKG_PROXY_HOPS, THBKG_CACHE_MAX_AGE, THBKG_RESPONSE_CACHE, THBKG_QUERY_MEMORY,
    THBKG_QUERY_WORKERS, THBKG_QUERY_QUEUE, THBKG_QUERIES_PER_CLIENT, THBKG_ENDPOINT_TIMEOUT,
    THBKG_ENDPOINT_START_TIMEOUT, THBKG_CACHE,
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
