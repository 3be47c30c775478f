"""Copying one file (the copy room): server-side, streamed, or in concurrent parts.

:func:`copy_one` takes one planned file to its outcome: it looks at the source
and the destination, decides (skip, refuse, dry run), picks the cheapest
correct strategy and runs it. It calls nothing back in the scheduler.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from fluke import _paths
from fluke._session import Session
from fluke.backend import Checksum, Entry, StorageBackend
from fluke.exceptions import InvalidPathError, OverwriteError, SourceChangedError, TransferError
from fluke.transfer._budget import MemoryBudget
from fluke.transfer._identity import Side, is_identical
from fluke.transfer._plan import FileTask, PartTask, split
from fluke.transfer._report import FileOutcome
from fluke.transfer._retry import RetryPolicy, with_retries
from fluke.transfer._sources import UNKNOWN, PlannedFile, TransferSource
from fluke.transfer._strategy import SourceEstimator
from fluke.transfer._verify import StreamDigest

logger = logging.getLogger("fluke.transfer")

MiB = 1024 * 1024
DEFAULT_PART = 8 * MiB
MAX_PARTS = 10_000
#: Below this size a separate checksum request would cost more than the copy.
VERIFY_BY_REQUEST_FROM = 8 * MiB
T = TypeVar("T")


@dataclass
class CopyContext:
    """What every file copy of one transfer shares."""

    part_pool: ThreadPoolExecutor
    budget: MemoryBudget
    retry: RetryPolicy
    add_progress: Callable[[int], None]
    chunk_size: int | None
    #: how to find what exists at a destination path (``None``: ``stat``)
    lookup: Callable[[str], Entry | None] | None = None
    #: measures a remote source to choose between one stream and ranged reads
    #: (``None``: ranged reads for every file of two parts or more)
    source_estimator: SourceEstimator | None = None


def retrying(
    ctx: CopyContext, backends: tuple[StorageBackend, ...], what: str, call: Callable[[], T]
) -> T:
    def transient(error: BaseException) -> bool:
        return any(backend.is_transient(error) for backend in backends)

    return with_retries(call, policy=ctx.retry, is_transient=transient, what=what)


def part_size_for(size: int, dst: StorageBackend, requested: int | None) -> int:
    """The part size: the requested one, else >= 8 MiB, the minimum, size/10,000."""
    if requested is not None:
        return requested
    caps = dst.capabilities
    part = max(DEFAULT_PART, caps.min_part_size or 0, math.ceil(size / MAX_PARTS))
    if caps.part_size_multiple:
        part = math.ceil(part / caps.part_size_multiple) * caps.part_size_multiple
    return part


def copy_server_side(
    task: FileTask, src: StorageBackend, dst: StorageBackend, ctx: CopyContext
) -> None:
    """Copy inside one service: no bytes through this process.

    The copy is conditional on the source still being the version that was
    listed, so the service refuses it rather than copy something else. A
    failed check afterwards is reported and deletes nothing: with the
    condition in place, it can only mean the service misbehaved.
    """
    copied = retrying(
        ctx,
        (src, dst),
        task.source_uri,
        lambda: src.copy_within(
            task.source,
            dst,
            task.destination,
            metadata=task.metadata,
            size=task.size,
            version=task.source_version,
            overwrite=task.overwrite,
            mtime=task.source_mtime,
        ),
    )
    expected = task.source_checksum
    if copied is not None and expected is not None and copied.algorithm == expected.algorithm:
        if copied.value != expected.value:  # verified by the answer: no request needed
            raise TransferError(
                f"{task.destination_uri}: {copied.algorithm} differs from the source's "
                "after a server-side copy (left in place for inspection)"
            )
        ctx.add_progress(task.size)
        return
    entry = retrying(ctx, (dst,), task.destination_uri, lambda: dst.stat(task.destination))
    if entry is None or entry.size != task.size:
        found = None if entry is None else entry.size
        raise TransferError(f"{task.destination_uri}: expected {task.size} bytes, copy has {found}")
    ctx.add_progress(task.size)


def copy_streamed(
    task: FileTask, src: StorageBackend, dst: StorageBackend, ctx: CopyContext
) -> None:
    """Stream the file through bounded chunks into one writer (retried whole)."""
    retrying(ctx, (src, dst), task.source_uri, lambda: _stream_once(task, src, dst, ctx))


def _stream_once(
    task: FileTask, src: StorageBackend, dst: StorageBackend, ctx: CopyContext
) -> None:
    """One streamed copy: everything is checked before the commit makes it visible.

    The copy reserves its whole share of the memory budget at once, for the
    writer's life: one chunk in hand (no more than the file) plus what the
    writer declares it buffers (:attr:`~fluke.backend.Writer.buffer_size`).
    """
    chunk = ctx.chunk_size or DEFAULT_PART
    native = dst.capabilities.native_checksum
    digest = StreamDigest.for_algorithm(native)
    source_sum = task.source_checksum
    if source_sum is None and digest is not None and task.size >= VERIFY_BY_REQUEST_FROM:
        source_sum = src.checksum(task.source)
    written = 0
    writer = dst.open_writer(
        task.destination,
        metadata=task.metadata,
        part_size=ctx.chunk_size,
        size_hint=task.size,
        overwrite=task.overwrite,
        mtime=task.source_mtime,
    )
    share = min(chunk, max(task.size, 1)) + max(0, getattr(writer, "buffer_size", 0))
    try:
        ctx.budget.acquire(share)
    except BaseException:
        writer.abort()
        raise
    try:
        try:
            chunks = src.iter_chunks(task.source, chunk, task.size, version=task.source_version)
            for data in chunks:
                writer.write(data)
                if digest is not None:
                    digest.update(data)
                written += len(data)
                ctx.add_progress(len(data))
                del data  # not alive while the next chunk is read
            if written != task.size:
                raise SourceChangedError(
                    task.source_uri, f"has {written} bytes, not the {task.size} listed"
                )
            if (
                digest is not None
                and source_sum is not None
                and source_sum.algorithm == digest.algorithm
                and source_sum.value != digest.hexdigest()
            ):
                raise SourceChangedError(task.source_uri, f"does not match its listed {native}")
        except BaseException:
            writer.abort()
            ctx.add_progress(-written)  # a retry starts again from 0: rewind, as s3transfer does
            raise
        stored = writer.commit()
    finally:
        ctx.budget.release(share)
    if digest is not None:
        _check_destination(task, dst, digest, stored)


def _check_destination(
    task: FileTask, dst: StorageBackend, digest: StreamDigest, stored: Checksum | None
) -> None:
    """Compare the destination's native checksum with what we sent.

    The checksum comes from the writer's commit when the service returned
    one; otherwise it is asked for, for files big enough to be worth it. A
    mismatch is reported but deletes nothing: the destination may have held
    a file before this transfer, and a transfer never deletes one.
    """
    if stored is None and task.size >= VERIFY_BY_REQUEST_FROM:
        stored = dst.checksum(task.destination)
    if stored is None or stored.algorithm != digest.algorithm:
        return
    if stored.value != digest.hexdigest():
        raise TransferError(
            f"{task.destination_uri}: the stored {digest.algorithm} differs from the bytes "
            "sent (left in place for inspection)"
        )


def copy_in_parts(
    task: FileTask,
    src: StorageBackend,
    dst: StorageBackend,
    ctx: CopyContext,
    part_size: int,
    writer: Any,
) -> None:
    """Ranged reads -> concurrent part writes; abort everything on failure.

    Each part reserves its size plus the writer's
    :attr:`~fluke.backend.PartWriter.buffer_per_part` from the memory budget
    while it is read and written, so the parts in flight (of every file)
    never buffer more than the budget, whatever the number of workers.
    """
    parts = split(task, part_size)
    extra = max(0, getattr(writer, "buffer_per_part", 0))

    def move(part: PartTask) -> None:
        length = part.end - part.start
        with ctx.budget.hold(length + extra):
            what = f"{task.source_uri} part {part.number}/{len(parts)}"

            def once() -> None:
                data = src.read_range(
                    task.source, part.start, part.end, version=task.source_version
                )
                if len(data) != length:
                    raise SourceChangedError(
                        task.source_uri,
                        f"gave {len(data)} bytes at {part.start}, not the {length} expected",
                    )
                writer.write_part(part.number, part.start, data)

            retrying(ctx, (src, dst), what, once)
        ctx.add_progress(length)

    futures: list[Future[None]] = [ctx.part_pool.submit(move, part) for part in parts]
    try:
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for future in pending:
            future.cancel()
        wait(pending)
        for future in futures:
            if future.done() and not future.cancelled() and future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        entry = retrying(ctx, (src,), task.source_uri, lambda: src.stat(task.source))
        if entry is None or entry.size != task.size:
            raise SourceChangedError(task.source_uri, "changed size during the copy")
        if task.source_version is not None and entry.version != task.source_version:
            raise SourceChangedError(task.source_uri)
    except BaseException:
        writer.abort()
        raise
    writer.commit()


@dataclass(frozen=True)
class CopyOptions:
    """The per-file choices of one transfer (see :func:`fluke.transfer.transfer`)."""

    overwrite: bool = False
    include_metadata: bool = False
    chunk_size: int | None = None
    skip_identical: bool = False
    dry_run: bool = False

    @property
    def looks_at_destination(self) -> bool:
        """Whether a file's destination must be looked up before copying it."""
        return self.skip_identical or not self.overwrite


