"""Wait for a condition with a deadline, instead of sleeping a fixed time and hoping."""

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class WaitTimeout(TimeoutError):
    pass


def wait_until(
    predicate: Callable[[], T], *, timeout: float, interval: float = 0.02, what: str = "condition"
) -> T:
    """Call `predicate` until it returns a truthy value, or raise WaitTimeout after `timeout` s."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout:.1f}s waiting for {what}")
        pause.wait(interval)
