"""The `kb` command. Each command parses its arguments, calls one library function and renders
the result; errors become one line on stderr and a documented exit code (see errors.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from . import __version__
from .errors import ExitCode, KBError, UsageError
from .render import ROW_FORMATS, Format

if TYPE_CHECKING:
    from .remote import Endpoint

app = typer.Typer(
    name="kb",
    help="calcinosis-kb: a reasoned knowledge base of calcinosis cutis case reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

KbOption = Annotated[
    Path | None,
    typer.Option("--kb", help="Knowledge-base folder (ontology/, cases/, queries/); default: the shipped one "
                 "or $CALCINOSIS_KB_DIR.", show_default=False),
]

RowFormatOption = Annotated[Format, typer.Option("--format", "-f", help=f"{', '.join(ROW_FORMATS)}.")]
EndpointOption = Annotated[str | None, typer.Option(
    "--endpoint", help="A remote SPARQL 1.1 query endpoint to run against instead of the embedded store.")]
GraphOption = Annotated[str, typer.Option(
    "--graph", help="The remote graph holding the knowledge base (as written by kb push).")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Seconds to wait for the endpoint.")]
UserOption = Annotated[str | None, typer.Option(
    "--user", help="User for the endpoint (or $CALCINOSIS_KB_ENDPOINT_USER).", show_default=False)]
PasswordOption = Annotated[str | None, typer.Option(
    "--password", help="Password (or $CALCINOSIS_KB_ENDPOINT_PASSWORD); never printed.", show_default=False)]
DEFAULT_REMOTE_GRAPH = "https://w3id.org/calcinosis-kb/graph/kb"

T = TypeVar("T")


def run(action: Callable[[], T]) -> T:
    """Turn KBError into one line on stderr and its exit code: the one place that does."""
    try:
        return action()
    except KBError as error:
        typer.echo(f"kb: {error.message}", err=True)
        raise typer.Exit(int(error.exit_code)) from None


def _choose(fmt: Format, allowed: tuple[Format, ...]) -> Format:
    if fmt not in allowed:
        raise UsageError(f"--format {fmt.value} is not available here; choose one of: "
                         + ", ".join(f.value for f in allowed))
    return fmt


def _version(value: bool) -> None:
    if value:
        typer.echo(f"calcinosis-kb {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """calcinosis-kb: classify calcinosis cutis cases with a DL reasoner, explain why, and query them."""


@app.command()
def validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Case files to check; none: the whole knowledge base.")
    ] = None,
    kb: KbOption = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = Format.text,
) -> None:
    """Check the ontology and case files: syntax, terms, SHACL shapes, quotes, QC queries, HermiT consistency."""

    def action() -> None:
        from .kbdir import KnowledgeBase
        from .validation import validate as do_validate

        chosen = _choose(fmt, (Format.text, Format.json))
        knowledge_base = KnowledgeBase.locate(kb)
        report = do_validate(knowledge_base, list(files) if files else None)
        if chosen is Format.json:
            from .render import emit_json

            emit_json({"ok": report.ok, "files": report.files_checked, "cases": report.cases_checked,
                       "notes": report.notes, "problems": [p.as_dict() for p in report.problems]})
        else:
            for problem in report.problems:
                typer.echo(problem.as_text())
            for note in report.notes:
                typer.echo(f"kb: note: {note}", err=True)
            verdict = "ok" if report.ok else f"{len(report.problems)} problem(s)"
            typer.echo(f"kb: validated the ontology and {report.files_checked} case file(s), "
                       f"{report.cases_checked} case(s): {verdict}", err=True)
        if not report.ok:
            raise typer.Exit(int(ExitCode.PROBLEMS_FOUND))

    run(action)


@app.command()
def infer(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Case files or folders; none: the knowledge base's cases.")
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
        from .infer import infer as do_infer
        from .kbdir import KnowledgeBase
        from .loading import case_files_from
        from .render_inference import render_inference

        chosen = _choose(fmt, (Format.text, Format.json, Format.ttl))
        knowledge_base = KnowledgeBase.locate(kb)
        paths = case_files_from(files or [], knowledge_base)
        with progress_bar(len(paths)) as advance:
            inference = do_infer(knowledge_base, paths, explain=explain, progress=advance, jobs=jobs)
        render_inference(inference, chosen)
        for note in inference.notes:
            typer.echo(f"kb: note: {note}", err=True)
        for error in inference.errors:
            typer.echo(f"kb: {error.message}", err=True)
        if inference.errors:
            codes = {e.exit_code for e in inference.errors}
            raise typer.Exit(codes.pop() if not inference.results and len(codes) == 1
                             else int(ExitCode.PROBLEMS_FOUND))

    run(action)


@app.command()
def audit(
    kb: KbOption = None,
    fmt: RowFormatOption = Format.table,
) -> None:
    """Every case of the knowledge base: inferred vs authors' subtype, with a summary."""

    def action() -> None:
        from .infer import infer as do_infer
        from .kbdir import KnowledgeBase
        from .render_inference import render_audit

        chosen = _choose(fmt, ROW_FORMATS)
        knowledge_base = KnowledgeBase.locate(kb)
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
        from .evidence import list_cases
        from .kbdir import KnowledgeBase
        from .render import emit_rows

        chosen = _choose(fmt, ROW_FORMATS)
        rows = list_cases(KnowledgeBase.locate(kb))
        columns = ["case", "source", "age", "sex", "authors_subtypes", "authors_diagnosis"]
        if chosen is not Format.table:
            columns = [*columns, "authors_patterns", "label", "citation", "file"]
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
        from .evidence import evidence as case_evidence
        from .kbdir import KnowledgeBase
        from .render import emit_rows

        chosen = _choose(fmt, ROW_FORMATS)
        rows = case_evidence(KnowledgeBase.locate(kb), case)
        columns = ["property", "statement", "quote"] if chosen is Format.table else \
            ["case", "property", "fact", "statement", "quote", "source"]
        emit_rows(rows, columns, chosen, title=f"{rows[0]['case']}: {rows[0]['source']}" if rows else None)

    run(action)


