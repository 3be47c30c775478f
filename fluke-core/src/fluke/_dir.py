"""The Dir API of API.md, written once on top of a storage backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ClassVar

from fluke import _paths
from fluke._file import File
from fluke._node import Node
from fluke._session import Session, check_metadata
from fluke.backend import Entry, StorageBackend
from fluke.exceptions import (
    InvalidDirectoryError,
    InvalidFileError,
    InvalidPathError,
    UnsafePathError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from fluke._io_writer import FileWriter
    from fluke.transfer import TransferReport


def _normalise_absolute(path: str) -> str:
    """``path`` with ``.``, ``..`` and repeated separators resolved (no trailing ``/``).

    :raises UnsafePathError: ``..`` climbs above the start of ``path``, or
        ``path`` holds a NUL or a backslash.
    """
    if "\x00" in path or "\\" in path:
        raise UnsafePathError(path)
    parts: list[str] = []
    for part in path.split(_paths.SEP):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise UnsafePathError(path)
            parts.pop()
            continue
        parts.append(part)
    lead = _paths.SEP if path.startswith(_paths.SEP) else ""
    return lead + _paths.SEP.join(parts)


def _tree_lines(root: str, relative_paths: Iterator[str]) -> Iterator[str]:
    """``root``, then the sorted ``relative_paths`` as 0.5.0's ``|__`` tree."""
    yield root
    shown: set[str] = set()
    for relative in relative_paths:
        parts = relative.split(_paths.SEP)
        for depth in range(1, len(parts)):
            prefix = _paths.SEP.join(parts[:depth]) + _paths.SEP
            if prefix not in shown:
                shown.add(prefix)
                yield _tree_line(depth, parts[depth - 1] + _paths.SEP)
        yield _tree_line(len(parts), parts[-1])


def _tree_line(level: int, name: str) -> str:
    """One line of the tree: ``name`` at ``level`` (1: directly inside the root)."""
    return " " * 3 * (level - 1) + "|__" + name


