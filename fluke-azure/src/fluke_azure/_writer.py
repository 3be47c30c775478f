"""Streaming writes to a block blob: nothing is visible before ``commit``.

Small content (at most one block) is sent at commit time with one Put Blob.
Larger content is staged block by block as it is written (``stage_block``,
up to ``max_concurrency`` blocks in flight, so memory stays bounded) and
becomes the blob only when :meth:`BlockBlobWriter.commit` calls
``commit_block_list``. :meth:`BlockBlobWriter.abort` simply never commits:
Azure garbage-collects uncommitted blocks (after a week at most), and an
existing blob of that name is left untouched.

A writer opened with ``overwrite=False`` commits with ``If-None-Match: *``
(on the Put Blob and on ``commit_block_list``): when a blob exists by then,
the service refuses the commit atomically, the existing blob is untouched,
the staged blocks simply expire, and :class:`~fluke.exceptions.OverwriteError`
is raised.

The MD5 of the whole content is computed on the way and stored as the blob's
``Content-MD5``, so every blob Fluke writes has a native checksum.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError
from azure.storage.blob import BlobBlock, BlockState, ContentSettings

from fluke.backend import Checksum, PartWriter, Writer
from fluke.exceptions import OverwriteError
from fluke_azure._errors import convert, is_destination_condition_failure

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient

logger = logging.getLogger("fluke.azure")

MIB = 1024 * 1024
#: Block size when the caller does not choose one.
DEFAULT_BLOCK_SIZE = 8 * MIB
#: Largest content the SDK sends as a single Put Blob (its default).
SINGLE_PUT_LIMIT = 64 * MIB
#: Azure's limit on the number of blocks of one blob.
MAX_BLOCKS = 50_000


def choose_block_size(part_size: int | None, size_hint: int | None) -> int:
    """``part_size`` if given, else 8 MiB grown so ``size_hint`` fits 50,000 blocks."""
    if part_size is not None:
        return part_size
    if size_hint is None or size_hint <= DEFAULT_BLOCK_SIZE * MAX_BLOCKS:
        return DEFAULT_BLOCK_SIZE
    needed = -(-size_hint // MAX_BLOCKS)
    return -(-needed // MIB) * MIB


def commit_conditions(overwrite: bool) -> dict[str, Any]:
    """Keyword arguments making ``commit_block_list`` conditional (``If-None-Match: *``)."""
    return {} if overwrite else {"match_condition": MatchConditions.IfMissing}


def commit_error(
    error: AzureError, uri: str, overwrite: bool, secrets: Iterable[str | None]
) -> Exception:
    """The error for a failed commit: :class:`OverwriteError` when the condition refused it."""
    if not overwrite and is_destination_condition_failure(error):
        logger.debug("%s exists: commit refused, nothing replaced", uri)
        return OverwriteError(uri)
    return convert(error, f"Writing {uri}", secrets, path=uri)


class BlockBlobWriter(Writer):
    """One streaming write to a block blob (thread-safe for a single writer).

    :param blob: the destination blob's client.
    :param uri: the destination's URI, for messages.
    :param metadata: user metadata stored at commit.
    :param block_size: bytes per staged block.
    :param max_concurrency: blocks uploaded at once.
    :param secrets: values to mask in error messages.
    :param overwrite: ``False``: commit only if no blob exists by then.
    :param size_hint: the total size, when known (bounds :attr:`buffer_size`).
    """

    def __init__(
        self,
        blob: BlobClient,
        *,
        uri: str,
        metadata: Mapping[str, str] | None,
        block_size: int,
        max_concurrency: int,
        secrets: Iterable[str | None] = (),
        overwrite: bool = True,
        size_hint: int | None = None,
    ) -> None:
        self._blob = blob
        self._uri = uri
        self._metadata = dict(metadata) if metadata else None
        self._block_size = block_size
        self._size_hint = size_hint
        self._max_concurrency = max(1, max_concurrency)
        self._secrets = tuple(secrets)
        self._overwrite = overwrite
        self._buffer = bytearray()
        self._md5 = hashlib.md5()  # noqa: S324 - Content-MD5 is what Azure stores
        self._prefix = uuid.uuid4().hex[:16]
        self._block_ids: list[str] = []
        self._futures: list[Future[None]] = []
        self._slots = threading.BoundedSemaphore(self._max_concurrency)
        self._pool: ThreadPoolExecutor | None = None
        self._finished = False
        self._written = 0

    # -- Writer ------------------------------------------------------------

    @property
    def buffer_size(self) -> int:
        """The blocks in flight, the block being filled, and the copy of it being staged.

        Bounded by the size hint: content smaller than a block is buffered
        once and copied once for its single Put Blob.
        """
        size = self._size_hint if self._size_hint is not None else math.inf
        block = self._block_size
        held = min(size, block * (self._max_concurrency + 1)) + min(size, block)
        return int(held)

    def write(self, data: bytes) -> int:
        """Buffer ``data``; stage each block as it fills (at most one block buffered)."""
        if self._finished:
            raise ValueError(f"write to {self._uri} after commit/abort")
        self._md5.update(data)
        self._written += len(data)
        try:
            with memoryview(data) as view:
                while view:
                    room = self._block_size - len(self._buffer)
                    self._buffer += view[:room]
                    view = view[room:]
                    if len(self._buffer) >= self._block_size:
                        block, self._buffer = bytes(self._buffer), bytearray()
                        self._stage(block)
                        del block
        except AzureError as error:
            self._discard()
            raise convert(error, f"Writing {self._uri}", self._secrets, path=self._uri) from None
        return len(data)

    def commit(self) -> Checksum | None:
        """Make the content visible: one Put Blob, or ``commit_block_list``.

        Returns the MD5 the service computed on receipt of a single Put Blob
        (for the engine to verify against what it sent); ``None`` for block
        lists, whose Content-MD5 is the one this writer provided.
        """
        if self._finished:
            raise ValueError(f"{self._uri}: commit after commit/abort")
        checksum: Checksum | None = None
        try:
            md5 = bytearray(self._md5.digest())
            if not self._block_ids:
                data = bytes(self._buffer)
                self._buffer = bytearray()
                # One Put Blob: the service computes Content-MD5 itself, unless
                # the SDK splits big content into blocks (then we provide it).
                result = self._blob.upload_blob(
                    data,
                    length=len(data),
                    overwrite=self._overwrite,
                    metadata=self._metadata,
                    content_settings=ContentSettings(
                        content_type="application/octet-stream",
                        content_md5=md5 if len(data) > SINGLE_PUT_LIMIT else None,
                    ),
                )
                stored = result.get("content_md5") if isinstance(result, dict) else None
                if stored:
                    checksum = Checksum("md5", bytes(stored).hex())
            else:
                if self._buffer:
                    self._stage(bytes(self._buffer))
                    self._buffer = bytearray()
                self._wait_all()
                blocks = [
                    BlobBlock(block_id, BlockState.UNCOMMITTED) for block_id in self._block_ids
                ]
                settings = ContentSettings(content_type="application/octet-stream", content_md5=md5)
                self._blob.commit_block_list(
                    blocks,
                    content_settings=settings,
                    metadata=self._metadata,
                    **commit_conditions(self._overwrite),
                )
        except AzureError as error:
            self._discard()
            raise commit_error(error, self._uri, self._overwrite, self._secrets) from None
        except BaseException:
            self._discard()
            raise
        self._finished = True
        self._shutdown()
        logger.debug(
            "committed %s (%d bytes, %d blocks)", self._uri, self._written, len(self._block_ids)
        )
        return checksum

    def abort(self) -> None:
        """Discard everything: staged blocks are never committed."""
        if self._finished:
            return
        self._discard()
        logger.debug("aborted write to %s", self._uri)

    # -- internals ---------------------------------------------------------

    def _stage(self, block: bytes) -> None:
        self._raise_failed()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self._max_concurrency, thread_name_prefix="fluke-azure-block"
            )
        block_id = f"{self._prefix}-{len(self._block_ids):08d}"
        self._block_ids.append(block_id)
        self._slots.acquire()
        try:
            future = self._pool.submit(self._put_block, block_id, block)
        except BaseException:
            self._slots.release()
            raise
        self._futures.append(future)

    def _put_block(self, block_id: str, block: bytes) -> None:
        try:
            self._blob.stage_block(block_id, block, length=len(block))
        finally:
            self._slots.release()

    def _raise_failed(self) -> None:
        for future in self._futures:
            if future.done():
                error = future.exception()
                if error is not None:
                    raise error

    def _wait_all(self) -> None:
        for future in self._futures:
            future.result()

    def _discard(self) -> None:
        self._finished = True
        self._buffer = bytearray()
        for future in self._futures:
            future.cancel()
        self._shutdown()

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class BlockPartWriter(PartWriter):
    """Blocks staged concurrently in any order, committed in part order.

    Used by the transfer engine for large files. Block ids are
    ``<writer id>-<part number>``, so a retried part replaces its block.
    Nothing is visible before :meth:`commit`; :meth:`abort` never commits.
    No Content-MD5 is stored (parts arrive out of order). With
    ``overwrite=False`` the commit carries ``If-None-Match: *``.
    """

    def __init__(
        self,
        blob: BlobClient,
        *,
        uri: str,
        metadata: Mapping[str, str] | None,
        secrets: Iterable[str | None] = (),
        overwrite: bool = True,
    ) -> None:
        self._blob = blob
        self._uri = uri
        self._metadata = dict(metadata) if metadata else None
        self._secrets = tuple(secrets)
        self._overwrite = overwrite
        self._prefix = uuid.uuid4().hex[:16]
        self._numbers: set[int] = set()
        self._lock = threading.Lock()
        self._finished = False

    def _block_id(self, number: int) -> str:
        return f"{self._prefix}-{number:08d}"

    def write_part(self, number: int, offset: int, data: bytes) -> None:
        """Stage part ``number`` as one block (thread-safe)."""
        if self._finished:
            raise ValueError(f"write to {self._uri} after commit/abort")
        try:
            self._blob.stage_block(self._block_id(number), data, length=len(data))
        except AzureError as error:
            what = f"Writing part {number} of {self._uri}"
            raise convert(error, what, self._secrets, path=self._uri) from None
        with self._lock:
            self._numbers.add(number)

    def commit(self) -> Checksum | None:
        """Commit the staged blocks in part order (no checksum to return)."""
        if self._finished:
            raise ValueError(f"{self._uri}: commit after commit/abort")
        self._finished = True
        with self._lock:
            numbers = sorted(self._numbers)
        blocks = [BlobBlock(self._block_id(n), BlockState.UNCOMMITTED) for n in numbers]
        try:
            self._blob.commit_block_list(
                blocks,
                content_settings=ContentSettings(content_type="application/octet-stream"),
                metadata=self._metadata,
                **commit_conditions(self._overwrite),
            )
        except AzureError as error:
            raise commit_error(error, self._uri, self._overwrite, self._secrets) from None
        return None

    def abort(self) -> None:
        """Never commit: Azure garbage-collects the staged blocks."""
        self._finished = True