@app.command()
def query(
    name: Annotated[str | None, typer.Argument(help="The query's name (a file in queries/ without .rq).")] = None,
    params: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE, typed as the query's header says.")
    ] = None,
    list_queries: Annotated[bool, typer.Option("--list", help="List the named queries.")] = False,
    kb: KbOption = None,
    fmt: RowFormatOption = Format.table,
    endpoint: EndpointOption = None,
    graph: GraphOption = DEFAULT_REMOTE_GRAPH,
    timeout: TimeoutOption = 30.0,
    user: UserOption = None,
    password: PasswordOption = None,
) -> None:
    """Run a named SPARQL query over the asserted and inferred knowledge (or list them)."""

    def action() -> None:
        from .kbdir import KnowledgeBase
        from .queries import answer_query, bind, find_query, load_queries, parse_assignments
        from .render import emit_rows

        chosen = _choose(fmt, ROW_FORMATS)
        knowledge_base = KnowledgeBase.locate(kb)
        queries = load_queries(knowledge_base.query_files)
        if list_queries or name is None:
            rows = [q.as_dict() for q in queries.values()]
            if chosen is Format.table:
                for row, named_query in zip(rows, queries.values(), strict=True):
                    row["parameters"] = ", ".join(f"{p.name} ({p.type}, default {p.default})"
                                                  for p in named_query.parameters)
            emit_rows(rows, ["name", "title", "parameters", "check", "description"], chosen)
            return
        named = find_query(queries, name)
        substitutions = bind(named, parse_assignments(params or []))
        remote = _endpoint(endpoint, graph, timeout, user, password)
        _emit_answer(answer_query(kb, named.text, substitutions, where=str(named.path), endpoint=remote), chosen)

    run(action)


