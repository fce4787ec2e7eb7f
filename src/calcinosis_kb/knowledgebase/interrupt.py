"""Work that Ctrl-C must be able to stop at once. pyoxigraph's bulk loads and queries run in native
code, where Python sees a Ctrl-C only when the call returns (seconds later, or never for a cross
product); run in a helper thread, the main thread stays free to take the interrupt."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

POLL_SECONDS = 0.1


def run_interruptibly(work: Callable[[], T], timeout: float | None = None) -> T:
    """`work()`'s result or exception; a KeyboardInterrupt reaches the caller within POLL_SECONDS,
    and after `timeout` seconds a TimeoutError does. The abandoned work ends with the process (a
    blocked socket read cannot be cancelled; a build's staging folder is named by the process, so
    the next run removes it)."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = work()
        except BaseException as error:  # handed over to the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=target, name="kb-work", daemon=True)
    worker.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    while worker.is_alive():
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"not done within {timeout:g} s")
        worker.join(POLL_SECONDS if deadline is None else min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
    if "error" in outcome:
        raise outcome["error"]
    result: T = outcome["result"]
    return result
