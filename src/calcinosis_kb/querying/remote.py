"""Remote SPARQL 1.1 endpoints (Virtuoso, Oxigraph server, GraphDB, Fuseki...): running the
named queries there, and pushing the knowledge base (asserted + inferred) into a graph.

Quirks handled (see ../shared/reference/sparql-servers.md): queries are sent with GET, since
Virtuoso never answers a POSTed application/sparql-query; Virtuoso's non-standard
"typed-literal" JSON is read as a literal, and its ASK answer (a one-row SELECT of
__ASK_RETVAL) as a boolean; updates go in chunks of at most 1000 triples, into a staging graph
moved into place at the end; every request has a timeout that bounds it whole; the default graph
is named explicitly (Oxigraph's is empty, Virtuoso's is the union).
Credentials come from options or the environment and are never printed."""

from __future__ import annotations

import json
import math
import os
import re
import socket
import urllib.error
import uuid
from dataclasses import dataclass
from typing import Any, NoReturn

from calcinosis_kb.knowledgebase.errors import ExitCode, KBError, UsageError
from calcinosis_kb.knowledgebase.interrupt import run_interruptibly
from calcinosis_kb.knowledgebase.namespaces import curie
from calcinosis_kb.knowledgebase.values import typed_text
from calcinosis_kb.querying.named import with_values
from calcinosis_kb.querying.results import Answer

USER_ENV = "CALCINOSIS_KB_ENDPOINT_USER"
PASSWORD_ENV = "CALCINOSIS_KB_ENDPOINT_PASSWORD"
CHUNK = 1000
HTTP_ERRORS = {
    "QueryBadFormed": "HTTP 400 (the query is malformed for this endpoint)",
    "Unauthorized": "HTTP 401 (check --user and --password)",
    "URITooLong": "HTTP 414 (the query is too long for a GET)",
    "EndPointNotFound": "HTTP 404 (check the endpoint URL)",
    "EndPointInternalError": "HTTP 500 (the endpoint failed)",
}
"""SPARQLWrapper's exceptions for HTTP errors, by class name, and what they mean."""


class EndpointError(KBError):
    """The endpoint could not be reached, timed out, refused, or answered nonsense."""

    exit_code = ExitCode.ENVIRONMENT


@dataclass(frozen=True)
class Endpoint:
    url: str
    graph: str | None = None
    timeout: float = 30.0
    user: str | None = None
    password: str | None = None

    @classmethod
    def from_options(cls, url: str, graph: str | None, timeout: float, user: str | None,
                     password: str | None) -> Endpoint:
        if not re.match(r"^https?://\S+$", url):
            raise UsageError(f"--endpoint {url!r} is not an http(s) URL")
        if not math.isfinite(timeout) or timeout <= 0:
            raise UsageError(f"--timeout {timeout:g}: give a number of seconds above 0, e.g. 30")
        return cls(url, graph, timeout, user or os.environ.get(USER_ENV), password or os.environ.get(PASSWORD_ENV))

    def _wrapper(self, url: str) -> Any:
        from SPARQLWrapper import DIGEST, GET, JSON, SPARQLWrapper

        wrapper = SPARQLWrapper(url)
        wrapper.setTimeout(max(1, int(self.timeout)))
        wrapper.setReturnFormat(JSON)
        wrapper.setMethod(GET)
        if self.user:
            wrapper.setHTTPAuth(DIGEST)
            wrapper.setCredentials(self.user, self.password or "")
        return wrapper

    def _perform(self, wrapper: Any, what: str) -> bytes:
        """The response body. --timeout bounds the whole exchange, body included: an endpoint that
        trickles bytes defeats a socket timeout, so the request runs apart, against a deadline."""
        try:
            body: bytes = run_interruptibly(lambda: wrapper.query().response.read(), timeout=self.timeout)
        except Exception as failure:
            self._explain(failure, what)
        return body

    def _explain(self, failure: BaseException, what: str) -> NoReturn:
        """Raise the EndpointError that says what went wrong with a request, in one line."""
        from http.client import HTTPException

        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        try:
            raise failure
        except urllib.error.HTTPError as error:
            said = str(error.reason).strip().splitlines()[0] if str(error.reason).strip() else ""
            raise EndpointError(f"{self.url} answered HTTP {error.code} {said} to {what}") from None
        except TimeoutError:
            raise EndpointError(f"{self.url} did not answer {what} within {self.timeout:g} s (--timeout)") from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError | socket.timeout):
                raise EndpointError(f"{self.url} did not answer {what} within {self.timeout:g} s (--timeout)") from None
            raise EndpointError(f"{self.url} cannot be reached: {reason}") from None
        except SPARQLWrapperException as error:
            meaning = HTTP_ERRORS.get(type(error).__name__)
            if meaning is not None:
                raise EndpointError(f"{self.url} answered {meaning} to {what}") from None
            first = str(error).splitlines()[0]
            raise EndpointError(f"{self.url} rejected {what}: {first}") from None
        except (ConnectionError, OSError) as error:
            raise EndpointError(f"{self.url} cannot be reached: {error}") from None
        except HTTPException as error:  # a connection cut mid-answer (IncompleteRead), a bad status line
            raise EndpointError(f"{self.url} broke off {what}: {type(error).__name__}") from None
        except ValueError as error:  # e.g. urllib's "too many redirects" comes as HTTPError; others here
            raise EndpointError(f"{self.url} could not be asked {what}: {str(error).splitlines()[0]}") from None

    def query(self, text: str, substitutions: dict[str, str] | None = None) -> Answer:
        """Run a query; `substitutions` (variable -> RDF term in N-Triples syntax) are bound by
        a VALUES block, never by editing the query's own text."""
        wrapper = self._wrapper(self.url)
        # Header comments go: SPARQLWrapper guesses the query form from the text, words included.
        wrapper.setQuery(with_values(re.sub(r"(?m)^[ \t]*#[^\n]*$", "", text), substitutions or {}))
        if self.graph:
            wrapper.addDefaultGraph(self.graph)
        body = self._perform(wrapper, "the query")
        try:
            data = json.loads(body)
        except ValueError as error:
            raise EndpointError(f"{self.url} answered with malformed results: {error}") from None
        return parse_json_results(data, self.url)

    def update(self, text: str, what: str) -> None:
        from SPARQLWrapper import POST, URLENCODED

        wrapper = self._wrapper(self.url)
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(URLENCODED)
        wrapper.setQuery(text)
        self._perform(wrapper, what)


