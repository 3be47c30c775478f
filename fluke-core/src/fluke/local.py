"""Local disk: the backend and the ``LocalFile``/``LocalDir`` classes."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from fluke import _paths
from fluke._dir import Dir
from fluke._file import File
from fluke.backend import Checksum, Entry, PartWriter, StorageBackend, StorageCapabilities, Writer

__all__ = ["LocalBackend", "LocalDir", "LocalFile"]


class _LocalWriter(Writer):
    """Writes to a temporary file beside the target; ``commit`` renames it."""

    def __init__(self, path: str) -> None:
        self._path = path
        import tempfile

        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}.", suffix=".fluke-part", dir=parent
        )
        self._file = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> int:
        return self._file.write(data)

    def commit(self) -> Checksum | None:
        self._file.close()
        os.replace(self._tmp, self._path)
        return None

    def abort(self) -> None:
        self._file.close()
        try:
            os.remove(self._tmp)
        except FileNotFoundError:
            pass


class _LocalPartWriter(PartWriter):
    """Positional writes into a temporary file of the final size; renamed on commit."""

    def __init__(self, path: str, size: int) -> None:
        self._writer = _LocalWriter(path)
        self._writer._file.truncate(size)
        self._fd = self._writer._file.fileno()

    def write_part(self, number: int, offset: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.pwrite(self._fd, view, offset)
            view, offset = view[written:], offset + written

    def commit(self) -> Checksum | None:
        return self._writer.commit()

    def abort(self) -> None:
        self._writer.abort()


class LocalBackend(StorageBackend):
    """The local filesystem (absolute POSIX paths)."""

    capabilities = StorageCapabilities(remote=False, server_side_copy=True, max_concurrency=16)

    def uri(self, path: str) -> str:
        return "file://" + path

    def copy_domain(self) -> str | None:
        return "local"

    @staticmethod
    def _os_path(path: str) -> str:
        return path or _paths.SEP

    def stat(self, path: str) -> Entry | None:
        real = self._os_path(path)
        try:
            result = os.stat(real)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if os.path.isdir(real):
            return Entry(_paths.as_dir_path(real), True, 0, result.st_mtime)
        return Entry(real, False, result.st_size, result.st_mtime)

    def _walk(self, path: str) -> Iterator[os.DirEntry[str]]:
        stack = [self._os_path(path)]
        while stack:
            with os.scandir(stack.pop()) as it:
                for item in it:
                    if item.is_dir():
                        if not item.is_symlink():  # never follow links into loops
                            stack.append(item.path)
                    else:
                        yield item

    def list(self, path: str, recursive: bool) -> Iterator[Entry]:
        if recursive:
            for item in self._walk(path):
                info = item.stat()
                yield Entry(item.path, False, info.st_size, info.st_mtime)
            return
        with os.scandir(self._os_path(path)) as it:
            for item in it:
                if item.is_dir():
                    yield Entry(item.path + _paths.SEP, True)
                else:
                    info = item.stat()
                    yield Entry(item.path, False, info.st_size, info.st_mtime)

    def list_paths(self, path: str, recursive: bool) -> Iterator[str]:
        if recursive:
            return (item.path for item in self._walk(path))
        return (entry.path for entry in self.list(path, False))

    def read_range(self, path: str, start: int, end: int) -> bytes:
        with open(path, "rb") as handle:
            handle.seek(start)
            return handle.read(end - start)

    def iter_chunks(self, path: str, chunk_size: int, size: int | None = None) -> Iterator[bytes]:
        with open(path, "rb") as handle:
            while data := handle.read(chunk_size):
                yield data

    def open_writer(
        self,
        path: str,
        *,
        metadata: Mapping[str, str] | None = None,
        part_size: int | None = None,
        size_hint: int | None = None,
    ) -> Writer:
        return _LocalWriter(path)

    def open_part_writer(
        self,
        path: str,
        *,
        size: int,
        part_size: int,
        metadata: Mapping[str, str] | None = None,
    ) -> PartWriter | None:
        return _LocalPartWriter(path, size)

    def mkdir(self, path: str) -> None:
        os.makedirs(self._os_path(path), exist_ok=True)

    def delete(self, path: str) -> None:
        os.remove(path)

    def remove_dir(self, path: str) -> None:
        """Remove ``path`` and the empty directories below it."""
        root = self._os_path(path)
        for folder, _subdirs, files in sorted(os.walk(root), reverse=True):
            if not files:
                try:
                    os.rmdir(folder)
                except OSError:
                    pass

    def copy_within(
        self,
        src_path: str,
        dst: StorageBackend,
        dst_path: str,
        *,
        metadata: Mapping[str, str] | None = None,
        size: int | None = None,
    ) -> Checksum | None:
        import shutil

        writer = _LocalWriter(dst_path)
        try:
            with open(src_path, "rb") as source:
                shutil.copyfileobj(source, writer._file, 8 * 1024 * 1024)
        except BaseException:
            writer.abort()
            raise
        return writer.commit()


class LocalFile(File):
    """A file on the local filesystem.

    :param path: the file's path (relative paths are made absolute).
    :raises InvalidPathError: the path does not exist.
    :raises InvalidFileError: the path is a directory.
    """

    def __init__(self, path: str) -> None:
        normalised = _paths.normalise_fs_path(path, is_dir=False, cwd=os.getcwd())
        self._attach(LocalBackend(), normalised)


class LocalDir(Dir):
    """A directory on the local filesystem.

    :param path: the directory's path (relative paths are made absolute).
    :param create_if_missing: create it (and its parents) when missing.
    :raises InvalidPathError: it is missing and ``create_if_missing`` is false.
    :raises InvalidDirectoryError: the path is a file.
    """

    file_class = LocalFile

    def __init__(self, path: str, create_if_missing: bool = False) -> None:
        normalised = _paths.normalise_fs_path(path, is_dir=True, cwd=os.getcwd())
        self._attach(LocalBackend(), normalised, create_if_missing=create_if_missing)
