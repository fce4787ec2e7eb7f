"""`kb export`, `kb release`, `kb import`, `kb report`: the knowledge base for other tools, Phenopackets in,
and the checks of `robot report` on an artefact."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from calcinosis_kb.cli.application import KbOption, RowFormatOption, app, choose_format, locate, run
from calcinosis_kb.knowledgebase.errors import ExitCode
from calcinosis_kb.presentation.render import ROW_FORMATS, Format


def _export_formats() -> str:
    from calcinosis_kb.interchange.export import FORMATS

    return ", ".join(FORMATS)


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of: {_export_formats()}.", show_default=False)],
    files: Annotated[
        list[Path] | None, typer.Argument(
            readable=False, help="Case files or folders to export; none: the knowledge base's cases.")
    ] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="File to write (default: stdout). For phenopacket, a path ending in / (or an "
        "existing folder) gets one <case>.json per case, written as a whole folder; --force replaces a folder only "
        "if it holds nothing but such files.", show_default=False)] = None,
    what: Annotated[str | None, typer.Option(
        "--what", help="ontology, cases or all; default: all for RDF and OWL formats, ontology for OBO, "
        "cases for phenopacket.", show_default=False)] = None,
    inferred: Annotated[bool, typer.Option("--inferred", help="Add the reasoner's classification of the cases.")
                        ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file or folder.")] = False,
    kb: KbOption = None,
) -> None:
    """Write the ontology and cases for other tools: RDF, OWL, OBO, OBO Graphs, Phenopackets."""

    def action() -> None:
        from calcinosis_kb.interchange.export import export as do_export
        from calcinosis_kb.knowledgebase.location import case_files_from

        knowledge_base = locate(kb)
        exported = do_export(knowledge_base, fmt, what, inferred, output, force,
                             case_files_from(files, knowledge_base) if files else None)
        if exported.text is not None:
            sys.stdout.write(exported.text)
        for note in exported.notes:
            typer.echo(f"kb: note: {note}", err=True)
        if exported.written:
            typer.echo(f"kb: wrote {output}" + (f" ({len(exported.written)} files)" if len(exported.written) > 1
                                                else ""), err=True)

    run(action)


@app.command()
def release(
    version: Annotated[str | None, typer.Option(
        "--version", help="Release version (default: the package's version).", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Folder to write (default: release/VERSION in the current folder).",
        show_default=False)] = None,
    previous: Annotated[Path | None, typer.Option(
        "--previous", help="A previous release folder: CHANGES.md summarises what changed since.",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing release folder.")] = False,
    kb: KbOption = None,
) -> None:
    """Write versioned release artefacts: .owl/.ttl (full and base), .obo, OBO Graphs .json, CHANGES.md."""

    def action() -> None:
        from calcinosis_kb.interchange.release import release as do_release

        released = do_release(locate(kb), version, output, previous, force)
        for note in released.notes:
            typer.echo(f"kb: note: {note}", err=True)
        typer.echo(f"kb: wrote release {released.version} to {released.folder}: {', '.join(released.files)}",
                   err=True)

    run(action)


@app.command("import")
def import_(
    phenopacket: Annotated[Path, typer.Argument(
        help="A GA4GH Phenopacket v2 JSON file: one object, or a list of them as kb export writes.")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the case here (Turtle); default: stdout.", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
    kb: KbOption = None,
) -> None:
    """Turn a Phenopacket v2 into a case file of our format; terms that map to nothing are listed."""

    def action() -> None:
        from calcinosis_kb.interchange.phenopackets import import_phenopacket
        from calcinosis_kb.knowledgebase.output import write_file

        imported = import_phenopacket(locate(kb), phenopacket)
        for line in imported.unmapped:
            typer.echo(f"kb: not imported: {line}", err=True)
        for note in imported.notes:
            typer.echo(f"kb: note: {note}", err=True)
        if output is None:
            typer.echo(imported.turtle, nl=False)
        else:
            write_file(output, imported.turtle, force)
            names = ", ".join(case.rsplit("/", 1)[-1] for case in imported.cases)
            typer.echo(f"kb: wrote {len(imported.cases)} case(s) ({names}) to {output}", err=True)

    run(action)


@app.command()
def report(
    file: Annotated[Path | None, typer.Argument(
        help="An RDF file to check (.owl RDF/XML, .ttl, .nt, .jsonld); default: the release's full artefact, "
        "calcinosis-kb.owl, built from the knowledge base.", show_default=False)] = None,
    fmt: RowFormatOption = Format.table,
    fail_on: Annotated[str, typer.Option(
        "--fail-on", help="Exit 1 when a problem at this level or a more severe one is found: ERROR, WARN, INFO or "
        "none.")] = "ERROR",
    kb: KbOption = None,
) -> None:
    """Check an artefact as `robot report` does: labels, definitions, synonyms, header, declarations."""

    def action() -> None:
        from calcinosis_kb.interchange.artefacts import full_artefact
        from calcinosis_kb.presentation.render import emit_rows
        from calcinosis_kb.quality.report import COLUMNS, fail_level
        from calcinosis_kb.quality.report import report as do_report

        chosen = choose_format(fmt, ROW_FORMATS)
        fail_level(fail_on)  # a bad --fail-on is refused before the work
        result = do_report(locate(kb), file, full_artefact)
        emit_rows([finding.as_dict() for finding in result.findings], COLUMNS, chosen)
        counts = ", ".join(f"{count} {level}" for level, count in result.counts().items())
        typer.echo(f"kb: report on {result.source} ({len(result.checks)} checks): {counts}", err=True)
        if result.fails(fail_on):
            raise typer.Exit(int(ExitCode.PROBLEMS_FOUND))

    run(action)
