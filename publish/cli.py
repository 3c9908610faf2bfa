"""The ``thbkg`` command: a thin shell over the core, one subcommand per job."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import __version__
from .config import Settings, from_environment, positive_limit
from .errors import OutputError, ThbkgError
from .formats import by_name, query_outputs
from .lifecycle import exit_code_after_signal, exit_on_sigterm

_existing = click.Path(path_type=Path, dir_okay=False)


def _output(help: str, *, required: bool = False, directory: bool = False):  # noqa: A002
    """The ``-o/--output OUT`` option every writing command takes."""
    kind = {"file_okay": False} if directory else {"dir_okay": False}
    return click.option(
        "-o", "--output", "out", type=click.Path(path_type=Path, **kind), required=required,
        help=help,
    )  # fmt: skip


class _Group(click.Group):
    """Turns every ThbkgError into its message on stderr and its exit code, and every other
    I/O failure (standard output on a full disk or a closed pipe ...) into exit code 4."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ThbkgError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else "writing the output: "
            click.echo(f"error: {where}{exc.strerror or exc}", err=True)
            # What is still buffered for stdout would fail again when Python exits.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(OutputError.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="thbkg")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Publish Myria's recommendations on trafficking and smuggling as linked data."""
    exit_on_sigterm()
    try:
        ctx.obj = from_environment()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


@main.command()
@click.argument("sources", nargs=-1, required=True, type=_existing)
@click.option("--authorities", type=_existing, help="Authority file (default: the shipped one).")
@_output("Turtle file to write (written atomically).", required=True)
@click.pass_obj
def ingest(
    settings: Settings, sources: tuple[Path, ...], authorities: Path | None, out: Path
) -> None:
    """Build the graph from annex SOURCES and the authority file, and write it to OUT."""
    from .ingest import ingest as run_ingest
    from .output import check_output, write_atomically

    check_output(out)
    graph = run_ingest(sources, authorities or settings.authorities)
    write_atomically(graph, out)
    click.echo(f"wrote {len(graph)} triples to {out}", err=True)


@main.command()
@click.argument("files", nargs=-1, type=_existing)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.pass_obj
def validate(settings: Settings, files: tuple[Path, ...], output_format: str) -> None:
    """Check FILES (default: the shipped data and annotations) against the SHACL shapes.

    Exit code 0 when the graph conforms, 1 on violations, 2 when a file cannot be parsed.
    """
    from .validate import validate_files

    report = validate_files(files or settings.data + settings.annotations, settings)
    click.echo(report.to_json() if output_format == "json" else report.text())
    sys.exit(0 if report.conforms else 1)


@main.command()
@click.argument("data", nargs=-1, type=_existing)
@_output("Turtle file to write (default: data/annex2018.inferred.ttl; written atomically).")
@click.pass_obj
def reason(settings: Settings, data: tuple[Path, ...], out: Path | None) -> None:
    """Check DATA (default: the shipped data and annotations) and the ontology with HermiT;
    write what OWL entails and the data does not assert (the graph/inferred graph) to OUT.

    Exit code 0 when consistent, 1 when inconsistent (the message names the individuals and
    the axioms that clash), 2 when a file cannot be parsed or Java cannot run.
    """
    from .output import check_output, write_atomically
    from .reason import reason_files

    out = check_output(out or settings.inferred[0])
    inferred = reason_files(data or settings.data + settings.annotations, settings)
    write_atomically(inferred, out)
    click.echo(
        f"consistent; wrote {len(inferred)} triples (inferred, and their provenance) to {out}",
        err=True,
    )


@main.command()
@click.argument("data", nargs=-1, type=_existing)
@_output("Turtle file to write (default: data/links.ttl; written atomically).")
@click.pass_obj
def links(settings: Settings, data: tuple[Path, ...], out: Path | None) -> None:
    """Write the labels of the EuroVoc concepts, EU countries, EU languages and ELI acts that
    DATA (default: the shipped data and annotations) links to, from the verified lists (the
    graph/links graph), to OUT.

    Exit code 1 when an identifier is in no list or a list is not installed, 2 when a file
    cannot be parsed.
    """
    from .links import links_files
    from .output import check_output, write_atomically

    out = check_output(out or settings.links[0])
    graph = links_files(data or settings.data + settings.annotations)
    write_atomically(graph, out)
    click.echo(f"wrote {len(graph)} label triples to {out}", err=True)


