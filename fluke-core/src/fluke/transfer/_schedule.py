"""Scheduling (schedule room): who runs the file copies, behind one seam.

The engine hands an executor a stream of planned files and a way to record
each outcome. The default, :class:`ThreadExecutor`, runs them on a fixed set
of threads in this process, each taking the next file from the stream (a
bounded window: the stream blocks while the planner waits for room). A
plugin can adapt another executor (a Dask client: ``fluke-dask``; a Ray
cluster) through the :func:`fluke.hookspecs.fluke_transfer_executor` hook.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from fluke.transfer._copy import CopyOptions
from fluke.transfer._report import FileOutcome
from fluke.transfer._retry import RetryPolicy
from fluke.transfer._sources import PlannedFile

if TYPE_CHECKING:
    from fluke._dir import Dir

Record = Callable[[PlannedFile, FileOutcome], None]


@dataclass(frozen=True)
class CopyJob:
    """What an executor needs to copy the files of one transfer.

    :param copy: copies one planned file in this process (the thread pool's way).
    :param workers: files in flight at once.
    :param destination: the destination directory (executors running
        elsewhere rebuild the copy from it and ``options``).
    :param options: the per-file choices.
    :param memory_budget: most bytes buffered at once, per process.
    :param retry: how transient errors are retried.
    """

    copy: Callable[[PlannedFile], FileOutcome]
    workers: int
    destination: Dir
    options: CopyOptions
    memory_budget: int
    retry: RetryPolicy = RetryPolicy()


@runtime_checkable
class TransferExecutor(Protocol):
    """Runs the copies of a transfer: the seam a plugin's executor implements."""

    def run_transfer(self, files: Iterator[PlannedFile], job: CopyJob, record: Record) -> None:
        """Copy every file of ``files`` and ``record`` each outcome, then return.

        ``files`` may block while the listing goes on; ``record`` is
        thread-safe. An exception raised by ``record`` (a user callback)
        must stop the run and propagate.
        """


class ThreadExecutor:
    """The default: ``job.workers`` threads in this process, each pulling the next file."""

    def run_transfer(self, files: Iterator[PlannedFile], job: CopyJob, record: Record) -> None:
        """See :meth:`TransferExecutor.run_transfer`."""
        lock = threading.Lock()
        failure: list[BaseException] = []

        def work() -> None:
            try:
                while not failure:
                    with lock:
                        item = next(files, None)
                    if item is None:
                        return
                    record(item, job.copy(item))
            except BaseException as error:  # noqa: BLE001 - re-raised by run
                failure.append(error)

        threads = [
            threading.Thread(target=work, name=f"fluke-file-{index}", daemon=True)
            for index in range(job.workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)
        if failure:
            raise failure[0]


def resolve_executor(executor: object) -> TransferExecutor:
    """The executor for a transfer's ``executor=`` argument.

    ``None`` (or ``"threads"``): the thread pool. An object with the
    :class:`TransferExecutor` method is used as is. Anything else is offered
    to the plugins' :func:`~fluke.hookspecs.fluke_transfer_executor` hook.

    :raises TypeError: no plugin accepts ``executor`` (naming its type).
    """
    if executor is None or executor == "threads":
        return ThreadExecutor()
    if isinstance(executor, TransferExecutor):
        return executor
    from fluke._plugins import build_plugin_manager

    manager, _ = build_plugin_manager()
    adapted = manager.hook.fluke_transfer_executor(executor=executor)
    if isinstance(adapted, TransferExecutor):
        return adapted
    kind = f"{type(executor).__module__}.{type(executor).__qualname__}"
    hint = " (pip install fluke-dask)" if kind.startswith("distributed.") else ""
    raise TypeError(f"no installed plugin runs transfers on a {kind}{hint}")
