"""A global budget on buffered bytes shared by every worker of a transfer.

What it counts: the chunk or part the engine is moving, plus what the
destination's writer buffers on its own (:attr:`fluke.backend.Writer.buffer_size`
for the writer's life, :attr:`fluke.backend.PartWriter.buffer_per_part` per
part in flight). Each copy takes its whole share in one request, never a
second one while holding the first, so copies cannot deadlock each other.

Counting is not enough for the process's resident size: glibc keeps freed
buffers in per-thread arenas, and a transfer frees a chunk-sized buffer
in each of its threads, so the resident size grew to several times the
budget (measured: 316 MiB above the start for a 128 MiB budget, 16 streams
to GCS). A budget therefore asks glibc, once per process, to map buffers of
:data:`MMAP_FROM` bytes or more on their own, so that a freed buffer goes
back to the system at once (``mallopt(M_MMAP_THRESHOLD)``; the same run:
130 MiB). A ``MALLOC_MMAP_THRESHOLD_`` in the environment is the user's
choice and is left alone; other C libraries are left alone.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import threading
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger("fluke.transfer")

#: buffers from this size on get their own mapping (returned to the system when freed)
MMAP_FROM = 1024 * 1024
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
_tuned = False
_tuning = threading.Lock()


def return_freed_buffers() -> None:
    """Make glibc give freed large buffers back to the system (once per process)."""
    global _tuned
    with _tuning:
        if _tuned:
            return
        _tuned = True
        if "MALLOC_MMAP_THRESHOLD_" in os.environ or platform.libc_ver()[0] != "glibc":
            return
        try:
            libc = ctypes.CDLL("libc.so.6")
            if libc.mallopt(_M_MMAP_THRESHOLD, MMAP_FROM) != 1:
                logger.debug("mallopt(M_MMAP_THRESHOLD) refused")
        except (OSError, AttributeError):  # not glibc after all: nothing to tune
            logger.debug("no mallopt in this C library", exc_info=True)


class MemoryBudget:
    """Blocks a worker until the bytes it wants to buffer fit in the budget.

    A single request larger than the whole budget is let through alone (when
    nothing else is held), so a transfer never deadlocks on a big part.
    """

    def __init__(self, limit: int) -> None:
        return_freed_buffers()
        self.limit = limit
        self._held = 0
        self._peak = 0
        self._condition = threading.Condition()

    @property
    def held(self) -> int:
        """Bytes reserved right now."""
        return self._held

    @property
    def peak(self) -> int:
        """The most bytes reserved at once so far."""
        return self._peak

    def acquire(self, nbytes: int) -> None:
        """Wait until ``nbytes`` fit, then reserve them (give them back with :meth:`release`)."""
        with self._condition:
            while self._held and self._held + nbytes > self.limit:
                self._condition.wait()
            self._held += nbytes
            self._peak = max(self._peak, self._held)

    def release(self, nbytes: int) -> None:
        """Give back ``nbytes`` reserved by :meth:`acquire`."""
        with self._condition:
            self._held -= nbytes
            self._condition.notify_all()

    @contextmanager
    def hold(self, nbytes: int) -> Iterator[None]:
        """Reserve ``nbytes`` for the duration of the ``with`` block."""
        self.acquire(nbytes)
        try:
            yield
        finally:
            self.release(nbytes)