@main.command()
@click.argument("data", nargs=-1, required=True, type=_existing)
@click.option(
    "--inferred",
    "inferred",
    multiple=True,
    type=_existing,
    help="Inferred graph of DATA, as `thbkg reason` wrote it (repeat for several; default: none).",
)
@click.option(
    "--annotations",
    "annotations",
    multiple=True,
    type=_existing,
    help="The curators' annotations of DATA (graph/annotations; repeat for several; "
    "default: none).",
)
@click.option(
    "--links",
    "links_files",
    multiple=True,
    type=_existing,
    help="Labels of the external concepts DATA links to, as `thbkg links` wrote them "
    "(graph/links; repeat for several; default: none).",
)
@_output(
    "Store directory to write (replaced in one step; the old one stays on failure).",
    required=True,
    directory=True,
)
@click.option(
    "--push",
    metavar="URL",
    help="Then load the graphs into this SPARQL 1.1 Graph Store Protocol endpoint "
    "(HTTP PUT URL?graph=IRI), e.g. http://127.0.0.1:7878/store.",
)
@click.pass_obj
def build(
    settings: Settings,
    data: tuple[Path, ...],
    inferred: tuple[Path, ...],
    annotations: tuple[Path, ...],
    links_files: tuple[Path, ...],
    out: Path,
    push: str | None,
) -> None:
    """Parse DATA, validate it against the shapes and write the store OUT that `thbkg serve
    --store` opens: the named graphs in Oxigraph's on-disk store, and manifest.json.

    Exit code 0 when built, 1 when the data does not conform (the report is printed), 2 when a
    file cannot be parsed (file:line:column) or the push fails.
    """
    from .build import build as run_build
    from .build import push as run_push

    settings = settings.with_overrides(
        data=data, inferred=inferred, annotations=annotations, links=links_files
    )
    manifest = run_build(settings, out)
    counts = ", ".join(f"{n.rsplit('/', 1)[1]} {c}" for n, c in manifest.data["graphs"].items())
    click.echo(
        f"validated and built {out} in {manifest.data['buildSeconds']:.1f} s ({counts} triples)",
        err=True,
    )
    if push:
        sent = run_push(out, push, settings.endpoint_timeout)
        click.echo(f"pushed {len(sent)} graphs to {push}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--store",
    "store",
    type=click.Path(path_type=Path, file_okay=False),
    help="Store directory that `thbkg build` wrote (opened read-only, not validated again); "
    "with --sparql-endpoint, the build pushed there, whose figures, search index and downloads "
    "are served as they are.",
)
@click.option(
    "--sparql-endpoint",
    "endpoint",
    metavar="URL",
    help="Serve from this SPARQL 1.1 endpoint holding our named graphs (with --store, the "
    "build that was pushed there).",
)
@click.option(
    "--data",
    "data",
    multiple=True,
    type=_existing,
    help="Data file to build (cached) and serve instead of the shipped data (repeat for several).",
)
@click.option(
    "--inferred",
    "inferred",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Inferred graph of that data, as `thbkg reason` wrote it (repeat for several).",
)
@click.option(
    "--production",
    is_flag=True,
    help="Serve with waitress (a production WSGI server) instead of Flask's development server.",
)
@click.option(
    "--workers",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Worker threads in production mode; they share the one open store.",
)
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes in production mode, sharing the port (one per core serves the "
    "most); the query workers (THBKG_QUERY_WORKERS) are divided among them.",
)
@click.option(
    "--proxy-hops",
    type=click.IntRange(0, 16),
    help="Reverse proxies in front whose X-Forwarded-* headers are trusted (THBKG_PROXY_HOPS).",
)
@click.pass_obj
def serve(
    settings: Settings,
    host: str,
    port: int,
    store: Path | None,
    endpoint: str | None,
    data: tuple[Path, ...],
    inferred: tuple[Path, ...],
    production: bool,
    workers: int,
    processes: int,
    proxy_hops: int | None,
) -> None:
    """Serve the graph as linked data: resource pages, downloads, the dataset description and
    the SPARQL endpoint.

    With --store, from a built store; with --sparql-endpoint, from an external endpoint (its
    figures counted and its search index built at start, unless --store names the build that
    was pushed there); otherwise the shipped data (or --data) is built into a cached store
    first, rebuilt when a source, the shapes or the ontology change (a graph that does not
    conform is not served: the report is printed, exit code 1). A store that is not validated
    or was built with other shapes or ontology is refused (exit code 2): rebuild it.
    """
    from .build import Site, cached_store, open_built, open_endpoint
    from .web import create_app
    from .web.server import listen, serve_development, serve_production, start_copies, stop_copies

    if inferred and not data:
        raise click.UsageError("--inferred goes with --data: the shipped data has its own")
    if processes > 1 and not production:
        raise click.UsageError("--processes goes with --production")
    if data and (store or endpoint):
        raise click.UsageError("--data goes without --store and --sparql-endpoint")
    if data:  # another data set: the shipped inferred graph and annotations do not belong to it
        settings = settings.with_overrides(data=data, inferred=inferred, annotations=())
    settings = settings.with_overrides(
        proxy_hops=proxy_hops, query_workers=max(1, settings.query_workers // processes)
    )
    source: Path | Site
    if endpoint:
        site = source = open_endpoint(endpoint, settings, built=store)
    else:
        source = store or cached_store(settings)
        site = open_built(source, settings)
    app = create_app(settings, site)
    try:
        sock = listen(host, port, shared=processes > 1)
    except OSError as exc:
        click.echo(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(2)
    mode = (
        f"waitress, {workers} threads and {settings.query_queue} for queries"
        + (f", in each of {processes} processes" if processes > 1 else "")
        if production
        else "development server"
    )
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL
    click.echo(f"thbkg: listening on http://{shown}:{port}/ ({mode})", err=True)
    if production:
        # Queries wait in threads of their own: pages keep ``workers`` threads whatever the
        # queries do (the query queue admits at most ``query_queue`` at once).
        threads = workers + settings.query_queue
        copies = start_copies(processes - 1, sock, threads, settings, source)
        try:
            serve_production(app, sock, threads, settings)
        finally:
            stop_copies(copies)
        sys.exit(exit_code_after_signal())  # waitress returns when SIGTERM stops it
    else:
        serve_development(app, sock)


def _positive(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """A --timeout or --max-rows that would stop every query is a usage error, not a traceback."""
    try:
        return None if value is None else positive_limit(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_QUERY_OUTPUTS = ("table", *query_outputs())


def _outputs_help() -> str:
    """The --format help, from the format table: which names each query form takes."""
    by_form = {
        form: ", ".join(n for n in _QUERY_OUTPUTS[1:] if form in by_name(n).forms)
        for form in ("SELECT", "ASK", "CONSTRUCT")
    }
    return (
        f"table (CONSTRUCT/DESCRIBE: Turtle); SELECT: {by_form['SELECT']}; "
        f"ASK: {by_form['ASK']}; CONSTRUCT/DESCRIBE: {by_form['CONSTRUCT']}."
    )


@main.command()
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option(
    "--format",
    "output",
    type=click.Choice(_QUERY_OUTPUTS),
    default="table",
    show_default=True,
    help=_outputs_help(),
)
@click.option(
    "--timeout",
    type=float,
    callback=_positive,
    help="Time limit in seconds for the whole query, parsing included (THBKG_QUERY_TIMEOUT).",
)
@click.option("--max-rows", type=int, callback=_positive, help="Row limit (THBKG_MAX_ROWS).")
@click.pass_obj
def query(
    settings: Settings,
    file: click.utils.LazyFile,
    output: str,
    timeout: float | None,
    max_rows: int | None,
) -> None:
    """Run the SPARQL query in FILE (- for standard input) on the local graph.

    The same core as the /sparql endpoint: read-only, no SERVICE, FROM only our graphs, a
    sandboxed query worker, the same time, memory and row limits. Exit code 1 for a refused or
    malformed query (the message gives line and column), 3 when a limit stops it.
    """
    from .build import cached_store
    from .errors import QueryError
    from .sparql import SparqlService
    from .store import OXIGRAPH_DIR

    settings = settings.with_overrides(query_timeout=timeout, max_rows=max_rows)
    name = getattr(file, "name", "-")
    try:
        text = file.read()
    except UnicodeDecodeError as exc:
        raise QueryError(f"{name}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    # The store `thbkg serve` reads, built once into the cache: not parsed again per query.
    service = SparqlService(cached_store(settings) / OXIGRAPH_DIR, settings, workers=1)
    try:
        _, body = service.answer(text, format_override=output, outputs=_QUERY_OUTPUTS)
    except QueryError as exc:
        raise QueryError(f"{name}: {exc.message}") from None
    finally:
        service.close()
    click.echo(body, nl=False)
