"""Running a transfer: the plan, schedule, copy and record rooms wired together.

* plan (:mod:`._listing`): sources are listed lazily (in concurrent shards
  for a directory) and given their destination; the destination check is
  bounded (:mod:`._destcheck`);
* schedule (:mod:`._schedule`): an executor copies the planned files, at most
  a bounded window of them in flight;
* copy one file (:mod:`._copy`);
* record (:mod:`._report`, :mod:`._journal`): counts and failures in memory,
  every outcome in a spilling store, and the journal when one is given.

Memory stays flat in the number of files: nothing here holds the listing.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from fluke.exceptions import InvalidChunkSizeError, TransferError
from fluke.transfer._budget import MemoryBudget
from fluke.transfer._copy import CopyContext, CopyOptions, copy_one, same_location
from fluke.transfer._destcheck import DirectoryLookup
from fluke.transfer._journal import Journal, identity_of
from fluke.transfer._listing import Planner, ShardLister, bounded_put, plan_iterable
from fluke.transfer._report import FileOutcome, TransferReport
from fluke.transfer._retry import RetryPolicy
from fluke.transfer._schedule import CopyJob, ThreadExecutor, resolve_executor
from fluke.transfer._sources import DirSource, PlannedFile, TransferSource
from fluke.transfer._strategy import SourceEstimator

if TYPE_CHECKING:
    from fluke._dir import Dir
    from fluke.backend import StorageBackend

__all__ = ["DEFAULT_MEMORY_BUDGET", "TransferSource", "same_location", "transfer"]

logger = logging.getLogger("fluke.transfer")

MiB = 1024 * 1024
DEFAULT_MEMORY_BUDGET = 128 * MiB
#: Planned files waiting for a worker, per worker.
WINDOW_PER_WORKER = 8
#: Most server-side copies in flight by default (an SDK client pools 32 connections).
SERVER_SIDE_FILES = 32
ProgressCallback = Callable[[FileOutcome], None]


class _Progress:
    """A tqdm bar over bytes when output is wanted; thread-safe updates."""

    def __init__(self, enabled: bool, description: str) -> None:
        self._lock = threading.Lock()
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

            self._bar = tqdm(
                desc=description, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr
            )

    def add(self, nbytes: int) -> None:
        if self._bar is not None:
            with self._lock:
                self._bar.update(nbytes)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


class _Recorder:
    """The record room: report, journal and the user's callback, for each outcome."""

    def __init__(
        self, report: TransferReport, journal: Journal | None, callback: ProgressCallback | None
    ) -> None:
        self.report, self.journal, self.callback = report, journal, callback
        self._lock = threading.Lock()

    def __call__(self, planned: PlannedFile | None, outcome: FileOutcome) -> None:
        self.report.add(outcome)
        if self.journal is not None and planned is not None and outcome.status != "planned":
            source = planned.source
            if outcome.status == "failed":
                self.journal.failed(source.relative, None, repr(outcome.error))
            else:
                self.journal.committed(
                    source.relative, source.size, source.mtime, source.version, source.checksum
                )
        if self.callback is not None:
            with self._lock:
                self.callback(outcome)


def _files_in_flight(src: StorageBackend | None, dst: StorageBackend) -> int:
    """Files copied at once by default: 16, bounded by what both backends call sensible.

    Copies the service makes itself (both ends share a copy domain) move no
    bytes through this process and hold no memory: twice as many run at once
    (up to :data:`SERVER_SIDE_FILES`), since each is one round trip of waiting.
    """
    caps = [dst.capabilities.max_concurrency]
    if src is not None:
        caps.append(src.capabilities.max_concurrency)
    if src is not None and src.capabilities.server_side_copy:
        domain = src.copy_domain()
        if domain is not None and domain == dst.copy_domain():
            return min(SERVER_SIDE_FILES, 2 * min(caps))
    return min(16, *caps)


def _check_arguments(
    dst: Dir, chunk_size: int | None, memory_budget: int, max_workers: int | None
) -> None:
    from fluke._dir import Dir

    if not isinstance(dst, Dir):
        raise TypeError(f"transfer destination must be a Dir, not {type(dst).__name__}")
    if chunk_size is not None:
        dst._session.backend.validate_part_size(chunk_size)
        if chunk_size > memory_budget:
            raise InvalidChunkSizeError(
                chunk_size, f"must not exceed the memory budget of {memory_budget} bytes"
            )
    if max_workers is not None and (isinstance(max_workers, bool) or max_workers < 1):
        raise ValueError(f"max_workers must be a positive int, not {max_workers!r}")


