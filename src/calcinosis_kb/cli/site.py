"""`kb site`: the knowledge base as a static site for clinicians."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from calcinosis_kb.cli.application import KbOption, app, locate, run


@app.command()
def site(
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Folder to write, as a whole; open its index.html or serve it from any static host.")
    ] = Path("site"),
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing site folder (only one holding nothing but files kb site writes).")
    ] = False,
    validate: Annotated[bool, typer.Option(
        "--validate/--no-validate", help="Run `kb validate` for the quality page (minutes on a large knowledge base).")
    ] = True,
    kb: KbOption = None,
) -> None:
    """Write a static site: cases with evidence and the differential, subtypes, the ontology, queries, QC."""

    def action() -> None:
        from calcinosis_kb.presentation.site.build import build_site

        built = build_site(locate(kb), output, force, validate=validate,
                           progress=lambda step: typer.echo(f"kb: {step}", err=True))
        for note in built.notes:
            typer.echo(f"kb: note: {note}", err=True)
        typer.echo(f"kb: wrote the site of {built.cases} cases to {built.folder}: {built.files} files, "
                   f"{built.bytes / 1e6:.1f} MB in {built.seconds:.1f} s; open {built.folder / 'index.html'}",
                   err=True)

    run(action)
