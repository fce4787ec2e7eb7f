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
    CRASH = 70  # a bug in kb itself (sysexits' EX_SOFTWARE): never the user's data or set-up
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


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


DEBUG_ENV = "CALCINOSIS_KB_DEBUG"
"""Set to 1 to let an internal error's traceback through (for the maintainers)."""


def crash_message(error: BaseException) -> str:
    """One line for an exception no part of kb anticipated: what it was, and that it is our bug."""
    first = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    what = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return (f"internal error ({what}); this is a bug in kb, not in your data: please report it to the "
            f"maintainers with the command you ran ({DEBUG_ENV}=1 shows the traceback)")