def _open_journal(
    path: str | os.PathLike[str], sources: DirSource | None, dst: Dir, opts: CopyOptions
) -> Journal:
    source_uri = "(explicit files)"
    recursive = False
    if sources is not None:
        source_uri = sources.session.backend.uri(sources.root)
        recursive = sources.recursive
    identity = identity_of(
        source=source_uri,
        destination=dst.get_uri(),
        recursive=recursive,
        overwrite=opts.overwrite,
        include_metadata=opts.include_metadata,
    )
    journal = Journal(path, identity)
    if journal.resuming and journal.previous_start is not None:
        root = dst.get_path()
        cleaned = dst._session.backend.cleanup_leftovers(
            root,
            since=journal.previous_start,
            owned=lambda path: path.startswith(root) and journal.owns(path[len(root) :]),
        )
        if cleaned:
            logger.info("removed %d leftovers of the interrupted run", cleaned)
    return journal


def transfer(
    sources: Iterable[TransferSource] | DirSource,
    dst: Dir,
    *,
    overwrite: bool = False,
    include_metadata: bool = False,
    chunk_size: int | None = None,
    suppress_output: bool = False,
    max_workers: int | None = None,
    skip_identical: bool = False,
    dry_run: bool = False,
    callback: ProgressCallback | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    retry: RetryPolicy | None = None,
    journal: str | os.PathLike[str] | None = None,
    executor: object = None,
) -> TransferReport:
    """Copy ``sources`` into directory ``dst``.

    :param sources: the files (:class:`TransferSource`), or a
        :class:`DirSource` the engine lists itself, in concurrent shards.
    :param overwrite: replace existing destination files (else each one is a
        reported :class:`~fluke.exceptions.OverwriteError`).
    :param include_metadata: carry the local metadata (or the real metadata
        when none was set) to the copies.
    :param chunk_size: part size for chunked writes; validated against the
        destination before anything is sent.
    :param suppress_output: no progress bar or summary.
    :param max_workers: files (and parts) in flight at once (default: what
        both backends find sensible, at most 16; at most 32 copies the
        service makes itself, which move no bytes through this process).
    :param skip_identical: leave files already identical at the destination
        (see :mod:`fluke.transfer._identity` for how identity is decided;
        the same size alone never is).
    :param dry_run: return the plan without moving bytes.
    :param callback: called with each file's outcome as it completes (from
        the engine's threads, one call at a time).
    :param memory_budget: most bytes buffered at once across all workers.
    :param retry: how transient errors are retried (default: 5 tries).
    :param journal: a SQLite file recording the plan and each file's state;
        the same call with the same journal resumes (see
        :mod:`fluke.transfer._journal`).
    :param executor: who runs the copies: ``None`` (the in-process thread
        pool), or an object a plugin adapts (a ``dask.distributed.Client``
        with fluke-dask installed).
    :raises InvalidChunkSizeError: ``dst`` cannot accept ``chunk_size``, or it
        exceeds ``memory_budget``.
    :raises JournalMismatchError: ``journal`` records another transfer.
    """
    _check_arguments(dst, chunk_size, memory_budget, max_workers)
    if journal is not None and dry_run:
        raise ValueError("a dry run records nothing: do not give it a journal")
    run = resolve_executor(executor)
    opts = CopyOptions(overwrite, include_metadata, chunk_size, skip_identical, dry_run)
    listing = sources if isinstance(sources, DirSource) else None
    items: Iterator[TransferSource] = iter(()) if listing is not None else iter(sources)  # type: ignore[arg-type]
    first_backend = listing.session.backend if listing is not None else None
    if listing is None:
        first = next(items, None)
        if first is not None:
            first_backend = first.session.backend
            items = itertools.chain([first], items)
    dst_backend = dst._session.backend
    workers = max_workers or _files_in_flight(first_backend, dst_backend)
    record_to = _open_journal(journal, listing, dst, opts) if journal is not None else None
    started, started_at = time.monotonic(), time.time()
    progress = _Progress(not suppress_output and not dry_run, f"-> {dst.get_uri()}")
    report = TransferReport()
    recorder = _Recorder(report, record_to, callback)
    window: queue.Queue[PlannedFile | None] = queue.Queue(WINDOW_PER_WORKER * workers)
    stop = threading.Event()
    planner = Planner(
        dst_backend, dst.get_path(), opts, record_to, bounded_put(window, stop), recorder
    )
    lister = ShardLister(listing, planner, stop, record_to) if listing is not None else None
    planned_all = [False]

    def produce() -> None:
        try:
            if lister is not None:
                lister.run()
                planned_all[0] = lister.complete
            else:
                planned_all[0] = plan_iterable(items, planner, stop)
        except BaseException as error:  # noqa: BLE001 - raised below
            produced_error.append(error)
        finally:
            while not stop.is_set():
                try:
                    window.put(None, timeout=0.2)
                    break
                except queue.Full:
                    continue

    def drain() -> Iterator[PlannedFile]:
        while (item := window.get()) is not None:
            yield item

    produced_error: list[BaseException] = []
    complete = False
    try:
        with ThreadPoolExecutor(workers, thread_name_prefix="fluke-part") as part_pool:
            ctx = CopyContext(
                part_pool,
                MemoryBudget(memory_budget),
                retry or RetryPolicy(),
                progress.add,
                chunk_size,
                DirectoryLookup(dst_backend) if opts.looks_at_destination else None,
                SourceEstimator(workers),
            )

            def copy(planned: PlannedFile) -> FileOutcome:
                if record_to is not None and planned.journal_seq:
                    record_to.ensure_written(planned.journal_seq)  # write-ahead
                return copy_one(planned, dst._session, opts, ctx)

            job = CopyJob(copy, workers, dst, opts, memory_budget, ctx.retry)
            producer = threading.Thread(target=produce, name="fluke-plan", daemon=True)
            producer.start()
            try:
                run.run_transfer(drain(), job, recorder)
            finally:
                stop.set()
                producer.join()
            if produced_error:
                raise produced_error[0]
            if lister is not None and lister.error is not None:
                raise lister.error
            deferred = _refuse_collisions(planner.deferred, report, dst, recorder)
            if deferred:
                run.run_transfer(iter(deferred), job, recorder)
            if not isinstance(run, ThreadExecutor):
                _clean_after_lost_workers(dst, report, started_at)
            complete = planned_all[0]
    finally:
        progress.close()
        if record_to is not None:
            record_to.close(complete=complete)
    report.seconds = time.monotonic() - started
    if not suppress_output:
        _print_summary(report)
    return report


