"""``Dir.writer()`` and ``Dir.write_file()``: writes through a backend's :class:`Writer`.

Nothing is visible at the destination until the writer is closed: the bytes
go to the backend's writer (a temporary file, staged blocks, a multipart
upload), which commits on :meth:`FileWriter.close`. An exception inside the
``with`` block, or a writer that is never closed, aborts instead and leaves
nothing behind. Memory is bounded: this object holds at most
:data:`WRITE_CHUNK` bytes, and the backend's writer at most its part size
(plus the parts it has in flight).

Every check happens before the first byte is sent: the path is a file path
inside the directory, not a directory, and the metadata is ``str`` to ``str``.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING

from fluke import _paths
from fluke._session import Session, check_metadata
from fluke._tree_ops import check_parents
from fluke.backend import Writer
from fluke.exceptions import InvalidFileError, InvalidPathError

if TYPE_CHECKING:
    from fluke._dir import Dir
    from fluke._file import File

__all__ = ["WRITE_CHUNK", "FileWriter", "open_writer", "write_file"]

logger = logging.getLogger("fluke.storage")

#: bytes gathered before they are handed to the backend's writer
WRITE_CHUNK = 1024 * 1024


def check_write(
    directory: Dir, path: str, metadata: object, overwrite: object
) -> tuple[str, dict[str, str] | None]:
    """The full path to write ``path`` to and the checked metadata.

    :raises InvalidPathError: ``path`` ends with ``/``, names the directory
        itself, or escapes it (:class:`~fluke.exceptions.UnsafePathError`).
    :raises InvalidFileError: a directory exists at ``path``.
    :raises InvalidDirectoryError: a file is where a parent directory would be.
    :raises NonStringMetadataKeyError: a metadata key is not a ``str``.
    :raises NonStringMetadataValueError: a metadata value is not a ``str``.
    """
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be a bool, not {type(overwrite).__name__}")
    checked = None if metadata is None else check_metadata(metadata)
    if isinstance(path, str) and path.endswith(_paths.SEP):
        raise InvalidPathError(path, "ends with '/' (a file path was expected)")
    full = directory._resolve(path)
    if full == directory.get_path() or full.endswith(_paths.SEP):
        raise InvalidPathError(path, "names a directory, not a file")
    entry = directory._session.backend.stat(full)
    if entry is not None and entry.is_dir:
        raise InvalidFileError(full)
    if entry is None:
        check_parents(directory._session, directory.get_path(), full)
    return full, checked


class FileWriter(io.BufferedIOBase):
    """A writable binary file whose content appears at its path on :meth:`close`.

    Returned by :meth:`Dir.writer <fluke.storage.Dir.writer>`. Use it as a
    context manager: leaving the block normally commits, an exception
    aborts. :meth:`abort` discards everything explicitly. A writer that is
    garbage-collected without being closed is aborted (with a
    ``ResourceWarning``), never committed. Not thread-safe.

    After a successful close, :attr:`file` is the written File.
    """

    def __init__(
        self,
        directory: Dir,
        path: str,
        writer: Writer,
        metadata: dict[str, str] | None,
    ) -> None:
        super().__init__()
        self._directory = directory
        self._session: Session = directory._session
        self._path = path
        self._writer: Writer | None = writer
        self._metadata = metadata
        self._pending = bytearray()
        self._written = 0
        self._file: File | None = None
        #: the destination's path, as ``open()``'s file objects have a name
        self.name = path

    def writable(self) -> bool:
        """Always ``True``."""
        self._check_open()
        return True

    def tell(self) -> int:
        """Bytes written so far."""
        self._check_open()
        return self._written

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        """Append ``data`` (any bytes-like object); the number of bytes taken."""
        self._check_open()
        if isinstance(data, str):
            raise TypeError("write() needs bytes, not str (open a text layer over the writer)")
        view = memoryview(data).cast("B")
        size = len(view)
        if not self._pending and size >= WRITE_CHUNK:  # big writes go through uncopied
            self._send(data if isinstance(data, bytes) else view.tobytes())
        else:
            self._pending += view
            if len(self._pending) >= WRITE_CHUNK:
                self._flush_pending()
        self._written += size
        return size

    def flush(self) -> None:
        """Nothing to do: bytes are visible only after :meth:`close`."""
        self._check_open()

    @property
    def file(self) -> File:
        """The written file (after a successful :meth:`close`)."""
        if self._file is None:
            raise ValueError(f"{self._path!r} has not been written (close() commits)")
        return self._file

    def close(self) -> None:
        """Commit: make the content visible at the path.

        :raises OverwriteError: opened with ``overwrite=False`` and a file
            appeared at the path meanwhile (it is left untouched).
        """
        if self.closed:
            return
        writer = self._writer
        self._writer = None
        try:
            if writer is not None:
                try:
                    self._flush_to(writer)
                    writer.commit()
                except BaseException:
                    _abort_quietly(writer, self._path)
                    raise
                self._committed()
        finally:
            self._pending = bytearray()
            super().close()

    def abort(self) -> None:
        """Discard everything written; nothing appears at the path."""
        if self.closed:
            return
        writer = self._writer
        self._writer = None
        self._pending = bytearray()
        try:
            if writer is not None:
                writer.abort()
        finally:
            super().close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        if getattr(self, "_writer", None) is not None:
            warnings.warn(
                f"writer of {self._path!r} was never closed; it was aborted "
                "(nothing was written). Use close() or a with-statement.",
                ResourceWarning,
                stacklevel=2,
            )
            writer, self._writer = self._writer, None
            if writer is not None:
                _abort_quietly(writer, self._path)

    def __repr__(self) -> str:
        return f"<FileWriter {self._session.backend.uri(self._path)!r}>"

    # -- internals -----------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on a closed writer")

    def _send(self, data: bytes) -> None:
        writer = self._writer
        if writer is None:  # pragma: no cover - guarded by _check_open
            raise ValueError("I/O operation on a closed writer")
        try:
            writer.write(data)
        except BaseException:
            self._writer = None
            _abort_quietly(writer, self._path)
            super().close()
            raise

    def _flush_pending(self) -> None:
        data, self._pending = bytes(self._pending), bytearray()
        self._send(data)

    def _flush_to(self, writer: Writer) -> None:
        if self._pending:
            data, self._pending = bytes(self._pending), bytearray()
            writer.write(data)

    def _committed(self) -> None:
        session = self._session
        session.purge()
        if self._metadata and not session.backend.capabilities.user_metadata:
            # as transfer_to does: metadata lives on as the Dir's local metadata
            session.replace_local_metadata(self._path, self._metadata)
        self._file = self._directory.file_class._from_session(session, self._path)


def _abort_quietly(writer: Writer, path: str) -> None:
    try:
        writer.abort()
    except Exception:
        logger.warning("aborting the write of %s failed", path, exc_info=True)


def open_writer(
    directory: Dir,
    path: str,
    *,
    metadata: Mapping[str, str] | None = None,
    overwrite: bool = False,
    size_hint: int | None = None,
) -> FileWriter:
    """A :class:`FileWriter` to ``path`` inside ``directory`` (checks first)."""
    full, checked = check_write(directory, path, metadata, overwrite)
    backend = directory._session.backend
    writer = backend.open_writer(full, metadata=checked, overwrite=overwrite, size_hint=size_hint)
    return FileWriter(directory, full, writer, checked)


def write_file(
    directory: Dir,
    path: str,
    data: object,
    *,
    metadata: Mapping[str, str] | None = None,
    overwrite: bool = False,
) -> File:
    """Write ``data`` (bytes, str as UTF-8, or a binary file object) to ``path``."""
    payload: bytes | None = None
    source: io.RawIOBase | io.BufferedIOBase | None = None
    if isinstance(data, str):
        payload = data.encode("utf-8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        payload = bytes(data)
    elif hasattr(data, "read"):
        source = data  # type: ignore[assignment]
    else:
        raise TypeError(
            f"data must be bytes, str or a binary file object, not {type(data).__name__}"
        )
    size_hint = None if payload is None else len(payload)
    with open_writer(
        directory, path, metadata=metadata, overwrite=overwrite, size_hint=size_hint
    ) as writer:
        if payload is not None:
            writer.write(payload)
        else:
            assert source is not None
            while chunk := source.read(WRITE_CHUNK):
                if isinstance(chunk, str):
                    raise TypeError(f"{path!r}: the file object gives str; open it in binary mode")
                writer.write(chunk)
    return writer.file
