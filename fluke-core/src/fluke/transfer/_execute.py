"""Running a transfer: plan each file, copy concurrently, verify, report."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fluke import _paths
from fluke._session import Session
from fluke.backend import Checksum, Entry, StorageBackend
from fluke.exceptions import InvalidChunkSizeError, InvalidPathError, OverwriteError, TransferError
from fluke.transfer._budget import MemoryBudget
from fluke.transfer._copy import (
    CopyContext,
    copy_in_parts,
    copy_server_side,
    copy_streamed,
    part_size_for,
    retrying,
)
from fluke.transfer._identity import Side, is_identical
from fluke.transfer._plan import FileTask
from fluke.transfer._report import FileOutcome, TransferReport
from fluke.transfer._retry import RetryPolicy, with_retries

if TYPE_CHECKING:
    from fluke._dir import Dir

logger = logging.getLogger("fluke.transfer")

MiB = 1024 * 1024
DEFAULT_MEMORY_BUDGET = 128 * MiB
ProgressCallback = Callable[[FileOutcome], None]


@dataclass
class TransferSource:
    """One file to copy: its session, full path, and path relative to the copy root.

    ``size``, ``checksum``, ``version`` and ``mtime`` are what the listing said
    (``None``: the engine asks the backend).
    """

    session: Session
    path: str
    relative: str
    size: int | None = None
    checksum: Checksum | None = None
    version: str | None = None
    mtime: float | None = None

    @classmethod
    def from_entry(cls, session: Session, entry: Entry, relative: str) -> TransferSource:
        """The source described by a listing ``entry``."""
        return cls(
            session, entry.path, relative, entry.size, entry.checksum, entry.version, entry.mtime
        )


@dataclass
class _Options:
    overwrite: bool
    include_metadata: bool
    chunk_size: int | None
    skip_identical: bool
    dry_run: bool


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


Lookup = Callable[[str], "Entry | None"]


def _metadata_for(src: TransferSource) -> dict[str, str]:
    local = src.session.local_metadata(src.path)
    return dict(local) if local else src.session.real_metadata(src.path)


def _copy_one(
    src: TransferSource, dst_path: str, dst: Dir, opts: _Options, ctx: CopyContext, lookup: Lookup
) -> FileOutcome:
    started = time.monotonic()
    src_backend = src.session.backend
    dst_session: Session = dst._session
    dst_backend = dst_session.backend
    source_uri = src_backend.uri(src.path)
    destination_uri = dst_backend.uri(dst_path)
    if same_location(src_backend, src.path, dst_backend, dst_path):
        error = InvalidPathError(source_uri, "is both the source and the destination")
        return FileOutcome(source_uri, destination_uri, "failed", error=error)

    def inspect() -> tuple[TransferSource, Entry | None, bool]:
        """The source as it is now, what is at the destination, whether identical."""
        known = src
        if src.size is None:
            entry = src.session.stat(src.path)
            if entry is None or entry.is_dir:
                raise InvalidPathError(source_uri)
            known = TransferSource.from_entry(src.session, entry, src.relative)
        size = known.size or 0
        existing = lookup(dst_path) if opts.skip_identical or not opts.overwrite else None
        same = opts.skip_identical and is_identical(
            Side(src_backend, src.path, known.mtime, known.checksum),
            Side(dst_backend, dst_path, *_times_and_sum(existing)),
            size,
            existing,
        )
        return known, existing, same

    try:
        # these requests fail transiently like the copy itself: retry them alike
        known, existing, same = retrying(ctx, (src_backend, dst_backend), source_uri, inspect)
        size = known.size or 0
        if same:
            return FileOutcome(source_uri, destination_uri, "skipped", 0, 0.0)
        if not opts.overwrite and existing is not None:
            raise OverwriteError(destination_uri)
        if opts.dry_run:
            return FileOutcome(source_uri, destination_uri, "planned", size)
        metadata = (
            retrying(ctx, (src_backend,), source_uri, lambda: _metadata_for(src))
            if opts.include_metadata
            else None
        )
        task = FileTask(
            src.path,
            dst_path,
            source_uri,
            destination_uri,
            size,
            metadata,
            known.checksum,
            known.version,
            known.mtime,
            opts.overwrite,
        )
        _run(task, src_backend, dst_backend, ctx, opts)
        dst_session.purge()
        if metadata and not dst_backend.capabilities.user_metadata:
            # no native metadata: the copy's metadata lives on as the destination
            # Dir's local metadata for the new file (API.md, as Fluke 0.5.0 did)
            dst_session.replace_local_metadata(dst_path, metadata)
        return FileOutcome(
            source_uri, destination_uri, "transferred", size, time.monotonic() - started
        )
    except Exception as error:
        logger.warning("transfer of %s failed: %s", source_uri, error)
        return FileOutcome(
            source_uri, destination_uri, "failed", 0, time.monotonic() - started, error
        )


def _times_and_sum(entry: Entry | None) -> tuple[float | None, Checksum | None]:
    return (None, None) if entry is None else (entry.mtime, entry.checksum)


def same_location(
    first: StorageBackend, first_path: str, second: StorageBackend, second_path: str
) -> bool:
    """Whether two backend paths name the same place (same kind of backend and URI)."""
    return type(first) is type(second) and first.uri(first_path).rstrip(_paths.SEP) == second.uri(
        second_path
    ).rstrip(_paths.SEP)


def _run(task: FileTask, src: Any, dst: Any, ctx: CopyContext, opts: _Options) -> None:
    """Pick the cheapest correct way to copy ``task`` and do it."""
    domain = src.copy_domain()
    if domain is not None and domain == dst.copy_domain() and src.capabilities.server_side_copy:
        logger.debug("server-side copy %s -> %s", task.source_uri, task.destination_uri)
        copy_server_side(task, src, dst, ctx)
        return
    part_size = part_size_for(task.size, dst, opts.chunk_size)
    if task.size >= 2 * part_size:
        writer = dst.open_part_writer(
            task.destination,
            size=task.size,
            part_size=part_size,
            metadata=task.metadata,
            overwrite=task.overwrite,
            mtime=task.source_mtime,
        )
        if writer is not None:
            logger.debug("copy in parts of %d bytes: %s", part_size, task.source_uri)
            copy_in_parts(task, src, dst, ctx, part_size, writer)
            return
    copy_streamed(task, src, dst, ctx)


def _plan_destinations(
    items: list[TransferSource], dst: Dir
) -> tuple[list[tuple[TransferSource, str]], list[FileOutcome]]:
    """Each source's destination path; sources that cannot have one fail by name.

    Refused: relative paths that escape ``dst``, and *collisions*: two
    sources that would land on the same destination path (``a/../x`` and
    ``x``), which both fail rather than one silently replacing the other.
    """
    planned: list[tuple[TransferSource, str]] = []
    failed: list[FileOutcome] = []
    by_destination: dict[str, list[TransferSource]] = {}
    backend = dst._session.backend
    for item in items:
        try:
            path = _paths.join_relative(dst.get_path(), item.relative)
        except Exception as unsafe:
            uri = item.session.backend.uri(item.path)
            failed.append(FileOutcome(uri, item.relative, "failed", error=unsafe))
            continue
        by_destination.setdefault(path, []).append(item)
    for path, sources in by_destination.items():
        if len(sources) == 1:
            planned.append((sources[0], path))
            continue
        uris = [source.session.backend.uri(source.path) for source in sources]
        for uri in uris:
            others = ", ".join(repr(other) for other in uris if other != uri)
            collision = TransferError(
                f"{uri} and {others} would both be copied to {backend.uri(path)!r}; "
                "neither was copied"
            )
            failed.append(FileOutcome(uri, backend.uri(path), "failed", error=collision))
    return planned, failed


#: From this many files on, the destination is listed once instead of one stat per file.
PRELIST_FROM = 8


def _destination_lookup(dst: Dir, count: int, opts: _Options, policy: RetryPolicy) -> Lookup:
    """How to find what already exists at a destination path."""
    backend = dst._session.backend
    if count < PRELIST_FROM or (opts.overwrite and not opts.skip_identical):
        return backend.stat
    existing = with_retries(
        lambda: {entry.path: entry for entry in backend.list(dst.get_path(), True)},
        policy=policy,
        is_transient=backend.is_transient,
        what=dst.get_uri(),
    )
    return existing.get


def transfer(
    sources: Iterable[TransferSource],
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
) -> TransferReport:
    """Copy ``sources`` into directory ``dst``.

    :param overwrite: replace existing destination files (else each one is a
        reported :class:`~fluke.exceptions.OverwriteError`).
    :param include_metadata: carry the local metadata (or the real metadata
        when none was set) to the copies.
    :param chunk_size: part size for chunked writes; validated against the
        destination before anything is sent.
    :param suppress_output: no progress bar or summary.
    :param max_workers: files (and parts) in flight at once (default: what
        both backends find sensible, at most 16).
    :param skip_identical: leave files already identical at the destination
        (see :mod:`fluke.transfer._identity` for how identity is decided;
        the same size alone never is).
    :param dry_run: return the plan without moving bytes.
    :param callback: called with each file's outcome as it completes.
    :param memory_budget: most bytes buffered at once across all workers.
    :param retry: how transient errors are retried (default: 5 tries).
    :raises InvalidChunkSizeError: ``dst`` cannot accept ``chunk_size``, or it
        exceeds ``memory_budget``.
    """
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
    opts = _Options(overwrite, include_metadata, chunk_size, skip_identical, dry_run)
    items = list(sources)
    workers = max_workers or min(
        16,
        dst._session.backend.capabilities.max_concurrency,
        *(item.session.backend.capabilities.max_concurrency for item in items[:1]),
    )
    started = time.monotonic()
    progress = _Progress(not suppress_output and not dry_run, f"-> {dst.get_uri()}")
    report = TransferReport()
    try:
        with (
            ThreadPoolExecutor(workers, thread_name_prefix="fluke-part") as part_pool,
            ThreadPoolExecutor(workers, thread_name_prefix="fluke-file") as file_pool,
        ):
            ctx = CopyContext(
                part_pool,
                MemoryBudget(memory_budget),
                retry or RetryPolicy(),
                progress.add,
                chunk_size,
            )
            planned, refused = _plan_destinations(items, dst)
            lookup = _destination_lookup(dst, len(planned), opts, ctx.retry)
            outcomes = file_pool.map(
                lambda pair: _copy_one(pair[0], pair[1], dst, opts, ctx, lookup), planned
            )
            for outcome in [*refused, *outcomes]:
                report.outcomes.append(outcome)
                if callback is not None:
                    callback(outcome)
    finally:
        progress.close()
    report.seconds = time.monotonic() - started
    if not suppress_output:
        _print_summary(report)
    return report


def _print_summary(report: TransferReport) -> None:
    stream = sys.stderr
    for outcome in report.failed:
        stream.write(f"FAILED {outcome.source}: {outcome.error}\n")
    stream.write(report.summary() + "\n")
