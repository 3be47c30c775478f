"""``File.reader()``: a seekable, buffered, read-only file object over ranged reads.

The reader never downloads more than it is asked for plus its buffer:

* A read that continues where the previous one ended (a stream) is served
  in *blocks* of ``buffer_size / READ_AHEAD_BLOCKS`` bytes, and the next
  blocks are fetched in the background while the caller consumes the
  current one (read-ahead). Memory is bounded by ``buffer_size``: the current
  block plus the blocks in flight.
* A read after a seek elsewhere (a parquet footer, a zip's central
  directory) fetches only what is asked for, at least :data:`RANDOM_READ`
  bytes, in one ranged request; only when reading then goes on
  sequentially does read-ahead start.

Every ranged read carries the :attr:`~fluke.backend.Entry.version` the file had
when the reader was opened as a precondition, so a file replaced while it
is being read raises :class:`~fluke.exceptions.SourceChangedError` instead of
mixing bytes of two versions.

A reader is not thread-safe: use one reader per thread (open several on the
same file if needed; they share nothing but the backend, which is).
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from fluke.backend import StorageBackend
from fluke.exceptions import InvalidFileError, InvalidPathError, SourceChangedError

if TYPE_CHECKING:
    from fluke._file import File

__all__ = ["DEFAULT_BUFFER_SIZE", "RangeReader", "ReaderStats", "open_reader"]

logger = logging.getLogger("fluke.storage")

MiB = 1024 * 1024
#: default ``buffer_size``: the most bytes a reader holds at once
DEFAULT_BUFFER_SIZE = 32 * MiB
#: the buffer is split into this many blocks (one being read, the others ahead)
READ_AHEAD_BLOCKS = 4
#: the least a read after a seek fetches (small reads of headers and footers)
RANDOM_READ = 64 * 1024
#: tries of a ranged read that fails transiently
TRIES = 3


@dataclass
class ReaderStats:
    """What a reader fetched so far (for diagnostics and tests).

    :param requests: ranged reads sent to the backend.
    :param bytes: bytes they returned.
    """

    requests: int = 0
    bytes: int = 0


class _Block(NamedTuple):
    start: int
    end: int
    future: Future[bytes]


class RangeReader(io.BufferedIOBase):
    """A read-only, seekable binary file over a backend's ranged reads.

    Built by :meth:`File.reader <fluke.storage.File.reader>`; see the module
    docstring for buffering, read-ahead and thread-safety.

    :param backend: the file's storage backend.
    :param path: the file's backend path.
    :param size: the file's size when the reader was opened.
    :param version: its :attr:`~fluke.backend.Entry.version` then (``None``:
        the backend has none; reads are then unconditional).
    :param buffer_size: the most bytes held at once (at least 4 KiB).
    """

    def __init__(
        self,
        backend: StorageBackend,
        path: str,
        size: int,
        version: str | None,
        buffer_size: int = DEFAULT_BUFFER_SIZE,
    ) -> None:
        super().__init__()
        self._backend = backend
        self._path = path
        self._size = size
        self._version = version
        self._block_size = max(buffer_size // READ_AHEAD_BLOCKS, 1)
        self._depth = READ_AHEAD_BLOCKS if buffer_size >= READ_AHEAD_BLOCKS else 1
        self._random_read = min(RANDOM_READ, self._block_size)
        self._pos = 0
        self._buffer = b""
        self._buffer_start = 0
        self._ahead: deque[_Block] = deque()
        self._pool: ThreadPoolExecutor | None = None
        self.stats = ReaderStats()
        self._stats_lock = threading.Lock()
        #: the file's path, as ``open()``'s file objects have a name
        self.name = path

    # -- io.IOBase ---------------------------------------------------------

    def readable(self) -> bool:
        """Always ``True``."""
        self._check_open()
        return True

    def seekable(self) -> bool:
        """Always ``True``."""
        self._check_open()
        return True

    def tell(self) -> int:
        """The current position."""
        self._check_open()
        return self._pos

    @property
    def size(self) -> int:
        """The file's size when the reader was opened."""
        return self._size

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to ``offset`` (from the start, the current position or the end).

        Seeking is free: nothing is fetched until the next read. A position
        past the end is allowed (reads there return ``b""``).
        """
        self._check_open()
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = self._size + offset
        else:
            raise ValueError(f"invalid whence ({whence!r}, should be 0, 1 or 2)")
        if target < 0:
            raise OSError(22, f"negative seek position {target}")
        self._pos = target
        return target

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all the rest when ``size`` is negative or ``None``)."""
        self._check_open()
        remaining = self._size - self._pos
        want = remaining if size is None or size < 0 else min(size, remaining)
        if want <= 0:
            return b""
        pieces: list[bytes] = []
        while want > 0:
            piece = self._take(want)
            pieces.append(piece)
            want -= len(piece)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def read1(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes with at most one fetch (what ``TextIOWrapper`` uses)."""
        self._check_open()
        remaining = self._size - self._pos
        if remaining <= 0:
            return b""
        want = remaining if size is None or size < 0 else min(size, remaining)
        if want == 0:
            return b""
        return self._take(want if size is not None and size >= 0 else self._block_size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read into ``buffer``; the number of bytes read."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readinto1(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read into ``buffer`` with at most one fetch."""
        view = memoryview(buffer).cast("B")
        data = self.read1(len(view))
        view[: len(data)] = data
        return len(data)

    def peek(self, size: int = 0) -> bytes:
        """Buffered bytes from the current position, without moving (fetches if none)."""
        self._check_open()
        if self._pos >= self._size:
            return b""
        if not self._buffered():
            self._fill(max(size, 1))
        offset = self._pos - self._buffer_start
        return self._buffer[offset:]

    def close(self) -> None:
        """Drop the buffer and wait for reads in flight (a closed reader holds nothing)."""
        if self.closed:
            return
        self._drop_ahead()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._buffer = b""
        super().close()

    def detach(self) -> io.RawIOBase:
        """Not supported (there is no raw stream underneath)."""
        raise io.UnsupportedOperation("detach")

    def __repr__(self) -> str:
        return f"<RangeReader {self._backend.uri(self._path)!r} size={self._size}>"

    # -- the buffer ----------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on a closed reader")

    def _buffered(self) -> bool:
        start = self._buffer_start
        return start <= self._pos < start + len(self._buffer)

    def _take(self, want: int) -> bytes:
        """At most ``want`` bytes at the current position (fetching once if needed)."""
        if not self._buffered():
            self._fill(want)
        offset = self._pos - self._buffer_start
        piece = self._buffer[offset : offset + want]
        if not piece:  # the file is shorter than when it was opened
            raise SourceChangedError(self._backend.uri(self._path), "shrank while it was read")
        self._pos += len(piece)
        return piece

    def _fill(self, want: int) -> None:
        """Make the buffer cover the current position."""
        pos = self._pos
        if self._ahead and self._ahead[0].start == pos:
            block = self._ahead.popleft()
            self._set_buffer(pos, block.future.result())
            self._schedule(block.end)
            return
        streaming = pos == self._buffer_start + len(self._buffer)
        self._drop_ahead()
        if streaming:
            end = min(pos + self._block_size, self._size)
            self._set_buffer(pos, self._fetch(pos, end))
            self._schedule(end)
        else:
            wanted = min(max(want, self._random_read), self._block_size)
            end = min(pos + wanted, self._size)
            self._set_buffer(pos, self._fetch(pos, end))

    def _set_buffer(self, start: int, data: bytes) -> None:
        self._buffer_start = start
        self._buffer = data

    def _schedule(self, start: int) -> None:
        """Fetch the blocks after ``start`` in the background, up to the buffer's size."""
        if self._depth < 2:
            return
        if self._ahead:
            start = self._ahead[-1].end
        while len(self._ahead) < self._depth - 1 and start < self._size:
            end = min(start + self._block_size, self._size)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._depth - 1, thread_name_prefix="fluke-read")
            future = self._pool.submit(self._fetch, start, end)
            self._ahead.append(_Block(start, end, future))
            start = end

    def _drop_ahead(self) -> None:
        """Forget the blocks read ahead (after a seek elsewhere)."""
        while self._ahead:
            block = self._ahead.popleft()
            if not block.future.cancel():
                block.future.add_done_callback(_discard)

    def _fetch(self, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the file as it was opened (retrying transient errors)."""
        read: Callable[[], bytes] = lambda: self._backend.read_range(  # noqa: E731
            self._path, start, end, version=self._version
        )
        for attempt in range(1, TRIES + 1):
            try:
                data = read()
                break
            except Exception as error:
                if attempt == TRIES or not self._backend.is_transient(error):
                    raise
                logger.debug("ranged read of %s failed, retrying: %s", self._path, error)
                time.sleep(0.2 * attempt)
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.bytes += len(data)
        return data


def _discard(future: Future[bytes]) -> None:
    """Swallow the error of a read-ahead nobody will consume."""
    if not future.cancelled():
        future.exception()


def open_reader(
    file: File,
    buffer_size: int | None,
    encoding: str | None,
    errors: str | None = None,
    newline: str | None = None,
) -> RangeReader | io.TextIOWrapper:
    """A reader of ``file`` as it is now (binary, or text with ``encoding``).

    :raises InvalidPathError: the file is gone.
    :raises InvalidFileError: a directory is at its path now.
    :raises ValueError: ``buffer_size`` is not a positive int.
    """
    if buffer_size is None:
        buffer_size = DEFAULT_BUFFER_SIZE
    if isinstance(buffer_size, bool) or not isinstance(buffer_size, int) or buffer_size <= 0:
        raise ValueError(f"buffer_size must be a positive int, not {buffer_size!r}")
    if encoding is not None:
        import codecs

        codecs.lookup(encoding)  # an unknown encoding fails now, not at the first read
    path = file.get_path()
    backend = file._session.backend
    entry = backend.stat(path)
    if entry is None:
        raise InvalidPathError(path)
    if entry.is_dir:
        raise InvalidFileError(path)
    reader = RangeReader(backend, path, entry.size, entry.version, buffer_size)
    if encoding is None:
        if errors is not None or newline is not None:
            raise ValueError("errors and newline need an encoding (text mode)")
        return reader
    return io.TextIOWrapper(reader, encoding=encoding, errors=errors, newline=newline)