class Dir(Node):
    """A directory on any backend (a prefix on object stores).

    Backend packages subclass it with a constructor that builds their backend
    and calls :meth:`_attach`, and set :attr:`file_class` to their File class.
    """

    file_class: ClassVar[type[File]] = File

    def _attach(
        self,
        backend: StorageBackend,
        path: str,
        *,
        cache: bool = False,
        create_if_missing: bool = False,
    ) -> None:
        """Bind a newly constructed Dir to ``backend`` and check ``path``.

        ``path`` is already normalised (``""`` or ending with ``/``).

        On any error the backend's connection is released before the error
        propagates.

        :raises InvalidPathError: the directory is missing and
            ``create_if_missing`` is false.
        :raises InvalidDirectoryError: ``path`` is a file.
        """
        session = Session(backend, cache=cache)
        self._bind(session, path, owner=True)
        try:
            self._check_or_create(create_if_missing)
        except BaseException:
            backend.close()
            raise

    def _check_or_create(self, create_if_missing: bool) -> None:
        session, path = self._session, self._path
        backend = session.backend
        if path in ("", _paths.SEP):
            session.stat(path)  # the root always exists; checks bucket access
            return
        entry = session.stat(path.rstrip(_paths.SEP))
        if entry is not None and not entry.is_dir:
            raise InvalidDirectoryError(path)
        if entry is None:
            if not create_if_missing:
                raise InvalidPathError(path)
            backend.mkdir(path)
            session.purge()

    @classmethod
    def _from_session(cls, session: Session, path: str) -> Dir:
        """A Dir sharing ``session`` (used by :meth:`get_subdir`)."""
        instance = cls.__new__(cls)
        instance._bind(session, path, owner=False)
        return instance

    # -- paths -------------------------------------------------------------

    def get_name(self) -> str | None:
        """The directory's name, or ``None`` for a root."""
        name = _paths.name_of(self._path)
        return name or None

    def _resolve(self, path: str) -> str:
        """The full path of ``path``, absolute or relative to this dir.

        ``path`` is absolute when it starts with ``/`` or with this dir's
        path. ``.``, ``..`` and repeated separators are resolved first
        (lexically, the same on every backend); the result must then lie
        inside this dir. An absolute path naming the dir itself gives the
        dir's own path.

        :raises UnsafePathError: ``path`` is outside this dir once normalised
            (absolute elsewhere, or climbing out with ``..``), or holds a NUL
            or a backslash.
        :raises InvalidPathError: ``path`` is not a string.
        """
        if not isinstance(path, str):
            raise InvalidPathError(repr(path), "is not a string")
        base = self._path
        if not path.startswith(_paths.SEP) and not (base and path.startswith(base)):
            return _paths.join_relative(base, path)
        full = _normalise_absolute(path)
        if _paths.as_dir_path(full) == base:
            return base
        rooted_alike = path.startswith(_paths.SEP) == base.startswith(_paths.SEP)
        if not rooted_alike or not full.startswith(base):
            raise UnsafePathError(path)
        return full + _paths.SEP if path.endswith(_paths.SEP) else full

    def _stat(self, path: str) -> Entry | None:
        return self._session.stat(self._resolve(path).rstrip(_paths.SEP))

    def path_exists(self, path: str) -> bool:
        """Whether ``path`` (absolute or relative to this dir) exists."""
        return self._stat(path) is not None

    def is_file(self, path: str) -> bool:
        """Whether ``path`` (absolute or relative to this dir) is a file."""
        entry = self._stat(path)
        return entry is not None and not entry.is_dir

    # -- listing -----------------------------------------------------------

    def _entries(self, recursively: bool) -> list[Entry]:
        cache = self._session.cache
        key = (self._path, recursively)
        if cache is not None and key in cache.listings:
            return cache.listings[key]
        backend = self._session.backend
        entries = list(backend.list(self._path, recursively))
        if not backend.capabilities.sorted_listing:
            entries.sort(key=lambda entry: entry.path)
        if cache is not None:
            cache.listings[key] = entries
            for entry in entries:
                cache.stats[entry.path.rstrip(_paths.SEP)] = entry
        return entries

    def traverse(self, recursively: bool = False, show_abs_path: bool = False) -> Iterator[str]:
        """Iterate over the paths inside, in sorted order.

        Not recursive: top-level files and subdirectories (ending with ``/``).
        Recursive: every file below, no directory entries. Paths are relative
        to this dir unless ``show_abs_path``.
        """
        offset = 0 if show_abs_path else len(self._path)
        for entry in self._entries(recursively):
            yield entry.path[offset:]

    def get_contents(self, recursively: bool = False, show_abs_path: bool = False) -> list[str]:
        """``list(traverse(...))``."""
        return list(self.traverse(recursively, show_abs_path))

    def ls(self, recursively: bool = False, show_abs_path: bool = False) -> None:
        """Print the listing after an empty line, as Fluke 0.5.0 did.

        Not recursive: one :meth:`traverse` path a line. Recursive: the dir
        itself first (its name with ``/``, its path with ``show_abs_path``,
        ``/`` for a root), then a ``|__`` tree indented 3 spaces per level.
        """
        print()  # noqa: T201 - API.md: ls prints
        if not recursively:
            for path in self.traverse(False, show_abs_path):
                print(path)  # noqa: T201 - API.md: ls prints
            return
        for line in _tree_lines(self._tree_root(show_abs_path), self.traverse(True, False)):
            print(line)  # noqa: T201 - API.md: ls prints

    def _tree_root(self, show_abs_path: bool) -> str:
        """The first line of a recursive :meth:`ls`."""
        name = self.get_name()
        if name is None:
            return _paths.SEP
        return self._path if show_abs_path else name + _paths.SEP

    def count(self, recursively: bool = False) -> int:
        """The number of entries :meth:`traverse` yields."""
        cache = self._session.cache
        if cache is not None:
            return len(self._entries(recursively))
        return sum(1 for _ in self._session.backend.list_paths(self._path, recursively))

    def get_size(self, recursively: bool = False) -> int:
        """Total bytes of the files :meth:`count` counts."""
        cache = self._session.cache
        if cache is not None:
            entries: list[Entry] | Iterator[Entry] = self._entries(recursively)
        else:
            entries = self._session.backend.list(self._path, recursively)
        return sum(entry.size for entry in entries if not entry.is_dir)

    # -- children ----------------------------------------------------------

    def get_file(self, path: str) -> File:
        """A File for ``path`` inside, sharing this dir's connection and cache.

        :raises InvalidPathError: nothing is there.
        :raises InvalidFileError: it is a directory.
        """
        full = self._resolve(path)
        entry = self._session.stat(full.rstrip(_paths.SEP))
        if entry is None:
            raise InvalidPathError(full)
        if entry.is_dir or full.endswith(_paths.SEP):
            raise InvalidFileError(full)
        return self.file_class._from_session(self._session, full)

    def get_subdir(self, path: str) -> Dir:
        """A Dir for subdirectory ``path``, sharing this dir's connection and cache.

        :raises InvalidPathError: nothing is there.
        :raises InvalidDirectoryError: it is a file.
        """
        full = _paths.as_dir_path(self._resolve(path))
        entry = self._session.stat(full.rstrip(_paths.SEP))
        if entry is None:
            raise InvalidPathError(full)
        if not entry.is_dir:
            raise InvalidDirectoryError(full)
        return type(self)._from_session(self._session, full)

    # -- metadata ----------------------------------------------------------

    def _file_path(self, file_path: str) -> str:
        full = self._resolve(file_path)
        entry = self._session.stat(full.rstrip(_paths.SEP))
        if entry is None or entry.is_dir or full.endswith(_paths.SEP):
            raise InvalidFileError(full)  # API.md (and 0.5.0): not a file
        return full

    def get_metadata(self, file_path: str) -> dict[str, str]:
        """A copy of the local metadata of a file inside.

        :raises InvalidFileError: no file is there (nothing, or a directory).
        """
        return dict(self._session.local_metadata(self._file_path(file_path)))

    def set_metadata(self, file_path: str, metadata: dict[str, str]) -> None:
        """Replace the local metadata of a file inside (seen by its Files).

        :raises InvalidFileError: no file is there (nothing, or a directory).
        """
        checked = check_metadata(metadata)
        self._session.replace_local_metadata(self._file_path(file_path), checked)

    def load_metadata(self, recursively: bool = False) -> None:
        """Fetch the real metadata of the files inside into their local dicts."""
        for entry in self._entries(recursively):
            if not entry.is_dir:
                self._session.replace_local_metadata(
                    entry.path, self._session.real_metadata(entry.path)
                )

    # -- writing, deleting, globbing ------------------------------------------

    def write_file(
        self,
        path: str,
        data: bytes | str | object,
        *,
        metadata: Mapping[str, str] | None = None,
        overwrite: bool = False,
    ) -> File:
        """Write ``data`` to file ``path`` inside; the new File.

        ``data`` is ``bytes``, ``str`` (stored as UTF-8) or a binary file
        object (read in chunks). ``metadata`` is stored where the backend has
        user metadata (else kept as local metadata, as ``transfer_to`` does).
        With ``overwrite=False`` an existing file is never replaced, even by
        a racing writer (conditional commit).

        :raises OverwriteError: a file exists there and ``overwrite`` is false.
        :raises InvalidPathError: ``path`` ends with ``/`` or escapes this dir.
        :raises InvalidFileError: a directory is at ``path``.
        """
        from fluke._io_writer import write_file

        return write_file(self, path, data, metadata=metadata, overwrite=overwrite)

    def writer(
        self,
        path: str,
        *,
        metadata: Mapping[str, str] | None = None,
        overwrite: bool = False,
    ) -> FileWriter:
        """A writable binary file object for file ``path`` inside (a context manager).

        Nothing is visible at ``path`` until ``close()``; an exception inside
        the ``with`` block aborts and leaves nothing behind. Large content
        goes up in parts (multipart, blocks, chunks), so memory stays bounded
        by about one part. Errors as for :meth:`write_file`; the
        ``OverwriteError`` of ``overwrite=False`` is raised by ``close()``.
        """
        from fluke._io_writer import open_writer

        return open_writer(self, path, metadata=metadata, overwrite=overwrite)

    def delete_file(self, path: str) -> None:
        """Delete file ``path`` inside.

        :raises InvalidPathError: nothing is there.
        :raises InvalidFileError: it is a directory.
        """
        from fluke._tree_ops import delete_file

        delete_file(self._session, self._resolve(path))

    def remove(self, *, recursively: bool = False) -> None:
        """Delete this directory; ``recursively`` deletes the files inside first.

        :raises InvalidPathError: it holds files and ``recursively`` is false,
            or it does not exist (any more).
        """
        from fluke._tree_ops import remove_dir

        remove_dir(self._session, self._path, recursively=recursively)

    def mkdir(self, path: str) -> Dir:
        """Create directory ``path`` inside (and its parents); a Dir for it.

        A no-op when it exists. On object stores it is a zero-byte marker.

        :raises InvalidDirectoryError: a file is at ``path`` or on the way.
        """
        from fluke._tree_ops import make_dir

        full = _paths.as_dir_path(self._resolve(path))
        if full == self._path:
            return type(self)._from_session(self._session, full)
        make_dir(self._session, self._path, full)
        return type(self)._from_session(self._session, full)

    def glob(self, pattern: str) -> Iterator[str]:
        """The files inside matching ``pattern``, relative to this dir, sorted.

        ``*`` and ``?`` match within one path component, ``[..]`` one
        character of a set, and ``**`` (a whole component) any number of
        components. Only the pattern's leading literal directory is listed.

        :raises UnsafePathError: the pattern is absolute or climbs out with ``..``.
        """
        from fluke._glob import glob

        return glob(self, pattern)

    # -- transfers ---------------------------------------------------------

    def transfer_to(
        self,
        dst: Dir,
        recursively: bool = False,
        overwrite: bool = False,
        include_metadata: bool = False,
        chunk_size: int | None = None,
        filter: Callable[[str], bool] | None = None,  # noqa: A002 - API.md name
        suppress_output: bool = False,
        **options: object,
    ) -> TransferReport:
        """Copy the files inside (``recursively``: the whole tree) into ``dst``.

        ``filter(abs_path)`` keeps a file when it returns True. The result is
        truthy iff every file succeeded; failures are reported per file and do
        not stop the others. Extra keyword-only ``options`` go to the transfer
        engine (see :func:`fluke.transfer.transfer`).

        :raises InvalidChunkSizeError: ``dst`` cannot accept ``chunk_size``.
        """
        from fluke.transfer import DirSource, transfer
        from fluke.transfer._execute import same_location

        if not isinstance(dst, Dir):
            raise TypeError(f"transfer destination must be a Dir, not {type(dst).__name__}")
        if same_location(self._session.backend, self._path, dst._session.backend, dst._path):
            raise InvalidPathError(
                dst.get_uri(), "is both the source and the destination of the transfer"
            )
        # the engine lists the directory itself: in shards, streamed, resumable
        sources = DirSource(self._session, self._path, recursively, filter)
        return transfer(
            sources,
            dst,
            overwrite=overwrite,
            include_metadata=include_metadata,
            chunk_size=chunk_size,
            suppress_output=suppress_output,
            **options,  # type: ignore[arg-type]
        )
