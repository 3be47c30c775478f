"""A global budget on buffered bytes shared by every worker of a transfer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class MemoryBudget:
    """Blocks a worker until the bytes it wants to buffer fit in the budget.

    A single request larger than the whole budget is let through alone (when
    nothing else is held), so a transfer never deadlocks on a big part.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held = 0
        self._condition = threading.Condition()

    @contextmanager
    def hold(self, nbytes: int) -> Iterator[None]:
        """Reserve ``nbytes`` for the duration of the ``with`` block."""
        with self._condition:
            while self._held and self._held + nbytes > self.limit:
                self._condition.wait()
            self._held += nbytes
        try:
            yield
        finally:
            with self._condition:
                self._held -= nbytes
                self._condition.notify_all()
