"""``thbkg build``: parse, validate and write a store directory that ``thbkg serve`` opens as is.

A store directory holds ``manifest.json`` (what it was built from and what was checked) and
``oxigraph/``, pyoxigraph's on-disk store with one named graph per source (``graph/data``,
``graph/ontology``, ``graph/inferred`` ...), ``search/``, the search index, and ``downloads/``,
the whole graph in every download format as Oxigraph serialized it (the store never changes
once built, so the server sends these files instead of serializing the graph for each download).
It is built in a temporary directory next to the target and swapped into place in one step, so
a failure or Ctrl-C leaves the previous store as it was.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import signal
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.util import guess_format

from . import __version__, formats
from .characters import check_file
from .config import Settings
from .describe import DOWNLOAD_FORMATS, Statistics, download_name, graph_sizes, statistics
from .errors import LoadError, StoreRefused, StoreUnavailable, ThbkgError, ValidationFailed
from .graph import load_graph, parse_into
from .lifecycle import end_with_parent
from .namespaces import bind_prefixes, graph_iri
from .search import INDEX_DIR, build_index
from .store import OXIGRAPH_DIR, EmbeddedStore, RemoteStore, Store

MANIFEST = "manifest.json"
#: The layout version of a store directory; a store of another layout must be rebuilt.
LAYOUT = 4  # 2: the search index (search/); 3: downloads' checksums; 4: the downloads (downloads/)
#: The directory inside a built store that holds the downloads, named as their paths end.
DOWNLOADS_DIR = "downloads"
#: Named graphs that pySHACL validates (the ontology is the shapes' vocabulary; the inferred
#: graph is what the reasoner entails from a graph that was validated).
VALIDATED = ("data", "annotations", "links")
_OX_PARSERS = {
    "turtle": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
    "json-ld": ox.RdfFormat.JSON_LD,
    "n3": ox.RdfFormat.N3,
}


def sha256(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file(path: Path) -> dict[str, str]:
    return {"path": str(Path(path).resolve()), "sha256": sha256(path)}


@dataclass(frozen=True)
class Manifest:
    """What a built store records about itself (``STORE/manifest.json``)."""

    data: dict

    @property
    def statistics(self) -> Statistics:
        """The VoID figures counted when the store was built."""
        return Statistics.from_json(self.data["void"])

    @property
    def version(self) -> str:
        """A fingerprint of the build: it changes with anything the store was built from."""
        return hashlib.sha256(json.dumps(self.data, sort_keys=True).encode()).hexdigest()

    @property
    def graphs(self) -> tuple[URIRef, ...]:
        """The named graphs the store holds."""
        return tuple(URIRef(g) for g in self.data["graphs"])


def read_manifest(
    location: Path, settings: Settings, parts: tuple[str, ...] = (OXIGRAPH_DIR, DOWNLOADS_DIR)
) -> Manifest:
    """The manifest of a store that may be served with ``settings``; StoreRefused otherwise.

    Refused, with a message saying to rebuild: no manifest, a store that was not validated, or
    one built from shapes or an ontology other than the ones this server documents and serves,
    or one without the ``parts`` (directories) that will be read.
    """
    location = Path(location)
    rebuild = f"rebuild it with: thbkg build DATA... -o {location}"
    build_it = rebuild.replace("rebuild", "build")
    path = location / MANIFEST
    if not location.is_dir():
        raise StoreRefused(f"{location}: no such store directory; {build_it}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreRefused(
            f"{location} has no {MANIFEST}: it is not a store thbkg built; {rebuild}"
        ) from None
    except (OSError, ValueError) as exc:
        raise StoreRefused(f"{path} cannot be read ({exc}); {rebuild}") from None
    if not isinstance(data, dict) or data.get("layout") != LAYOUT:
        raise StoreRefused(f"{path}: a store of another layout or thbkg version; {rebuild}")
    verdict = data.get("validation") or {}
    if verdict.get("conforms") is not True:
        raise StoreRefused(f"{location} was not validated against the shapes; {rebuild}")
    for what in ("shapes", "ontology"):
        served = getattr(settings, what)
        built = (data.get(what) or {}).get("sha256")
        if built != sha256(served):
            raise StoreRefused(
                f"{location} was built with other {what} than {served} (SHA-256 {built} in its "
                f"manifest); {rebuild}"
            )
    for directory in parts:
        if not (location / directory).is_dir():
            raise StoreRefused(f"{location} has no {directory}/ directory; {rebuild}")
    return Manifest(data)


def _parse(path: Path) -> Graph:
    """One source file as an rdflib graph (for validation); LoadError with file:line:column."""
    return parse_into(bind_prefixes(Graph()), path)


def _format(path: Path) -> ox.RdfFormat:
    return _OX_PARSERS.get(guess_format(str(path)) or "turtle", ox.RdfFormat.TURTLE)


def _syntax(path: Path, rdf_format: ox.RdfFormat, exc: SyntaxError) -> LoadError:
    """Oxigraph's parse error as ours: file:line:column, then what is wrong."""
    where = f":{exc.lineno}:{exc.offset}" if exc.lineno else ""
    reason = re.sub(r"^Parser error at line \d+ column \d+: ", "", str(exc.msg))
    return LoadError(f"{path}{where}: cannot parse as {rdf_format.name}: {reason}")