def _refuse_collisions(
    deferred: list[PlannedFile], report: TransferReport, dst: Dir, record: _Recorder
) -> list[PlannedFile]:
    """Fail the held-back odd paths that collide; return the others to copy."""
    if not deferred:
        return []
    backend = dst._session.backend
    by_destination: dict[str, list[PlannedFile]] = {}
    for planned in deferred:
        by_destination.setdefault(backend.uri(planned.destination), []).append(planned)
    claimed = report.destinations_among(list(by_destination))
    free: list[PlannedFile] = []
    for uri, group in by_destination.items():
        if len(group) == 1 and uri not in claimed:
            free.extend(group)
            continue
        sources = [p.source.session.backend.uri(p.source.path) for p in group]
        for planned, source in zip(group, sources, strict=True):
            others = [other for other in sources if other != source]
            if uri in claimed:
                others.append(claimed[uri])
            collision = TransferError(
                f"{source} and {', '.join(repr(o) for o in others)} would both be copied "
                f"to {uri!r}; {source!r} was not copied"
            )
            record(planned, FileOutcome(source, uri, "failed", error=collision))
    return free


def _clean_after_lost_workers(dst: Dir, report: TransferReport, since: float) -> None:
    """Remove what copies on lost workers (killed processes) left under ``dst``.

    A worker killed mid-copy cannot abort its writer; the executor ran that
    copy again elsewhere. Leftovers of writes to a destination this
    transfer recorded an outcome for are ours to remove.
    """
    backend, root = dst._session.backend, dst.get_path()

    def owned(path: str) -> bool:
        return bool(report.destinations_among([backend.uri(path)], failed_too=True))

    cleaned = backend.cleanup_leftovers(root, since=since, owned=owned)
    if cleaned:
        logger.info("removed %d leftovers of copies on lost workers", cleaned)


def _print_summary(report: TransferReport) -> None:
    stream = sys.stderr
    for outcome in report.failed:
        stream.write(f"FAILED {outcome.source}: {outcome.error}\n")
    stream.write(report.summary() + "\n")
