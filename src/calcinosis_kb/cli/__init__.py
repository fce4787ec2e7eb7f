"""The `kb` command line: the application, its shared options and its entry point
(application.py), and its commands by layer: knowledge.py (validate, infer, audit, cases,
evidence), querying.py (query, sparql, push), interchange.py (export, release, import), site.py (site)."""

import _thread
import sys
import time
from typing import Any

_default_unraisable_hook = sys.unraisablehook


def _redeliver_a_lost_interrupt(unraisable: Any) -> None:
    """A Ctrl-C whose KeyboardInterrupt was raised inside a callback Python cannot raise from (an
    import lock's weakref callback, while kb imports) was printed as "Exception ignored" and lost:
    the run went on to the end. It is delivered again, from another thread so that it reaches the
    code the callback interrupted rather than this hook (lost again there, it would come back here)."""
    if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
        _thread.start_new_thread(_interrupt_main_soon, ())  # not threading's: it waits for the thread
    else:
        _default_unraisable_hook(unraisable)


def _interrupt_main_soon() -> None:
    time.sleep(0.005)  # once the hook has returned
    _thread.interrupt_main()


sys.unraisablehook = _redeliver_a_lost_interrupt

try:
    from calcinosis_kb.cli import interchange, knowledge, querying, site  # each registers its commands on the app
    from calcinosis_kb.cli.application import app, entrypoint
except KeyboardInterrupt:  # a Ctrl-C while kb starts, before entrypoint() can answer it (exit code 130)
    sys.stderr.write("kb: interrupted\n")
    sys.exit(130)

__all__ = ["app", "entrypoint", "interchange", "knowledge", "querying", "site"]
