"""The driver side: batches of file tasks on a Dask cluster, results streamed back.

Work items are batches of files, cut by count (128) and by bytes (256 MiB) so that a task
carries seconds of work (a Dask task costs the scheduler a few hundred
microseconds); a file of :attr:`DaskExecutor.big_file` bytes or more is a
task of its own, its parts copied concurrently on that worker. A bounded
number of batches is in flight - :attr:`DaskExecutor.batches_per_worker`
times the workers, so fast workers take more (as DistCp does) - and each
completed batch is refilled from the planned files, which keep streaming
from the listing. Outcomes come back to the driver and go to the same report
and journal as with the thread pool.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fluke import _paths
from fluke.exceptions import TransferError
from fluke.transfer import CopyJob, PlannedFile
from fluke.transfer._report import FileOutcome
from fluke.transfer._schedule import Record
from fluke_dask._spec import Endpoint, JobSpec, WireFile
from fluke_dask._worker import copy_batch

logger = logging.getLogger("fluke.dask")

MiB = 1024 * 1024


class DaskExecutor:
    """Runs a transfer's copies on the workers of a ``dask.distributed.Client``.

    :param client: a connected client.
    :param max_files: most files in one task.
    :param max_bytes: most bytes in one task (a file bigger alone is its own task).
    :param big_file: from this size on, a file is a task of its own.
    :param batches_per_worker: tasks in flight per worker.
    :param threads: files one task copies at once on its worker.
    """

    def __init__(
        self,
        client: Any,
        *,
        max_files: int = 128,
        max_bytes: int = 256 * MiB,
        big_file: int = 64 * MiB,
        batches_per_worker: int = 3,
        threads: int = 8,
    ) -> None:
        self.client = client
        self.max_files, self.max_bytes, self.big_file = max_files, max_bytes, big_file
        self.batches_per_worker, self.threads = batches_per_worker, threads

    def __repr__(self) -> str:
        return f"DaskExecutor({self.client.scheduler.address})"

    def _batches(self, files: Iterator[PlannedFile]) -> Iterator[list[PlannedFile]]:
        batch: list[PlannedFile] = []
        size = 0
        for planned in files:
            nbytes = planned.source.size or 0
            if nbytes >= self.big_file:
                yield [planned]
                continue
            batch.append(planned)
            size += nbytes
            if len(batch) >= self.max_files or size >= self.max_bytes:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def run_transfer(self, files: Iterator[PlannedFile], job: CopyJob, record: Record) -> None:
        """See :meth:`fluke.transfer.TransferExecutor.run_transfer`."""
        from distributed import as_completed

        first = next(files, None)
        if first is None:
            return
        files = itertools.chain([first], files)
        src_backend = first.source.session.backend
        spec = JobSpec(
            uuid.uuid4().hex,
            Endpoint.of(src_backend, _paths.parent_of(first.source.path)),
            Endpoint.of(job.destination._session.backend, job.destination.get_path()),
            job.options,
            job.memory_budget,
            job.retry,
            self.threads,
        )
        client = self.client
        [shared] = client.scatter([spec], broadcast=True, hash=False)
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        batches = self._batches(files)
        pending: dict[str, list[PlannedFile]] = {}
        running = as_completed()  # type: ignore[no-untyped-call]
        counter = itertools.count()

        def submit(batch: list[PlannedFile]) -> None:
            key = f"fluke-copy-{spec.token[:8]}-{next(counter)}"
            wire = [WireFile.of(planned) for planned in batch]
            future = client.submit(copy_batch, shared, wire, key=key, pure=False)
            pending[future.key] = batch
            running.add(future)  # type: ignore[no-untyped-call]

        for batch in itertools.islice(batches, self.batches_per_worker * workers):
            submit(batch)
        try:
            for future in running:
                batch = pending.pop(future.key)
                for planned, outcome in zip(batch, self._outcomes(future, batch), strict=True):
                    record(planned, outcome)
                future.release()
                following = next(batches, None)
                if following is not None:
                    submit(following)
        finally:
            for key in list(pending):
                client.cancel(key)
            client.cancel(shared)

    @staticmethod
    def _outcomes(future: Any, batch: list[PlannedFile]) -> list[FileOutcome]:
        try:
            outcomes: list[FileOutcome] = future.result()
            return outcomes
        except Exception as error:  # noqa: BLE001 - the task failed for good: each file did
            logger.warning("a copy task failed for good: %s", type(error).__name__)
            failed = []
            for planned in batch:
                src = planned.source
                reason = TransferError(f"the Dask task copying it failed: {type(error).__name__}")
                failed.append(
                    FileOutcome(
                        src.session.backend.uri(src.path),
                        planned.destination,
                        "failed",
                        error=reason,
                    )
                )
            return failed


@contextmanager
def connect(address: str) -> Iterator[Any]:
    """A Dask client for ``fluke cp --dask``: ``tcp://HOST:PORT`` or ``local:N``.

    ``local:N`` starts a ``LocalCluster`` of N worker processes for the
    duration of the ``with`` block.

    :raises ValueError: ``address`` is neither form.
    """
    from distributed import Client, LocalCluster

    if address.startswith("local:"):
        count = address.partition(":")[2]
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"--dask {address!r}: local:N needs a positive worker count")
        with (
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=int(count), threads_per_worker=1, processes=True
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            yield client
        return
    if "://" not in address:
        raise ValueError(f"--dask {address!r}: use tcp://HOST:PORT or local:N")
    with Client(address) as client:  # type: ignore[no-untyped-call]
        yield client