def _load(store: ox.Store, path: Path, name: URIRef) -> None:
    """Bulk-load one file into a named graph with Oxigraph's own parser."""
    check_file(path)  # the inferred graph reaches the store without rdflib's parse_into
    rdf_format = _format(path)
    try:
        store.bulk_load(path=str(path), format=rdf_format, to_graph=ox.NamedNode(str(name)))
    except SyntaxError as exc:
        raise _syntax(path, rdf_format, exc) from None


def _validate(data: Graph, settings: Settings, shapes: Graph, ontology: Graph) -> dict:
    """pySHACL over the validated graphs; ValidationFailed (exit 1, the report) when they break
    the shapes."""
    import pyshacl  # only a build validates: serving never imports it

    from .validate import validate_graph

    report = validate_graph(data, settings, shapes=shapes, ontology=ontology)
    if not report.conforms:
        raise ValidationFailed(f"the data does not conform to the shapes:\n{report.text()}", report)
    return {
        "conforms": True,
        "validator": f"pySHACL {pyshacl.__version__}",
        "results": len(report.results),
        "graphs": [str(graph_iri(n)) for n in VALIDATED if settings.graph_sources()[n]],
    }


def _validate_sources(settings: Settings, sources: dict[str, tuple[Path, ...]]) -> dict:
    """Parse the validated graphs with rdflib (what pySHACL reads) and validate them; the
    verdict for the manifest."""
    data = bind_prefixes(Graph())
    for name in VALIDATED:
        for path in sources.get(name, ()):
            parse_into(data, path)
    ontology = load_graph(sources["ontology"])
    return _validate(data, settings, _parse(settings.shapes), ontology)


def _send_verdict(conn: Connection, settings: Settings, sources: dict, parent: int) -> None:
    end_with_parent(parent, signal.SIGKILL)
    try:
        reply = (True, _validate_sources(settings, sources))
    except ThbkgError as exc:
        reply = (False, exc)
    except Exception as exc:  # a bug: its message, not a hang
        reply = (False, ThbkgError(f"validation failed unexpectedly: {exc!r}"))
    conn.send(reply)