def same_location(
    first: StorageBackend, first_path: str, second: StorageBackend, second_path: str
) -> bool:
    """Whether two backend paths name the same place (same kind of backend and URI)."""
    return type(first) is type(second) and first.uri(first_path).rstrip(_paths.SEP) == second.uri(
        second_path
    ).rstrip(_paths.SEP)


def _metadata_for(src: TransferSource) -> dict[str, str]:
    local = src.session.local_metadata(src.path)
    return dict(local) if local else src.session.real_metadata(src.path)


def _times_and_sum(entry: Entry | None) -> tuple[float | None, Checksum | None]:
    return (None, None) if entry is None else (entry.mtime, entry.checksum)


def _inspect(
    planned: PlannedFile, dst: StorageBackend, opts: CopyOptions, ctx: CopyContext, source_uri: str
) -> tuple[TransferSource, Entry | None, bool]:
    """The source as it is now, what is at the destination, whether identical."""
    src = known = planned.source
    if src.size is None:
        entry = src.session.stat(src.path)
        if entry is None or entry.is_dir:
            raise InvalidPathError(source_uri)
        known = TransferSource.from_entry(src.session, entry, src.relative)
    existing = planned.existing
    if existing == UNKNOWN:  # by value: a plan may have travelled pickled (Dask)
        lookup = ctx.lookup or dst.stat
        existing = lookup(planned.destination) if opts.looks_at_destination else None
    compare = opts.skip_identical or planned.verify_existing
    same = compare and is_identical(
        Side(src.session.backend, src.path, known.mtime, known.checksum),
        Side(dst, planned.destination, *_times_and_sum(existing)),
        known.size or 0,
        existing,
    )
    return known, existing, same


