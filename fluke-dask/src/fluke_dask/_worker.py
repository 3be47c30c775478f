"""The worker side: copy one batch of files with the core's copy room.

Each worker process opens the source and destination once per job and keeps
them (and a thread pool) for the job's next batches. A batch may run twice
(a lost worker, ``allowed-failures``): every copy commits conditionally
(``overwrite=False``) or replaces with the same bytes; a destination found
identical to its source before the copy (this very copy, committed by the
earlier run of the task) is skipped, and a conditional commit refused because
an identical file appeared meanwhile counts as done.
"""

from __future__ import annotations

import logging
import pickle
import threading
from concurrent.futures import ThreadPoolExecutor

from fluke._dir import Dir
from fluke.exceptions import OverwriteError, TransferError
from fluke.transfer._budget import MemoryBudget
from fluke.transfer._copy import CopyContext, copy_one
from fluke.transfer._destcheck import DirectoryLookup
from fluke.transfer._identity import Side, is_identical
from fluke.transfer._report import FileOutcome
from fluke.transfer._sources import PlannedFile, TransferSource
from fluke.transfer._strategy import SourceEstimator
from fluke_dask._spec import JobSpec, WireFile

logger = logging.getLogger("fluke.dask")

_JOBS: dict[str, _WorkerJob] = {}
_LOCK = threading.Lock()


class _WorkerJob:
    """One job's opened Dirs, copy context and thread pool in this worker process."""

    def __init__(self, spec: JobSpec) -> None:
        self.spec = spec
        self.src: Dir = spec.source.open()
        self.dst: Dir = spec.destination.open()
        self.files = ThreadPoolExecutor(spec.threads, thread_name_prefix="fluke-dask-file")
        self.ctx = CopyContext(
            ThreadPoolExecutor(spec.threads, thread_name_prefix="fluke-dask-part"),
            MemoryBudget(spec.memory_budget),
            spec.retry,
            lambda _nbytes: None,
            spec.options.chunk_size,
            # as on the driver: a directory's listing instead of a stat per file
            DirectoryLookup(self.dst._session.backend)
            if spec.options.looks_at_destination
            else None,
            # measured across the job's batches in this worker
            SourceEstimator(spec.threads),
        )

    def copy(self, wire: WireFile) -> FileOutcome:
        session = self.src._session
        source = TransferSource(
            session, wire.path, wire.relative, wire.size, wire.checksum, wire.version, wire.mtime
        )
        planned = PlannedFile(source, wire.destination, wire.existing, wire.verify_existing)
        outcome = copy_one(planned, self.dst._session, self.spec.options, self.ctx)
        if isinstance(outcome.error, OverwriteError):
            # the check before the commit saw the destination free (or a stale
            # directory listing did), and the commit was refused: look again
            outcome = self._done_before(planned, outcome)
        return _portable(outcome)

    def _done_before(self, planned: PlannedFile, outcome: FileOutcome) -> FileOutcome:
        """A refused commit: is the file there this very copy, from an earlier run?"""
        dst = self.dst._session.backend
        src = planned.source
        try:
            entry = dst.stat(planned.destination)
            mtime, checksum = (None, None) if entry is None else (entry.mtime, entry.checksum)
            same = is_identical(
                Side(src.session.backend, src.path, src.mtime, src.checksum),
                Side(dst, planned.destination, mtime, checksum),
                src.size or 0,
                entry,
            )
        except Exception as error:  # noqa: BLE001 - the refusal stands, reported as it was
            logger.debug("looking again at %s failed: %s", outcome.destination, error)
            return outcome
        if not same:
            return outcome
        size = src.size or 0
        return FileOutcome(outcome.source, outcome.destination, "transferred", size, 0.0)


def _job(spec: JobSpec) -> _WorkerJob:
    with _LOCK:
        job = _JOBS.get(spec.token)
        if job is None:
            job = _JOBS[spec.token] = _WorkerJob(spec)
        return job


def _portable(outcome: FileOutcome) -> FileOutcome:
    """``outcome`` with an error that survives pickling back to the driver."""
    error = outcome.error
    if error is None:
        return outcome
    try:
        pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes, just made
    except Exception:  # noqa: BLE001 - any error that does not travel is re-wrapped
        error = TransferError(f"{type(error).__name__}: {error}")
    outcome.error = error.with_traceback(None)
    return outcome


def copy_batch(spec: JobSpec, files: list[WireFile]) -> list[FileOutcome]:
    """Copy ``files`` (one Dask task); return their outcomes in order."""
    job = _job(spec)
    return list(job.files.map(job.copy, files))
