"""Named queries against real SPARQL servers (Virtuoso, Oxigraph) give the embedded store's rows;
kb push loads both; every endpoint failure is one line and a documented exit code."""

from __future__ import annotations

import http.server
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcinosis_kb.cli import app
from calcinosis_kb.knowledgebase.errors import ExitCode

from .conftest import ROOT
from .servers import BULK_GRAPH, Answering, free_port, oxigraph_server, stand_in, virtuoso_server

QUERIES = sorted(p.stem for p in (ROOT / "queries").glob("*.rq") if not p.name.startswith("qc-"))
ALL_QUERIES = sorted(p.stem for p in (ROOT / "queries").glob("*.rq"))


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def endpoint(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    server = oxigraph_server if request.param == "oxigraph" else virtuoso_server
    with server(tmp_path_factory.mktemp(request.param)) as urls:
        result = CliRunner().invoke(app, ["push", "--endpoint", urls["update"], "--password", "s3cret-value"])
        assert result.exit_code == 0, result.stderr
        assert "s3cret-value" not in result.stdout + result.stderr
        assert "loaded" in result.stderr
        yield urls


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def loaded_from_release(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                        released: Path) -> Iterator[dict[str, str]]:
    """A server that kb never wrote to: the release's full Turtle file, put in by the server's own bulk
    loader (`oxigraph load`; Virtuoso's ld_dir and rdf_loader_run)."""
    server = oxigraph_server if request.param == "oxigraph" else virtuoso_server
    with server(tmp_path_factory.mktemp(f"bulk-{request.param}"), bulk_load=released / "calcinosis-kb.ttl") as urls:
        yield urls


def rows(*args: str) -> list[dict[str, str]]:
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    loaded: list[dict[str, str]] = json.loads(result.stdout)
    return loaded


@pytest.mark.parametrize("name", QUERIES)
def test_named_query_same_remotely(endpoint: dict[str, str], name: str) -> None:
    assert rows("query", name, "--endpoint", endpoint["query"]) == rows("query", name)


@pytest.mark.parametrize("name", ALL_QUERIES)
def test_named_query_same_on_a_server_bulk_loaded_from_the_release(loaded_from_release: dict[str, str],
                                                                   name: str) -> None:
    remote = rows("query", name, "--endpoint", loaded_from_release["query"], "--graph", BULK_GRAPH)
    assert remote == rows("query", name)


def test_parameters_bound_remotely(endpoint: dict[str, str]) -> None:
    for args in (["-p", "subtype=cckb:IdiopathicCalcinosisCutis"], ["-p", "subtype=cckb:MetastaticCalcinosisCutis"]):
        assert rows("query", "cases-by-subtype", *args, "--endpoint", endpoint["query"]) == \
            rows("query", "cases-by-subtype", *args)
    attack = 'x")) } SELECT ?case WHERE { ?case ?p ?o } #'
    assert rows("query", "find-cases", "-p", f"text={attack}", "--endpoint", endpoint["query"]) == []


def test_sparql_ask_remotely(endpoint: dict[str, str]) -> None:
    ask = "ASK { ?c a <https://w3id.org/calcinosis-kb/ontology/DystrophicCalcinosisCutis> }"
    result = CliRunner().invoke(app, ["sparql", "--endpoint", endpoint["query"], ask])
    assert result.stdout.strip() == "true", result.stderr


# --- failures, against stand-in servers on loopback ---------------------------------------------


def serve(status: int, body: bytes) -> tuple[http.server.HTTPServer, str]:
    return stand_in(type("Handler", (Answering,), {"status": status, "body": body}))


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (500, b"boom", "answered HTTP 500"),
        (404, b"no", "answered HTTP 404"),
        (200, b"this is not json", "malformed results"),
        (200, b'{"head": {}}', "malformed results"),
    ],
)
def test_endpoint_errors(status: int, body: bytes, message: str) -> None:
    server, url = serve(status, body)
    try:
        result = CliRunner().invoke(app, ["query", "subtype-counts", "--endpoint", url])
    finally:
        server.shutdown()
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_endpoint() -> None:
    url = f"http://127.0.0.1:{free_port()}/sparql"
    result = CliRunner().invoke(app, ["query", "subtype-counts", "--endpoint", url])
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert "cannot be reached" in result.stderr


def test_slow_endpoint_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
    try:
        result = CliRunner().invoke(app, ["query", "subtype-counts", "--endpoint", url, "--timeout", "1"])
    finally:
        listener.close()
    assert result.exit_code == ExitCode.ENVIRONMENT
    assert "did not answer the query within 1 s" in result.stderr


def test_endpoint_must_be_http(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["query", "subtype-counts", "--endpoint", "ftp://example"])
    assert result.exit_code == ExitCode.USAGE
