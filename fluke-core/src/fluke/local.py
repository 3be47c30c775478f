"""Local disk: the backend and the ``LocalFile``/``LocalDir`` classes."""

from __future__ import annotations

import errno
import logging
import os
import re
from collections.abc import Callable, Iterator, Mapping
from stat import S_ISDIR
from typing import BinaryIO

from fluke import _paths
from fluke._dir import Dir
from fluke._file import File
from fluke.backend import Checksum, Entry, PartWriter, StorageBackend, StorageCapabilities, Writer
from fluke.exceptions import OverwriteError, SourceChangedError

__all__ = ["LocalBackend", "LocalDir", "LocalFile"]

logger = logging.getLogger("fluke.local")


def _vanished(error: OSError) -> bool:
    """Whether ``error`` means nothing usable is at the path (missing, dangling, a loop)."""
    return error.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP)


def file_version(info: os.stat_result) -> str:
    """The local :attr:`Entry.version` of a file: it changes when the content does."""
    return f"{info.st_mtime_ns}:{info.st_size}:{info.st_ino}"


def _check_version(handle: BinaryIO, path: str, version: str | None) -> None:
    """Raise :class:`SourceChangedError` unless open ``handle`` still has ``version``."""
    if version is not None and file_version(os.fstat(handle.fileno())) != version:
        raise SourceChangedError("file://" + path)


class _LocalWriter(Writer):
    """Writes to a temporary file beside the target; ``commit`` renames it.

    With ``overwrite=False`` the commit hard-links the temporary file to the
    target, which the kernel refuses atomically when the target exists.
    """

    def __init__(self, path: str, *, overwrite: bool = True, mtime: float | None = None) -> None:
        import tempfile

        self._path = path
        self._overwrite = overwrite
        self._mtime = mtime
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
        if self._mtime is not None:
            os.utime(self._tmp, (self._mtime, self._mtime))
        if self._overwrite:
            os.replace(self._tmp, self._path)
            return None
        try:
            os.link(self._tmp, self._path)
        except FileExistsError:
            raise OverwriteError("file://" + self._path) from None
        finally:
            self._remove_temporary()
        return None

    def abort(self) -> None:
        self._file.close()
        self._remove_temporary()

    def _remove_temporary(self) -> None:
        try:
            os.remove(self._tmp)
        except FileNotFoundError:
            pass


#: The name of a writer's temporary file (``tempfile.mkstemp`` in :class:`_LocalWriter`).
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.fluke-part")


