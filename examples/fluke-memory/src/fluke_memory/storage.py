"""An in-memory object store: named stores of ``key -> bytes`` with metadata.

Every write gives the object a new version number, which this backend
reports as :attr:`Entry.version` and honours as a precondition, and writers
opened with ``overwrite=False`` commit only when the key is free: the two
guarantees the transfer engine relies on to never lose data.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from fluke import _paths
from fluke.backend import Checksum, Entry, StorageBackend, StorageCapabilities, Writer
from fluke.exceptions import InvalidPathError, OverwriteError, SourceChangedError
from fluke.storage import Dir, File

__all__ = ["MemoryBackend", "MemoryDir", "MemoryFile"]


@dataclass
class _Store:
    objects: dict[str, tuple[bytes, dict[str, str]]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def put(self, path: str, data: bytes, metadata: dict[str, str], overwrite: bool) -> bool:
        """Store an object (caller holds ``lock``); ``False`` if refused by ``overwrite``."""
        if not overwrite and path in self.objects:
            return False
        self.counter += 1
        self.objects[path] = (data, metadata)
        self.versions[path] = self.counter
        return True

    def version(self, path: str) -> str:
        """The version of ``path`` (caller holds ``lock``)."""
        return str(self.versions.get(path, 0))


_STORES: dict[str, _Store] = {}
_STORES_LOCK = threading.Lock()


def _store(name: str) -> _Store:
    with _STORES_LOCK:
        return _STORES.setdefault(name, _Store())


class _MemoryWriter(Writer):
    def __init__(
        self,
        store: _Store,
        uri: str,
        path: str,
        metadata: Mapping[str, str] | None,
        overwrite: bool,
    ) -> None:
        self._store, self._uri, self._path = store, uri, path
        self._metadata = dict(metadata or {})
        self._overwrite = overwrite
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def commit(self) -> None:
        with self._store.lock:
            data = b"".join(self._parts)
            if not self._store.put(self._path, data, self._metadata, self._overwrite):
                raise OverwriteError(self._uri)

    def abort(self) -> None:
        self._parts.clear()


class MemoryBackend(StorageBackend):
    """Objects in a named in-process store, with object-store semantics."""

    capabilities = StorageCapabilities(
        user_metadata=True, server_side_copy=True, directory_markers=True
    )

    def __init__(self, store: str) -> None:
        self._name = store
        self._store = _store(store)

    def uri(self, path: str) -> str:
        return f"memory://{self._name}/{path}"

    def copy_domain(self) -> str | None:
        return "memory"

    def _keys(self) -> list[str]:
        with self._store.lock:
            return sorted(self._store.objects)

    def stat(self, path: str) -> Entry | None:
        with self._store.lock:
            found = self._store.objects.get(path)
            version = self._store.version(path)
        if found is not None and path:
            return Entry(path, False, len(found[0]), version=version)
        prefix = _paths.as_dir_path(path)
        if path == "" or any(key.startswith(prefix) for key in self._keys()):
            return Entry(prefix, True)
        return None

    def list(self, path: str, recursive: bool) -> Iterator[Entry]:
        seen: set[str] = set()
        for key in self._keys():
            if not key.startswith(path) or key == path:
                continue
            rest = key[len(path) :]
            if recursive:
                if not key.endswith(_paths.SEP):
                    yield self._file_entry(key)
            elif _paths.SEP in rest.rstrip(_paths.SEP) or rest.endswith(_paths.SEP):
                subdir = path + rest.split(_paths.SEP, 1)[0] + _paths.SEP
                if subdir not in seen:
                    seen.add(subdir)
                    yield Entry(subdir, True)
            else:
                yield self._file_entry(key)

    def _file_entry(self, key: str) -> Entry:
        with self._store.lock:
            size = len(self._store.objects[key][0])
            return Entry(key, False, size, version=self._store.version(key))

    def _checked(self, path: str, version: str | None) -> tuple[bytes, dict[str, str]]:
        """The object at ``path`` (caller holds the lock), if it has ``version``.

        :raises InvalidPathError: no object at ``path`` and no ``version``
            asked for (a :class:`~fluke.exceptions.PathNotFoundError`).
        :raises SourceChangedError: ``version`` given and the object is gone
            or has another version.
        """
        found = self._store.objects.get(path)
        if found is None and version is None:
            raise InvalidPathError(self.uri(path))
        if found is None or (version is not None and self._store.version(path) != version):
            raise SourceChangedError(self.uri(path))
        return found

    def read_range(self, path: str, start: int, end: int, *, version: str | None = None) -> bytes:
        with self._store.lock:
            return self._checked(path, version)[0][start:end]

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
        return _MemoryWriter(self._store, self.uri(path), path, metadata, overwrite)

    def mkdir(self, path: str) -> None:
        with self._store.lock:
            self._store.put(_paths.as_dir_path(path), b"", {}, overwrite=False)

    def delete(self, path: str) -> None:
        with self._store.lock:
            del self._store.objects[path]

    def remove_dir(self, path: str) -> None:
        with self._store.lock:
            for key in [k for k in self._store.objects if k.startswith(path) and k.endswith("/")]:
                del self._store.objects[key]

    def get_metadata(self, path: str) -> dict[str, str]:
        with self._store.lock:
            return dict(self._store.objects[path][1])

    def set_metadata(self, path: str, metadata: Mapping[str, str]) -> None:
        with self._store.lock:
            data, _ = self._store.objects[path]
            self._store.put(path, data, dict(metadata), overwrite=True)

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
        assert isinstance(dst, MemoryBackend)
        with self._store.lock:
            data, _existing = self._checked(src_path, version)
        with dst._store.lock:
            if not dst._store.put(dst_path, data, dict(metadata or {}), overwrite):
                raise OverwriteError(dst.uri(dst_path))
        return None


class MemoryFile(File):
    """A file in an in-memory store."""

    def __init__(self, store: str, path: str, cache: bool = False) -> None:
        key = _paths.normalise_object_path(path, is_dir=False)
        self._attach(MemoryBackend(store), key, cache=cache)


class MemoryDir(Dir):
    """A directory (prefix) in an in-memory store."""

    file_class = MemoryFile

    def __init__(
        self,
        store: str,
        path: str | None = None,
        cache: bool = False,
        create_if_missing: bool = False,
    ) -> None:
        prefix = _paths.normalise_object_path(path, is_dir=True)
        self._attach(MemoryBackend(store), prefix, cache=cache, create_if_missing=create_if_missing)