class _Validation:
    """Validation in another process while this one loads the store, so that the two halves
    of a build run on a core each (issue 8's build target).

    Forked when this process has one thread (the CLI's build): the child starts at once, with
    the modules already imported. Spawned otherwise (a server building its cached store): a
    fork would copy locks other threads hold."""

    def __init__(self, settings: Settings, sources: dict[str, tuple[Path, ...]]) -> None:
        alone = threading.active_count() == 1
        context = multiprocessing.get_context("fork" if alone else "spawn")
        self._conn, theirs = context.Pipe(duplex=False)
        # Not a daemon: validation runs its chunks in processes of its own. ``stop`` ends it.
        self._process = context.Process(
            target=_send_verdict, args=(theirs, settings, sources, os.getpid())
        )
        self._process.start()
        theirs.close()
        self._reply: tuple[bool, object] | None = None

    def verdict(self) -> dict:
        """The manifest's verdict, once the validation has ended; its own error
        (ValidationFailed, LoadError) when it has one."""
        if self._reply is None:
            try:
                self._reply = self._conn.recv()
            except EOFError:
                self._process.join()
                raise ThbkgError(
                    f"validation ended without a verdict (exit code {self._process.exitcode})"
                ) from None
        ok, value = self._reply
        if not ok:
            raise value
        return value

    def check(self) -> None:
        """Raise the validation's error now if it has already ended with one: an invalid
        graph stops the build without waiting for the store."""
        if self._reply is not None or self._conn.poll():
            self.verdict()

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._conn.close()


def _literals(quads: Iterable[ox.Quad | ox.Triple]) -> set[tuple[object, ...]]:
    """The literal-valued triples, keyed so that blank-node subjects (named apart by each
    parse) compare equal."""
    return {
        (q.subject if isinstance(q.subject, ox.NamedNode) else None, q.predicate, q.object)
        for q in quads
        if isinstance(q.object, ox.Literal)
    }


def _check_literals(name: str, paths: Iterable[Path], store: EmbeddedStore) -> None:
    """Refuse a graph whose literals the store would not give back as written.

    Oxigraph's parser reads a literal as written, but its storage rewrites some (derived
    integer types, non-canonical numbers); the store restores declared types (see
    store.Retyper). Anything else it changed is named here, with how to write it so that it
    survives, instead of being published altered."""
    written: set[tuple[object, ...]] = set()
    for path in paths:
        written |= _literals(ox.parse(path=str(path), format=_format(path)))
    iri = ox.NamedNode(str(graph_iri(name)))
    stored = _literals(
        map(store.retyper.quad, store.store.quads_for_pattern(None, None, None, iri))
    )
    changed = written - stored
    if not changed:
        return
    shown = "; ".join(f"{p} {o}" for _, p, o in sorted(changed, key=str)[:5])
    raise LoadError(
        f"graph/{name}: the store would change {len(changed)} literal(s), e.g. {shown}; "
        "write numbers in canonical form (no leading zeros or '+') and give derived integer "
        "types only to properties whose rdfs:range declares them"
    )


def _write_downloads(store: EmbeddedStore, directory: Path) -> dict[str, tuple[str, int]]:
    """Write every download into ``directory`` as the server will send it, and return the
    SHA-256 and size of each, for the distributions of the dataset description."""
    from .catalogue import dump

    directory.mkdir()
    found = {}
    for fmt in DOWNLOAD_FORMATS:
        digest, size = hashlib.sha256(), 0
        with (directory / download_name(fmt)).open("wb") as out:
            for chunk in dump(store, fmt):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        found[fmt.suffix] = (digest.hexdigest(), size)
    return found


