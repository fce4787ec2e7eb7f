"""User-facing errors. Every error the CLI reports derives from KBError; the CLI turns
it into one line on stderr and the exit code below (documented in the README)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    PROBLEMS_FOUND = 1  # validate found problems; infer classified some cases but not all
    USAGE = 2  # bad arguments: unknown format, unknown query, missing parameter
    INPUT = 3  # a file is missing, empty, not Turtle, or not a case file
    KNOWLEDGE = 4  # unknown term, inconsistent ontology or case, unconvertible unit
    ENVIRONMENT = 5  # Java missing or too old, reasoner failed to run


class KBError(Exception):
    """Base class: a message for the user and an exit code."""

    exit_code: ExitCode = ExitCode.KNOWLEDGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(KBError):
    exit_code = ExitCode.USAGE


class InputFileError(KBError):
    exit_code = ExitCode.INPUT


class KnowledgeError(KBError):
    exit_code = ExitCode.KNOWLEDGE


class InconsistentError(KnowledgeError):
    """The reasoner found the ontology plus the given facts contradictory."""


class EnvironmentProblem(KBError):
    exit_code = ExitCode.ENVIRONMENT
