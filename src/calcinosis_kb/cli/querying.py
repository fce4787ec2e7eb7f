"""`kb query`, `kb sparql`, `kb push`: the named queries, any SPARQL, remote endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from calcinosis_kb.cli.application import KbOption, RowFormatOption, app, choose_format, chosen_kb, locate, run
from calcinosis_kb.knowledgebase.errors import UsageError
from calcinosis_kb.presentation.render import ROW_FORMATS, Format

if TYPE_CHECKING:
    from calcinosis_kb.querying.remote import Endpoint

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
        from calcinosis_kb.presentation.render import emit_rows
        from calcinosis_kb.querying.answer import answer_query
        from calcinosis_kb.querying.named import bind, find_query, load_queries, parse_assignments

        chosen = choose_format(fmt, ROW_FORMATS)
        knowledge_base = locate(kb)
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
        answer = answer_query(chosen_kb(kb), named.text, substitutions, where=str(named.path), endpoint=remote)
        _emit_answer(answer, chosen)

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
        from calcinosis_kb.querying.answer import answer_query
        from calcinosis_kb.querying.named import read_query_file

        chosen = choose_format(fmt, ROW_FORMATS)
        if (text is None) == (file is None):
            raise UsageError("give a query as an argument or with --file, not both")
        body = read_query_file(file) if file is not None else str(text)
        remote = _endpoint(endpoint, graph, timeout, user, password)
        _emit_answer(answer_query(chosen_kb(kb), body, where=str(file or "query"), endpoint=remote), chosen)

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
        from calcinosis_kb.querying.remote import Endpoint
        from calcinosis_kb.querying.remote import push as do_push
        from calcinosis_kb.querying.store import dump

        remote = Endpoint.from_options(endpoint, graph, timeout, user, password)
        count = do_push(remote, dump(locate(kb)), graph)
        typer.echo(f"kb: loaded {count} triples into <{graph}> at {endpoint}", err=True)

    run(action)


def _endpoint(url: str | None, graph: str, timeout: float, user: str | None,
              password: str | None) -> Endpoint | None:
    """The remote endpoint the options name, or None for the embedded store."""
    if url is None:
        return None
    from calcinosis_kb.querying.remote import Endpoint

    return Endpoint.from_options(url, graph, timeout, user, password)


def _emit_answer(answer: object, fmt: Format) -> None:
    from calcinosis_kb.presentation.render import emit_json, emit_rows
    from calcinosis_kb.querying.results import Answer

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
