"""The `kb` application: its options shared by every command, the one place errors become a line
on stderr and an exit code (knowledgebase/errors.py), and the entry point. The commands are in
knowledge.py, querying.py and interchange.py, each parsing its arguments, calling one library
function and rendering the result."""

from __future__ import annotations

import errno
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from calcinosis_kb import __version__
from calcinosis_kb.knowledgebase.errors import (
    DEBUG_ENV,
    EnvironmentProblem,
    ExitCode,
    InputFileError,
    KBError,
    UsageError,
    crash_message,
)
from calcinosis_kb.presentation.render import ROW_FORMATS, Format

if TYPE_CHECKING:
    from calcinosis_kb.knowledgebase.location import KnowledgeBase

app = typer.Typer(
    name="kb",
    help="calcinosis-kb: a reasoned knowledge base of calcinosis cutis case reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

KbOption = Annotated[
    Path | None,
    typer.Option("--kb", help="Knowledge-base folder (ontology/, cases/, queries/); default: the shipped one "
                 "or $CALCINOSIS_KB_DIR.", show_default=False),
]

RowFormatOption = Annotated[Format, typer.Option("--format", "-f", help=f"{', '.join(ROW_FORMATS)}.")]

T = TypeVar("T")


def run(action: Callable[[], T]) -> T:
    """Turn every error into one line on stderr and its exit code: the one place that does.
    KBError carries its own; an unwritable output is the environment's; anything else is a bug
    in kb (ExitCode.CRASH), never reported as a problem in the user's data."""
    try:
        return action()
    except KBError as error:
        fail(error.message, error.exit_code)
    except (typer.Exit, typer.Abort, BrokenPipeError):  # a chosen exit code; a reader that has gone
        raise
    except KeyboardInterrupt:
        fail("interrupted", ExitCode.INTERRUPTED)
    except RecursionError:
        fail("the input nests too deeply to be processed (thousands of levels of brackets); flatten it",
             ExitCode.INPUT)
    except OSError as error:
        fail(*_os_error(error))
    except Exception as error:
        if os.environ.get(DEBUG_ENV):
            raise
        fail(crash_message(error), ExitCode.CRASH)


def _os_error(error: OSError) -> tuple[str, ExitCode]:
    """A file named on the command line that cannot be opened is the input's fault; anything else
    (stdout or an output file on a full disk, a cache kb may not write) is the environment's."""
    said = error.strerror or str(error)
    if error.filename is None:
        return f"cannot write the output: {said}", EnvironmentProblem.exit_code
    if error.errno == errno.EACCES:
        return f"{error.filename}: {said}; check its permissions", InputFileError.exit_code
    if error.errno in (errno.ENOENT, errno.ENAMETOOLONG, errno.EISDIR, errno.ENOTDIR, errno.ELOOP):
        return f"{error.filename}: {said}; check the path", InputFileError.exit_code
    return f"{error.filename}: {said}", EnvironmentProblem.exit_code


def fail(message: str, code: ExitCode) -> NoReturn:
    typer.echo(f"kb: {message}", err=True)
    raise typer.Exit(int(code)) from None


def choose_format(fmt: Format, allowed: tuple[Format, ...]) -> Format:
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
    kb: KbOption = None,
) -> None:
    """calcinosis-kb: classify calcinosis cutis cases with a DL reasoner, explain why, and query them."""
    # rdflib logs a traceback for each ill-typed literal; kb reports those itself, in one line
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)
    _options_before_the_command.kb = kb


class _OptionsBeforeTheCommand:
    """What the options given before the command name said (set anew on every invocation)."""

    kb: Path | None = None


_options_before_the_command = _OptionsBeforeTheCommand()


def chosen_kb(kb: Path | None) -> Path | None:
    """The knowledge-base folder a command works on: its own --kb, else the one given before the
    command (`kb --kb DIR validate`), else None (the environment variable, then the shipped one)."""
    return kb if kb is not None else _options_before_the_command.kb


def locate(kb: Path | None) -> KnowledgeBase:
    """The knowledge base a command works on (see chosen_kb)."""
    from calcinosis_kb.knowledgebase.location import KnowledgeBase

    return KnowledgeBase.locate(chosen_kb(kb))


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
    except KeyboardInterrupt:  # outside a command's run(): while Typer parses, or at start-up
        sys.stderr.write("kb: interrupted\n")
        sys.exit(int(ExitCode.INTERRUPTED))
    except BrokenPipeError:  # `kb ... | head`: the reader has gone, nothing is left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    finally:
        # Python's last cyclic collection, as it exits, would walk every object still alive (the
        # ontology's graph among them) to free memory the process is about to give back anyway:
        # 0.05 s of a one-case `kb infer`. Frozen, they are left out of it.
        gc.freeze()
