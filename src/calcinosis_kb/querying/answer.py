"""Answering a query: from a remote endpoint when one is given, else from the embedded store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from calcinosis_kb.querying.results import Answer, run_local

if TYPE_CHECKING:
    from calcinosis_kb.querying.remote import Endpoint


def answer_query(kb: Path | None, text: str, substitutions: dict[Any, Any] | None = None, *, where: str,
                 endpoint: Endpoint | None = None) -> Answer:
    """The answer of the remote endpoint when one is given (the knowledge base is not read), else
    of the knowledge base's embedded store, built first if it is out of date."""
    if endpoint is not None:
        return endpoint.query(text, {variable.value: str(term) for variable, term in (substitutions or {}).items()})
    from calcinosis_kb.knowledgebase.location import KnowledgeBase
    from calcinosis_kb.querying.store import open_store, stderr_notice

    return run_local(open_store(KnowledgeBase.locate(kb), stderr_notice), text, substitutions, where=where)
