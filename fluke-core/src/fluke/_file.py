"""The File API of API.md, written once on top of a storage backend."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, overload

from fluke import _paths
from fluke._node import Node
from fluke._session import Session, check_metadata
from fluke._textio import iter_lines
from fluke.backend import StorageBackend
from fluke.exceptions import InvalidFileError, InvalidPathError

if TYPE_CHECKING:
    from fluke._dir import Dir
    from fluke._io_reader import RangeReader
    from fluke.transfer import TransferReport

DEFAULT_READ_CHUNK = 8 * 1024 * 1024


class File(Node):
    """A file on any backend.

    Backend packages subclass it with a constructor that builds their backend
    and calls :meth:`_attach`; every method below then works unchanged.
    """

    def _attach(
        self,
        backend: StorageBackend,
        path: str,
        *,
        cache: bool = False,
        load_metadata: bool = False,
    ) -> None:
        """Bind a newly constructed File to ``backend`` and check ``path``.

        With ``load_metadata`` the real metadata is fetched now. On any error
        the backend's connection is released before the error propagates.

        :raises InvalidPathError: nothing exists at ``path``.
        :raises InvalidFileError: ``path`` is a directory.
        """
        session = Session(backend, cache=cache)
        self._bind(session, path, owner=True)
        try:
            entry = session.stat(path) if path else None
            if entry is None:
                if not path:
                    raise InvalidFileError(path)
                raise InvalidPathError(path)
            if entry.is_dir:
                raise InvalidFileError(path)
            if load_metadata:
                self.load_metadata()
        except BaseException:
            backend.close()
            raise

    @classmethod
    def _from_session(cls, session: Session, path: str) -> File:
        """A File sharing ``session`` (used by :meth:`Dir.get_file`)."""
        instance = cls.__new__(cls)
        instance._bind(session, path, owner=False)
        return instance

    # -- identity ----------------------------------------------------------

    def get_name(self) -> str:
        """The last component of the file's path."""
        return _paths.name_of(self._path)

    def get_size(self) -> int:
        """The file's size in bytes."""
        entry = self._session.stat(self._path)
        if entry is None:
            raise InvalidPathError(self._path)
        return entry.size

    # -- metadata ----------------------------------------------------------

    def get_metadata(self) -> dict[str, str]:
        """A copy of the metadata held locally by this instance."""
        return dict(self._session.local_metadata(self._path))

    def set_metadata(self, metadata: dict[str, str]) -> None:
        """Replace the local metadata (keys and values must be ``str``)."""
        self._session.replace_local_metadata(self._path, check_metadata(metadata))

    def load_metadata(self) -> None:
        """Fetch the object's real metadata into the local metadata dict."""
        self._session.replace_local_metadata(self._path, self._session.real_metadata(self._path))

    # -- reading -----------------------------------------------------------

    def read_range(self, start: int | None = None, end: int | None = None) -> bytes:
        """Bytes ``[start, end)``; ``None`` means the file's start/end; clamped."""
        size = self.get_size()
        first = 0 if start is None else max(0, min(start, size))
        last = size if end is None else max(0, min(end, size))
        if first >= last:
            return b""
        return self._session.backend.read_range(self._path, first, last)

    def read(self) -> bytes:
        """The whole content."""
        return b"".join(self.read_chunks(DEFAULT_READ_CHUNK))

    def read_chunks(self, chunk_size: int = 8192) -> Iterator[bytes]:
        """Iterate over the content in chunks of ``chunk_size`` bytes."""
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
            raise ValueError(f"chunk_size must be a positive int, not {chunk_size!r}")
        size = self.get_size()
        return self._session.backend.iter_chunks(self._path, chunk_size, size)

    def read_text(self, encoding: str = "utf-8") -> str:
        """The whole content decoded with ``encoding``."""
        return self.read().decode(encoding)

    def read_lines(self, chunk_size: int | None = None, encoding: str = "utf-8") -> Iterator[str]:
        """Iterate over the lines (split on ``\\n``, which is removed).

        With ``chunk_size`` the file is read incrementally in chunks of that
        size; characters split across chunks still decode correctly.
        """
        chunks = self.read_chunks(chunk_size or DEFAULT_READ_CHUNK)
        return iter_lines(chunks, encoding)

    def cat(self, encoding: str = "utf-8") -> None:
        """Print the content as text."""
        print(self.read_text(encoding))  # noqa: T201 - API.md: cat prints

    @overload
    def reader(self, *, buffer_size: int | None = None, encoding: None = None) -> RangeReader: ...

    @overload
    def reader(
        self,
        *,
        buffer_size: int | None = None,
        encoding: str,
        errors: str | None = None,
        newline: str | None = None,
    ) -> io.TextIOWrapper: ...

    def reader(
        self,
        *,
        buffer_size: int | None = None,
        encoding: str | None = None,
        errors: str | None = None,
        newline: str | None = None,
    ) -> RangeReader | io.TextIOWrapper:
        """A readable, seekable file object over ranged reads (binary, or text with ``encoding``).

        Reads are served from a buffer of at most ``buffer_size`` bytes
        (default 32 MiB): sequential reads fetch ahead in the background, a
        read after a seek fetches only what it needs, so reading a parquet
        footer or a zip's directory does not download the file. The file's
        version at opening is a precondition of every read: if the file is
        replaced meanwhile, reads raise
        :class:`~fluke.exceptions.SourceChangedError` rather than mix versions.
        Use one reader per thread. With ``encoding``, the text layer is an
        :class:`io.TextIOWrapper` (``errors`` and ``newline`` go to it).

        :raises InvalidPathError: the file no longer exists.
        """
        from fluke._io_reader import open_reader

        return open_reader(self, buffer_size, encoding, errors, newline)

    def delete(self) -> None:
        """Delete the file.

        :raises InvalidPathError: it does not exist (any more).
        :raises InvalidFileError: a directory is at its path now.
        """
        from fluke._tree_ops import delete_file

        delete_file(self._session, self._path)

    def move_to(self, dst: Dir, *, new_name: str | None = None, overwrite: bool = False) -> File:
        """Move the file into ``dst`` (as ``new_name``); the moved File.

        A server-side copy where both ends allow it, otherwise a verified
        streamed copy; the source is deleted only once the copy succeeded,
        never first (see :mod:`fluke._move`).

        :raises OverwriteError: a file exists at the destination and ``overwrite`` is false.
        :raises SourceChangedError: the file changed during the move; it was kept.
        """
        from fluke._move import move

        return move(self, dst, new_name=new_name, overwrite=overwrite)

    # -- transfers ---------------------------------------------------------

    def transfer_to(
        self,
        dst: Dir,
        overwrite: bool = False,
        include_metadata: bool = False,
        chunk_size: int | None = None,
        suppress_output: bool = False,
        **options: object,
    ) -> TransferReport:
        """Copy this file into directory ``dst`` as ``dst/<name>``.

        The result is truthy iff the copy succeeded. An existing destination
        with ``overwrite=False`` is a reported failure, not an exception.
        Extra keyword-only ``options`` go to the transfer engine
        (see :func:`fluke.transfer.transfer`).

        :raises InvalidChunkSizeError: ``dst`` cannot accept ``chunk_size``.
        :raises InvalidPathError: the copy would land on this file itself.
        """
        from fluke._dir import Dir
        from fluke.transfer import TransferSource, transfer
        from fluke.transfer._execute import same_location

        name = self.get_name()
        if isinstance(dst, Dir) and same_location(
            self._session.backend, self._path, dst._session.backend, dst._path + name
        ):
            raise InvalidPathError(
                self.get_uri(), "is both the source and the destination of the transfer"
            )
        source = TransferSource(self._session, self._path, name)
        return transfer(
            [source],
            dst,
            overwrite=overwrite,
            include_metadata=include_metadata,
            chunk_size=chunk_size,
            suppress_output=suppress_output,
            **options,  # type: ignore[arg-type]
        )
