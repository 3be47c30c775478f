"""An in-memory object store: named stores of ``key -> bytes`` with metadata."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from fluke import _paths
from fluke.backend import Checksum, Entry, StorageBackend, StorageCapabilities, Writer
from fluke.storage import Dir, File

__all__ = ["MemoryBackend", "MemoryDir", "MemoryFile"]


@dataclass
class _Store:
    objects: dict[str, tuple[bytes, dict[str, str]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_STORES: dict[str, _Store] = {}
_STORES_LOCK = threading.Lock()


def _store(name: str) -> _Store:
    with _STORES_LOCK:
        return _STORES.setdefault(name, _Store())


class _MemoryWriter(Writer):
    def __init__(self, store: _Store, path: str, metadata: Mapping[str, str] | None) -> None:
        self._store, self._path = store, path
        self._metadata = dict(metadata or {})
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def commit(self) -> None:
        with self._store.lock:
            self._store.objects[self._path] = (b"".join(self._parts), self._metadata)

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
        if found is not None and path:
            return Entry(path, False, len(found[0]))
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
                    yield Entry(key, False, len(self._store.objects[key][0]))
            elif _paths.SEP in rest.rstrip(_paths.SEP) or rest.endswith(_paths.SEP):
                subdir = path + rest.split(_paths.SEP, 1)[0] + _paths.SEP
                if subdir not in seen:
                    seen.add(subdir)
                    yield Entry(subdir, True)
            else:
                yield Entry(key, False, len(self._store.objects[key][0]))

    def read_range(self, path: str, start: int, end: int) -> bytes:
        with self._store.lock:
            return self._store.objects[path][0][start:end]

    def open_writer(
        self,
        path: str,
        *,
        metadata: Mapping[str, str] | None = None,
        part_size: int | None = None,
        size_hint: int | None = None,
    ) -> Writer:
        return _MemoryWriter(self._store, path, metadata)

    def mkdir(self, path: str) -> None:
        with self._store.lock:
            self._store.objects.setdefault(_paths.as_dir_path(path), (b"", {}))

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
            self._store.objects[path] = (data, dict(metadata))

    def copy_within(
        self,
        src_path: str,
        dst: StorageBackend,
        dst_path: str,
        *,
        metadata: Mapping[str, str] | None = None,
        size: int | None = None,
    ) -> Checksum | None:
        assert isinstance(dst, MemoryBackend)
        with self._store.lock:
            data, existing = self._store.objects[src_path]
        with dst._store.lock:
            dst._store.objects[dst_path] = (data, dict(metadata) if metadata else {})
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
