"""Real SPARQL servers for integration tests, on 127.0.0.1 with free ports, stopped afterwards.
.ci/run installs both, so CI runs these tests; elsewhere a missing server skips them, saying why."""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def missing(what: str, how: str) -> None:
    message = f"{what} is not installed ({how})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI must run the remote-endpoint tests; .ci/run installs it")
    pytest.skip(message)


def wait_until_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no answer from {url} within {seconds} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


@contextmanager
def oxigraph_server(folder: Path, bulk_load: Path | None = None) -> Iterator[dict[str, str]]:
    """With bulk_load, the file is loaded into the graph BULK_GRAPH by `oxigraph load` before serving."""
    binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(binary).is_file():
        missing("Oxigraph server", "pip install oxigraph")
    if bulk_load is not None:
        subprocess.run([binary, "load", "--location", str(folder), "--file", str(bulk_load),
                        "--graph", BULK_GRAPH], check=True,
                       capture_output=True, timeout=300)
    port = free_port()
    process = subprocess.Popen([binary, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(f"{base}/query?query=ASK%7B%7D", process)
        yield {"query": f"{base}/query", "update": f"{base}/update", "base": base}
    finally:
        stop(process)


BULK_GRAPH = "https://w3id.org/calcinosis-kb/release"

VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql}
DisableUnixSocket = 1
DirsAllowed = ., {d}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 60

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerThreads = 4
MaxClientConnections = 4

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


@contextmanager
def virtuoso_server(folder: Path, bulk_load: Path | None = None) -> Iterator[dict[str, str]]:
    """With bulk_load, the file is loaded by Virtuoso's bulk loader (ld_dir, rdf_loader_run) into the
    graph BULK_GRAPH before the endpoint is handed out."""
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if server is None or isql is None:
        missing("Virtuoso", "apt-get install virtuoso-opensource-7-bin")
    assert server is not None and isql is not None
    isql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=folder, isql=isql_port, http=http_port))
    process = subprocess.Popen([server, "+foreground", "+configfile", str(ini)], cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{http_port}"
    try:
        wait_until_ready(f"{base}/sparql?query=ASK%7B%7D", process)
        # anonymous SPARQL UPDATE is refused until granted; isql-vt can hang, hence the timeout
        def isql_exec(statements: str) -> str:
            done = subprocess.run(["timeout", "300", isql, f"127.0.0.1:{isql_port}", "dba", "dba",
                                   f"exec={statements}"], check=True, capture_output=True, text=True)
            return done.stdout + done.stderr

        isql_exec('GRANT SPARQL_UPDATE TO "SPARQL";')
        if bulk_load is not None:
            shutil.copy(bulk_load, folder / bulk_load.name)  # DirsAllowed holds only the server's folder
            isql_exec(f"ld_dir('{folder}', '{bulk_load.name}', '{BULK_GRAPH}'); rdf_loader_run(); checkpoint;")
            failed = isql_exec("SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;")
            if bulk_load.name in failed:  # isql-vt exits 0 on SQL errors: the load list says what failed
                raise RuntimeError(f"Virtuoso's bulk loader failed on {bulk_load.name}: {failed}")
        yield {"query": f"{base}/sparql", "update": f"{base}/sparql", "base": base}
    finally:
        stop(process)


class Answering(http.server.BaseHTTPRequestHandler):
    """A stand-in SPARQL endpoint answering every GET with `status` and `body` (set by subclasses)."""

    status = 200
    body = b""

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


def stand_in(handler: type[http.server.BaseHTTPRequestHandler]) -> tuple[http.server.HTTPServer, str]:
    """Serve `handler` on loopback in a thread: the server (shut it down) and its /sparql URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/sparql"