class _LocalPartWriter(PartWriter):
    """Positional writes into a temporary file of the final size; renamed on commit."""

    def __init__(self, path: str, size: int, *, overwrite: bool, mtime: float | None) -> None:
        self._writer = _LocalWriter(path, overwrite=overwrite, mtime=mtime)
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
    """The local filesystem (absolute POSIX paths).

    Symbolic links met while listing a directory (and so in every recursive
    copy) follow the rule of the SFTP backend: a link to a file that, fully
    resolved, lies inside the listed directory is listed (and copied) as
    that file; links to directories are never listed nor descended, so loops
    cannot form. Links leading out of the listed directory, dangling links
    and link loops are left out with a warning (logger ``fluke.local``); the
    rest of the listing goes on. A path named directly (``LocalFile``,
    ``Dir.get_file``) is opened as the system does.
    """

    capabilities = StorageCapabilities(
        remote=False, server_side_copy=True, max_concurrency=16, preserves_mtime=True
    )

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
        except OSError as error:
            if _vanished(error):  # missing, a dangling link or a link loop
                return None
            raise
        if S_ISDIR(result.st_mode):
            return Entry(_paths.as_dir_path(real), True, 0, result.st_mtime)
        return Entry(real, False, result.st_size, result.st_mtime, version=file_version(result))

    # -- listing: symbolic links are followed only inside the listed tree ----

    @staticmethod
    def _follows(item: os.DirEntry[str], root: str) -> bool:
        """Whether the listing may follow symbolic link ``item``.

        Only when its target is a file that lies (fully resolved) inside
        ``root``, the real path of the listed directory ending with ``/``.
        Links to directories are left out quietly (no loops); dangling
        links, loops and links leading out of ``root`` with a warning.
        """
        try:
            info = os.stat(item.path)
        except OSError as error:
            logger.warning("skipping symbolic link %s: %s", item.path, error.strerror or error)
            return False
        target = os.path.realpath(item.path)
        if not _paths.as_dir_path(target).startswith(root):
            logger.warning(
                "skipping symbolic link %s: its target %s is outside %s", item.path, target, root
            )
            return False
        if S_ISDIR(info.st_mode):
            logger.debug("not following symbolic link %s to directory %s", item.path, target)
            return False
        return True

    def _scan(self, directory: str, root: str) -> Iterator[tuple[os.DirEntry[str], bool]]:
        """The listable entries of ``directory`` as ``(item, is_dir)``.

        Symbolic links pass only through :meth:`_follows`; an entry that
        vanishes while being listed is left out.
        """
        with os.scandir(directory) as it:
            for item in it:
                if item.is_symlink() and not self._follows(item, root):
                    continue
                try:
                    is_dir = item.is_dir()
                except OSError as error:  # a link changed since _follows looked
                    if not _vanished(error):
                        raise
                    continue
                yield item, is_dir

    @staticmethod
    def _root(top: str) -> str:
        """The real path of listed directory ``top``, ending with ``/``."""
        return _paths.as_dir_path(os.path.realpath(top))

    def _walk(self, path: str) -> Iterator[os.DirEntry[str]]:
        """Every file below ``path`` (links to directories are never descended)."""
        top = self._os_path(path)
        root = self._root(top)
        stack = [top]
        while stack:
            for item, is_dir in self._scan(stack.pop(), root):
                if not is_dir:
                    yield item
                elif not item.is_symlink():
                    stack.append(item.path)

    @staticmethod
    def _file_entry(item: os.DirEntry[str]) -> Entry | None:
        """The Entry of listed file ``item``, ``None`` when it vanished meanwhile."""
        try:
            info = item.stat()
        except OSError as error:
            if not _vanished(error):
                raise
            return None
        return Entry(item.path, False, info.st_size, info.st_mtime, version=file_version(info))

    def list(self, path: str, recursive: bool) -> Iterator[Entry]:
        top = self._os_path(path)
        items: Iterator[tuple[os.DirEntry[str], bool]]
        if recursive:
            items = ((item, False) for item in self._walk(top))
        else:
            items = self._scan(top, self._root(top))
        for item, is_dir in items:
            entry = Entry(item.path + _paths.SEP, True) if is_dir else self._file_entry(item)
            if entry is not None:
                yield entry

    def list_paths(self, path: str, recursive: bool) -> Iterator[str]:
        if recursive:
            return (item.path for item in self._walk(path))
        return (entry.path for entry in self.list(path, False))

    def read_range(self, path: str, start: int, end: int, *, version: str | None = None) -> bytes:
        with open(path, "rb") as handle:
            _check_version(handle, path, version)
            handle.seek(start)
            return handle.read(end - start)

    def iter_chunks(
        self, path: str, chunk_size: int, size: int | None = None, *, version: str | None = None
    ) -> Iterator[bytes]:
        with open(path, "rb") as handle:
            _check_version(handle, path, version)
            while data := handle.read(chunk_size):
                yield data
            _check_version(handle, path, version)

    def open_writer(
        self,
        path: str,
        *,
        metadata: Mapping[str, str] | None = None,
        part_size: int | None = None,
        size_hint: int | None = None,
        overwrite: bool = True,
        mtime: float | None = None,
    ) -> Writer:
        return _LocalWriter(path, overwrite=overwrite, mtime=mtime)

    def open_part_writer(
        self,
        path: str,
        *,
        size: int,
        part_size: int,
        metadata: Mapping[str, str] | None = None,
        overwrite: bool = True,
        mtime: float | None = None,
    ) -> PartWriter | None:
        return _LocalPartWriter(path, size, overwrite=overwrite, mtime=mtime)

    def mkdir(self, path: str) -> None:
        os.makedirs(self._os_path(path), exist_ok=True)

    def delete(self, path: str) -> None:
        os.remove(path)

    def cleanup_leftovers(self, prefix: str, *, since: float, owned: Callable[[str], bool]) -> int:
        """Remove the writers' ``.fluke-part`` files under ``prefix`` (see the base class).

        A process killed between a writer's start and its commit or abort
        leaves its temporary file (``.<name>.<8 chars>.fluke-part``) beside
        the destination; nothing else is touched and links are not followed.
        """
        removed = 0
        for directory, _dirs, names in os.walk(self._os_path(prefix)):
            for name in names:
                found = _TEMPORARY.fullmatch(name)
                full = os.path.join(directory, name)
                if (
                    found
                    and owned(os.path.join(directory, found["name"]))
                    and os.lstat(full).st_mtime >= since - 60
                ):
                    os.remove(full)
                    removed += 1
        return removed

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
        version: str | None = None,
        overwrite: bool = True,
        mtime: float | None = None,
    ) -> Checksum | None:
        """Copy through a temporary file; the source is checked before the commit."""
        import shutil

        writer = _LocalWriter(dst_path, overwrite=overwrite, mtime=mtime)
        try:
            with open(src_path, "rb") as source:
                _check_version(source, src_path, version)
                shutil.copyfileobj(source, writer._file, 8 * 1024 * 1024)
                _check_version(source, src_path, version)
            if size is not None and writer._file.tell() != size:
                raise SourceChangedError(
                    "file://" + src_path, f"has {writer._file.tell()} bytes, not the {size} listed"
                )
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