@app.command()
def sparql(
    text: Annotated[str | None, typer.Argument(help="A SELECT, ASK or CONSTRUCT query.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Read the query from this .rq file.")] = None,
    kb: KbOption = None,
    fmt: RowFormatOption = Format.table,
    endpoint: EndpointOption = None,
    graph: GraphOption = DEFAULT_REMOTE_GRAPH,
    timeout: TimeoutOption = 30.0,
    user: UserOption = None,
    password: PasswordOption = None,
) -> None:
    """Run any SPARQL query over the asserted and inferred knowledge."""

    def action() -> None:
        from .errors import InputFileError
        from .queries import answer_query

        chosen = _choose(fmt, ROW_FORMATS)
        if (text is None) == (file is None):
            raise UsageError("give a query as an argument or with --file, not both")
        if file is not None and not file.is_file():
            raise InputFileError(f"{file}: no such file")
        body = file.read_text(encoding="utf-8") if file is not None else str(text)
        remote = _endpoint(endpoint, graph, timeout, user, password)
        _emit_answer(answer_query(kb, body, where=str(file or "query"), endpoint=remote), chosen)

    run(action)


@app.command()
def push(
    endpoint: Annotated[str, typer.Option("--endpoint", help="The endpoint that accepts SPARQL 1.1 Update.")],
    graph: GraphOption = DEFAULT_REMOTE_GRAPH,
    kb: KbOption = None,
    timeout: TimeoutOption = 60.0,
    user: UserOption = None,
    password: PasswordOption = None,
) -> None:
    """Load the knowledge base (asserted + inferred) into a graph of a remote SPARQL store."""

    def action() -> None:
        from .kbdir import KnowledgeBase
        from .remote import Endpoint
        from .remote import push as do_push
        from .store import dump

        remote = Endpoint.from_options(endpoint, graph, timeout, user, password)
        count = do_push(remote, dump(KnowledgeBase.locate(kb)), graph)
        typer.echo(f"kb: loaded {count} triples into <{graph}> at {endpoint}", err=True)

    run(action)


def _export_formats() -> str:
    from .export import FORMATS

    return ", ".join(FORMATS)


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"One of: {_export_formats()}.", show_default=False)],
    files: Annotated[
        list[Path] | None, typer.Argument(help="Case files or folders to export; none: the knowledge base's cases.")
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
        from .export import export as do_export
        from .kbdir import KnowledgeBase
        from .loading import case_files_from

        knowledge_base = KnowledgeBase.locate(kb)
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
        from .kbdir import KnowledgeBase
        from .release import release as do_release

        released = do_release(KnowledgeBase.locate(kb), version, output, previous, force)
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
        from .kbdir import KnowledgeBase
        from .output import write_file
        from .phenopacket import import_phenopacket

        imported = import_phenopacket(KnowledgeBase.locate(kb), phenopacket)
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


def _endpoint(url: str | None, graph: str, timeout: float, user: str | None,
              password: str | None) -> Endpoint | None:
    """The remote endpoint the options name, or None for the embedded store."""
    if url is None:
        return None
    from .remote import Endpoint

    return Endpoint.from_options(url, graph, timeout, user, password)


def _emit_answer(answer: object, fmt: Format) -> None:
    from .queries import Answer
    from .render import emit_json, emit_rows

    assert isinstance(answer, Answer)
    if answer.boolean is not None:
        if fmt is Format.json:
            emit_json({"boolean": answer.boolean})
        else:
            typer.echo("true" if answer.boolean else "false")
    elif answer.triples is not None:
        typer.echo(answer.triples, nl=False)
    else:
        emit_rows(answer.rows, answer.columns, fmt)


@contextmanager
def progress_bar(files: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr for runs over several files, only when stderr is a terminal."""
    if files < 2 or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("classifying", total=files)

        def advance(cases_done: int) -> None:
            progress.update(task, advance=1, description=f"classified {cases_done} cases")

        yield advance


def entrypoint() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    entrypoint()
