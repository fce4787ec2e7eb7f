"""`kb validate`, `kb infer`, `kb audit`, `kb cases`, `kb evidence`: the knowledge base and its reasoning."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from calcinosis_kb.cli.application import (
    KbOption,
    RowFormatOption,
    app,
    choose_format,
    locate,
    progress_bar,
    run,
)
from calcinosis_kb.knowledgebase.errors import ExitCode
from calcinosis_kb.presentation.render import ROW_FORMATS, Format

if TYPE_CHECKING:
    from rdflib import Graph


@app.command()
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(readable=False, help="Case files to check; none: the whole knowledge base.")
    ] = None,
    kb: KbOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """Check the ontology and case files: syntax, terms, SHACL shapes, quotes, QC queries, HermiT consistency."""

    def action() -> None:
        from calcinosis_kb.quality.validation import validate as do_validate

        chosen = choose_format(fmt, (Format.text, Format.json))
        knowledge_base = locate(kb)
        report = do_validate(knowledge_base, list(files) if files else None)
        if chosen is Format.json:
            from calcinosis_kb.presentation.render import emit_json

            emit_json({"ok": report.ok, "ontology_checked": report.ontology_checked,
                       "files": report.files_checked, "cases": report.cases_checked,
                       "notes": report.notes, "problems": [p.as_dict() for p in report.problems]})
        else:
            for problem in report.problems:
                typer.echo(problem.as_text())
            for note in report.notes:
                typer.echo(f"kb: note: {note}", err=True)
            verdict = "ok" if report.ok else f"{len(report.problems)} problem(s)"
            checked = "the ontology and " if report.ontology_checked else ""
            typer.echo(f"kb: validated {checked}{report.files_checked} case file(s), "
                       f"{report.cases_checked} case(s): {verdict}", err=True)
        if not report.ok:
            raise typer.Exit(int(ExitCode.PROBLEMS_FOUND))

    run(action)


@app.command()
def infer(
    files: Annotated[
        list[Path] | None, typer.Argument(readable=False,
                                          help="Case files or folders; none: the knowledge base's cases.")
    ] = None,
    kb: KbOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text, json or ttl.")] = Format.text,
    explain: Annotated[bool, typer.Option(
        "--explain/--no-explain", help="Say why, why not and what is missing (default), or only classify.")] = True,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=0, help="Worker processes; 0: one per core, for jobs of more than about 2,000 cases.")] = 0,
) -> None:
    """Classify cases into subtypes and patterns with HermiT; explain why, why not, and what is missing."""

    def action() -> None:
        from calcinosis_kb.knowledgebase.location import case_files_from
        from calcinosis_kb.reasoning.enginestart import start_engine

        chosen = choose_format(fmt, (Format.text, Format.json, Format.ttl))
        knowledge_base = locate(kb)
        paths = case_files_from(files or [], knowledge_base)
        # Started before the imports below (rdflib's among them), so that its JVM starts meanwhile.
        started = start_engine(knowledge_base, paths, jobs)

        from calcinosis_kb.presentation.inference import render_inference_parts
        from calcinosis_kb.reasoning.infer import infer_in_parts

        with progress_bar(len(paths)) as advance:
            parts = infer_in_parts(knowledge_base, paths, explain=explain, progress=advance, jobs=jobs,
                                   read_json=_read_phenopacket if any(p.suffix.lower() == ".json" for p in paths)
                                   else None, started=started)
            rendered = render_inference_parts(parts, chosen)
        for note in rendered.notes:
            typer.echo(f"kb: note: {note}", err=True)
        for error in rendered.errors:
            typer.echo(f"kb: {error.message}", err=True)
        if rendered.errors:
            codes = {e.exit_code for e in rendered.errors}
            raise typer.Exit(codes.pop() if not rendered.cases and len(codes) == 1
                             else int(ExitCode.PROBLEMS_FOUND))

    run(action)


def _read_phenopacket(path: Path, ontology: Graph) -> tuple[Graph, list[str]]:
    """The Phenopacket reader, imported only when a .json file is given (protobuf is slow to load)."""
    from calcinosis_kb.interchange.phenopackets.reading import read_case

    return read_case(path, ontology)


@app.command()
def audit(
    kb: KbOption = None,
    fmt: RowFormatOption = Format.table,
) -> None:
    """Every case of the knowledge base: inferred vs authors' subtype, with a summary."""

    def action() -> None:
        from calcinosis_kb.presentation.inference import render_audit
        from calcinosis_kb.reasoning.infer import infer as do_infer

        chosen = choose_format(fmt, ROW_FORMATS)
        knowledge_base = locate(kb)
        inference = do_infer(knowledge_base, knowledge_base.case_files)
        render_audit(inference, chosen)
        for error in inference.errors:
            typer.echo(f"kb: {error.message}", err=True)
        if inference.errors:
            raise typer.Exit(int(ExitCode.PROBLEMS_FOUND))

    run(action)


@app.command()
def cases(
    kb: KbOption = None,
    fmt: RowFormatOption = Format.table,
) -> None:
    """List the cases of the knowledge base: id, source, age, sex, authors' diagnosis."""

    def action() -> None:
        from calcinosis_kb.knowledgebase.evidence import list_cases
        from calcinosis_kb.presentation.render import emit_rows

        chosen = choose_format(fmt, ROW_FORMATS)
        rows = list_cases(locate(kb))
        if chosen is Format.table:
            columns = ["case", "source", "age_as_reported", "sex", "authors_subtypes", "authors_diagnosis"]
        else:
            columns = ["case", "source", "age", "sex", "authors_subtypes", "authors_diagnosis", "age_as_reported",
                       "authors_patterns", "label", "citation", "file"]
        emit_rows(rows, columns, chosen)

    run(action)


@app.command()
def evidence(
    case: Annotated[str, typer.Argument(help="Case id, e.g. carrascosa2011 or case:carrascosa2011.")],
    kb: KbOption = None,
    fmt: RowFormatOption = Format.table,
) -> None:
    """Every fact of a case with the verbatim quote it rests on and its source."""

    def action() -> None:
        from calcinosis_kb.knowledgebase.evidence import evidence as case_evidence
        from calcinosis_kb.presentation.render import emit_rows

        chosen = choose_format(fmt, ROW_FORMATS)
        rows = case_evidence(locate(kb), case)
        columns = ["property", "statement", "quote"] if chosen is Format.table else \
            ["case", "property", "fact", "statement", "quote", "source"]
        emit_rows(rows, columns, chosen, title=f"{rows[0]['case']}: {rows[0]['source']}" if rows else None)

    run(action)