def parse_json_results(data: Any, url: str) -> Answer:
    if not isinstance(data, dict):
        raise EndpointError(f"{url} answered with malformed results: not a JSON object")
    if "boolean" in data:
        return Answer(boolean=_boolean(data["boolean"], url))
    try:
        columns = list(data["head"]["vars"])
        rows = [{c: _term(binding.get(c)) for c in columns} for binding in data["results"]["bindings"]]
    except (KeyError, TypeError, AttributeError) as error:
        raise EndpointError(f"{url} answered with malformed results: missing {error}") from None
    if columns == ["__ASK_RETVAL"] and len(rows) == 1:  # Virtuoso answers ASK as a one-row SELECT
        return Answer(boolean=rows[0]["__ASK_RETVAL"] in ("1", "true"))
    return Answer(columns=columns, rows=rows)


def _boolean(value: object, url: str) -> bool:
    """An ASK answer: JSON true or false (the standard), or the strings "true"/"false" some servers send."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise EndpointError(f"{url} answered with malformed results: the boolean is {json.dumps(value)}")


def _term(binding: dict[str, str] | None) -> str | None:
    if binding is None:
        return None
    kind = binding.get("type")
    value = binding.get("value", "")
    if kind == "uri":
        return curie(value).strip("<>")
    # "literal", and Virtuoso's non-standard "typed-literal", carry the lexical value and its datatype
    return typed_text(value, binding.get("datatype"))


def push(endpoint: Endpoint, ntriples_lines: list[str], graph: str) -> int:
    """Replace `graph` at the endpoint with the given triples; return the count. The triples go, in
    chunks, into a fresh staging graph, which one SPARQL MOVE puts in place of `graph` only when every
    chunk has arrived: a failure on the way leaves `graph` as it was, and the message says so."""
    staging = f"{graph}-staging-{uuid.uuid4().hex}"
    try:
        for start in range(0, len(ntriples_lines), CHUNK):
            chunk = "\n".join(ntriples_lines[start:start + CHUNK])
            endpoint.update(f"INSERT DATA {{ GRAPH <{staging}> {{\n{chunk}\n}} }}",
                            f"the update of triples {start + 1}-{min(start + CHUNK, len(ntriples_lines))}")
        if not ntriples_lines:
            endpoint.update(f"CREATE SILENT GRAPH <{staging}>", "the creation of an empty graph")
        endpoint.update(f"MOVE SILENT GRAPH <{staging}> TO GRAPH <{graph}>", "the switch to the new graph")
    except EndpointError as error:
        try:
            endpoint.update(f"DROP SILENT GRAPH <{staging}>", "the removal of the staging graph")
            cleaned = ""
        except EndpointError:
            cleaned = f"; the partial staging graph <{staging}> is left there: drop it"
        raise EndpointError(f"{error.message}; <{graph}> was left as it was{cleaned}") from None
    return len(ntriples_lines)