def copy_one(
    planned: PlannedFile, dst_session: Session, opts: CopyOptions, ctx: CopyContext
) -> FileOutcome:
    """Take one planned file to its outcome; never raises for a per-file problem."""
    started = time.monotonic()
    src = planned.source
    src_backend = src.session.backend
    dst_backend = dst_session.backend
    dst_path = planned.destination
    source_uri = src_backend.uri(src.path)
    destination_uri = dst_backend.uri(dst_path)
    if same_location(src_backend, src.path, dst_backend, dst_path):
        error = InvalidPathError(source_uri, "is both the source and the destination")
        return FileOutcome(source_uri, destination_uri, "failed", error=error)
    try:
        # these requests fail transiently like the copy itself: retry them alike
        known, existing, same = retrying(
            ctx,
            (src_backend, dst_backend),
            source_uri,
            lambda: _inspect(planned, dst_backend, opts, ctx, source_uri),
        )
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
        run_task(task, src_backend, dst_backend, ctx)
        if dst_session.cache is not None:
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


def run_task(task: FileTask, src: StorageBackend, dst: StorageBackend, ctx: CopyContext) -> None:
    """Pick the cheapest correct way to copy ``task`` and do it."""
    domain = src.copy_domain()
    if domain is not None and domain == dst.copy_domain() and src.capabilities.server_side_copy:
        logger.debug("server-side copy %s -> %s", task.source_uri, task.destination_uri)
        copy_server_side(task, src, dst, ctx)
        return
    part_size = part_size_for(task.size, dst, ctx.chunk_size)
    # a local source is read in ranges for free: only a remote one is measured
    estimator = ctx.source_estimator if src.capabilities.remote else None
    split = task.size >= 2 * part_size
    if split and estimator is not None:
        choice = estimator.decide(task.size, part_size)
        logger.debug(
            "%s: %s (%s)", task.source_uri, "ranges" if choice.split else "stream", choice.reason
        )
        split = choice.split
    if split:
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
            with _measured(estimator, task.size, part_size):
                copy_in_parts(task, src, dst, ctx, part_size, writer)
            return
    with _measured(estimator, task.size, None):
        copy_streamed(task, src, dst, ctx)


@contextmanager
def _measured(
    estimator: SourceEstimator | None, size: int, part_size: int | None
) -> Iterator[None]:
    """Time the copy in the block for ``estimator`` (ranged when ``part_size`` is given).

    A copy that fails is not recorded.
    """
    if estimator is None:
        yield
        return
    sharing, started = estimator.begin(), time.monotonic()
    try:
        yield
    finally:
        sharing = max(sharing, estimator.end())
    elapsed = time.monotonic() - started
    if part_size is None:
        estimator.record_stream(size, elapsed)
    else:
        estimator.record_ranges(size, part_size, elapsed, sharing)