def build(settings: Settings, out: Path) -> Manifest:
    """Parse, validate and write the store of ``settings``' sources to ``out``, atomically."""
    started = time.monotonic()
    out = Path(out).absolute()
    sources = {name: tuple(paths) for name, paths in settings.graph_sources().items() if paths}
    out.parent.mkdir(parents=True, exist_ok=True)
    # rdflib reads what pySHACL validates, in another process; Oxigraph's own parser loads
    # every file into the store here, meanwhile. Nothing is moved into place unless both pass.
    validation = _Validation(settings, sources)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        try:
            stats, indexed = _write_store(scratch, sources, validation.check)
        except Exception:
            validation.verdict()  # its error (a parse error, say) comes first, as it always did
            raise
        verdict = validation.verdict()
        manifest = {
            "layout": LAYOUT,
            "thbkg": __version__,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "sources": _sources_of(settings),
            "shapes": _file(settings.shapes),
            "ontology": _file(settings.ontology),
            "validation": verdict,
            "graphs": {str(graph_iri(n)): stats.graphs.get(graph_iri(n), 0) for n in sources},
            "void": stats.to_json(),
            "search": {"directory": INDEX_DIR, "recommendations": indexed},
        }
        manifest["buildSeconds"] = round(time.monotonic() - started, 3)
        (scratch / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        _swap_into_place(scratch, out)
    finally:
        validation.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return Manifest(manifest)


def _write_store(
    scratch: Path, sources: dict[str, tuple[Path, ...]], check: Callable[[], None]
) -> tuple[Statistics, int]:
    """Load the sources into Oxigraph's on-disk store in ``scratch``, check their literals,
    write the downloads and the search index, calling ``check`` between steps; the VoID
    figures and how many recommendations the index holds. The store is closed on return,
    before the directory moves."""
    store = ox.Store(str(scratch / OXIGRAPH_DIR))
    for name, paths in sources.items():
        store.add_graph(ox.NamedNode(str(graph_iri(name))))
        for path in paths:
            _load(store, path, graph_iri(name))
    store.optimize()
    embedded = EmbeddedStore(store)
    for name, paths in sources.items():
        _check_literals(name, paths, embedded)
    check()
    files = _write_downloads(embedded, scratch / DOWNLOADS_DIR)
    check()
    stats = replace(statistics(embedded), files=files)
    indexed = build_index(embedded, scratch / INDEX_DIR)
    store.flush()
    return stats, indexed


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _swap_into_place(built: Path, out: Path) -> None:
    """Put ``built`` at ``out``; the previous store ends up at ``built`` (removed by the caller).

    With renameat2 the swap is one atomic step; elsewhere the old store is moved aside first
    and moved back if the second rename fails."""
    if out.exists() and not out.is_dir():
        raise LoadError(f"{out} exists and is not a directory: a store is a directory")
    if not out.exists():
        os.rename(built, out)
        return
    if out.is_dir() and _exchange(built, out):
        return
    aside = built.with_name(built.name + ".previous")
    os.rename(out, aside)
    try:
        os.rename(built, out)
    except OSError:
        os.rename(aside, out)
        raise
    shutil.rmtree(aside)


def _sources_of(settings: Settings) -> dict[str, list[dict[str, str]]]:
    return {
        name: [_file(p) for p in paths] for name, paths in settings.graph_sources().items() if paths
    }


def cached_store(settings: Settings) -> Path:
    """The store of ``settings``' sources in the cache, built first when missing or stale.

    Stale means built by another thbkg version, or from sources, shapes or an ontology whose
    SHA-256 differs from the files' now. One cache entry per list of source paths."""
    key = hashlib.sha256(
        json.dumps(
            {n: [str(Path(p).resolve()) for p in ps] for n, ps in settings.graph_sources().items()}
        ).encode()
    ).hexdigest()[:16]
    location = settings.cache_dir() / f"store-{key}"
    try:
        manifest = read_manifest(location, settings)
    except StoreRefused:
        manifest = None
    if (
        manifest is None
        or manifest.data.get("thbkg") != __version__
        or manifest.data.get("sources") != _sources_of(settings)
    ):
        build(settings, location)
    return location


def push(location: Path, url: str, timeout: float = 60.0) -> dict[str, int]:
    """Load every named graph of a built store into a Graph Store Protocol endpoint (HTTP PUT
    ``URL?graph=IRI`` with N-Triples), replacing what it held under those names."""
    store = EmbeddedStore.open(location)
    sent = {}
    for name in store.graph_names():
        with tempfile.TemporaryFile() as body:
            for chunk in store.dump(formats.NTRIPLES, name):
                body.write(chunk)
            size = body.tell()
            body.seek(0)
            separator = "&" if "?" in url else "?"
            target = f"{url}{separator}{urllib.parse.urlencode({'graph': str(name)})}"
            request = urllib.request.Request(
                target,
                data=body,
                method="PUT",
                headers={"Content-Type": formats.NTRIPLES.media_type, "Content-Length": str(size)},
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                    response.read()
            except urllib.error.HTTPError as exc:
                detail = exc.read(300).decode("utf-8", "replace").strip()
                raise StoreUnavailable(f"{url} refused graph {name}: {exc.code} {detail}") from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise StoreUnavailable(f"cannot push to {url}: {reason}") from None
        sent[str(name)] = store.count(name)
    return sent


@dataclass(frozen=True)
class Site:
    """What the server reads: the store, its VoID figures, and a version that changes with it."""

    store: Store
    stats: Statistics
    version: str
    search: Path | None = None  # the search index built with the store, if there is one
    downloads: Path | None = None  # the downloads written by the build, if there are any


def open_built(location: Path, settings: Settings) -> Site:
    """A built store, checked (read_manifest) and opened read-only; nothing is validated again."""
    manifest = read_manifest(location, settings)
    store = EmbeddedStore.open(location)
    return Site(
        store, manifest.statistics, manifest.version, location / INDEX_DIR, location / DOWNLOADS_DIR
    )


def open_endpoint(url: str, settings: Settings, built: Path | None = None) -> Site:
    """An external SPARQL endpoint holding our named graphs. Its figures are counted and its
    search index is built once, at start, each request given ``endpoint_start_timeout``
    (counting a million triples takes an endpoint longer than a page's read may); the index
    lives in a directory removed with the site. When the endpoint's own default graph is the
    union of our graphs, requests use it instead of naming them.

    With ``built``, the store that was pushed there, nothing is counted or indexed: see
    ``_open_pushed``."""
    if built is not None:
        return _open_pushed(url, settings, Path(built))
    names = [graph_iri(name) for name in settings.graph_sources()]
    store = RemoteStore(url, names, settings.endpoint_start_timeout)
    stats = statistics(store)
    if not stats.triples:
        raise StoreUnavailable(
            f"the SPARQL endpoint {url} holds none of our graphs "
            f"({', '.join(str(n) for n in names)}); load them with: thbkg build DATA... "
            "-o STORE --push GRAPH-STORE-URL"
        )
    store.adopt_own_dataset(stats.triples)
    scratch = Path(tempfile.mkdtemp(prefix="thbkg-search-"))
    try:
        build_index(store, scratch / INDEX_DIR)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    store.timeout = settings.endpoint_timeout
    version = hashlib.sha256(json.dumps(stats.to_json(), sort_keys=True).encode()).hexdigest()
    site = Site(store, stats, version, scratch / INDEX_DIR)
    weakref.finalize(site, shutil.rmtree, scratch, ignore_errors=True)
    return site


def _open_pushed(url: str, settings: Settings, location: Path) -> Site:
    """An endpoint that holds what the store at ``location`` was built from (``thbkg build
    --push``): the build's figures, search index and downloads are served as they are, and the
    endpoint answers everything else. Its Oxigraph directory is not needed.

    Checked before anything is served: the endpoint holds each of the store's named graphs with
    the triple count the build counted; otherwise StoreRefused, since the search, the figures
    and the downloads would describe other data than the pages. (A change that keeps every
    count, a word edited in place, passes: push and serve the same build.)"""
    manifest = read_manifest(location, settings, parts=(DOWNLOADS_DIR, INDEX_DIR))
    stats = manifest.statistics
    store = RemoteStore(url, manifest.graphs, settings.endpoint_start_timeout)
    built, held = stats.graphs, graph_sizes(store)  # as the build counted them, and there
    if held != built:
        differences = "; ".join(
            f"<{iri}>: {built.get(iri, 0):,} triples in the store, {held.get(iri, 0):,} there"
            for iri in sorted(built.keys() | held.keys())
            if built.get(iri) != held.get(iri)
        )
        raise StoreRefused(
            f"the SPARQL endpoint {url} does not hold what {location} was built from "
            f"({differences}); push the store there (thbkg build DATA... -o {location} --push "
            "GRAPH-STORE-URL), or serve without --store to count and index what it holds"
        )
    store.adopt_own_dataset(stats.triples)
    store.timeout = settings.endpoint_timeout
    return Site(store, stats, manifest.version, location / INDEX_DIR, location / DOWNLOADS_DIR)
