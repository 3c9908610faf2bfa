"""The ``thbkg`` command: a thin shell over the core, one subcommand per job."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .config import Settings, from_environment
from .errors import ThbkgError

_existing = click.Path(path_type=Path, dir_okay=False)


class _Group(click.Group):
    """Turns every ThbkgError into its message on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ThbkgError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="thbkg")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Publish Myria's recommendations on trafficking and smuggling as linked data."""
    try:
        ctx.obj = from_environment()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


@main.command()
@click.argument("sources", nargs=-1, required=True, type=_existing)
@click.option("--authorities", type=_existing, help="Authority file (default: the shipped one).")
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Turtle file to write (written atomically).",
)
@click.pass_obj
def ingest(
    settings: Settings, sources: tuple[Path, ...], authorities: Path | None, out: Path
) -> None:
    """Build the graph from annex SOURCES and the authority file, and write it to OUT."""
    from .ingest import ingest as run_ingest
    from .ingest import write_atomically

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
    """Check FILES (default: the shipped data) against the SHACL shapes.

    Exit code 0 when the graph conforms, 1 on violations, 2 when a file cannot be parsed.
    """
    from .validate import validate_files

    report = validate_files(files or settings.data, settings)
    click.echo(report.to_json() if output_format == "json" else report.text())
    sys.exit(0 if report.conforms else 1)


@main.command()
@click.argument("data", nargs=-1, type=_existing)
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Turtle file to write (default: data/annex2018.inferred.ttl; written atomically).",
)
@click.pass_obj
def reason(settings: Settings, data: tuple[Path, ...], out: Path | None) -> None:
    """Check DATA (default: the shipped data) and the ontology with HermiT; write what OWL
    entails and the data does not assert (the graph/inferred graph) to OUT.

    Exit code 0 when consistent, 1 when inconsistent (the message names the individuals and
    the axioms that clash), 2 when a file cannot be parsed or Java cannot run.
    """
    from .ingest import write_atomically
    from .reason import reason_files

    inferred = reason_files(data or settings.data, settings)
    out = out or settings.inferred[0]
    write_atomically(inferred, out)
    click.echo(f"consistent; wrote {len(inferred)} inferred triples to {out}", err=True)
