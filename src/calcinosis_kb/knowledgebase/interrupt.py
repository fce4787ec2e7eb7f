"""Work that Ctrl-C must be able to stop at once. pyoxigraph's bulk loads and queries run in native
code, where Python sees a Ctrl-C only when the call returns (seconds later, or never for a cross
product); run in a helper thread, the main thread stays free to take the interrupt."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

POLL_SECONDS = 0.1


def run_interruptibly(work: Callable[[], T]) -> T:
    """`work()`'s result or exception; a KeyboardInterrupt reaches the caller within POLL_SECONDS,
    leaving the abandoned work to end with the process (a build's staging folder is named by the
    process, so the next run removes it)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = work()
        except BaseException as error:  # handed over to the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=target, name="kb-work", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(POLL_SECONDS)
    if "error" in outcome:
        raise outcome["error"]
    result: T = outcome["result"]
    return result
