"""State shared by a Dir and every File and subdir it hands out.

A :class:`Session` owns one backend connection, the optional cache, and the
local metadata dicts (API.md: metadata set through a Dir is seen through the
Files got from it, and the reverse).
"""

from __future__ import annotations

import threading

from fluke.backend import Entry, StorageBackend
from fluke.exceptions import NonStringMetadataKeyError, NonStringMetadataValueError


def check_metadata(metadata: object) -> dict[str, str]:
    """Validate user metadata and return a copy as a plain ``dict``."""
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict of str to str, not {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise NonStringMetadataKeyError(key)
        if not isinstance(value, str):
            raise NonStringMetadataValueError(value, key)
    return dict(metadata)


class StorageCache:
    """Listings, stat results and real metadata remembered until ``purge()``."""

    def __init__(self) -> None:
        self.stats: dict[str, Entry | None] = {}
        self.listings: dict[tuple[str, bool], list[Entry]] = {}
        self.metadata: dict[str, dict[str, str]] = {}

    def clear(self) -> None:
        """Forget everything."""
        self.stats.clear()
        self.listings.clear()
        self.metadata.clear()


class Session:
    """One backend connection plus the cache and metadata shared through it."""

    def __init__(self, backend: StorageBackend, *, cache: bool) -> None:
        self.backend = backend
        self.cache: StorageCache | None = StorageCache() if cache else None
        self._local_metadata: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    # -- local metadata ----------------------------------------------------

    def local_metadata(self, path: str) -> dict[str, str]:
        """The (live, shared) local metadata dict of file ``path``."""
        with self._lock:
            return self._local_metadata.setdefault(path, {})

    def replace_local_metadata(self, path: str, metadata: dict[str, str]) -> None:
        """Replace the local metadata of ``path`` in place (others see it)."""
        live = self.local_metadata(path)
        live.clear()
        live.update(metadata)

    # -- cached primitives -------------------------------------------------

    def stat(self, path: str) -> Entry | None:
        """``backend.stat`` through the cache."""
        if self.cache is None:
            return self.backend.stat(path)
        if path not in self.cache.stats:
            self.cache.stats[path] = self.backend.stat(path)
        return self.cache.stats[path]

    def real_metadata(self, path: str) -> dict[str, str]:
        """``backend.get_metadata`` through the cache."""
        if self.cache is None:
            return self.backend.get_metadata(path)
        if path not in self.cache.metadata:
            self.cache.metadata[path] = self.backend.get_metadata(path)
        return dict(self.cache.metadata[path])

    def purge(self) -> None:
        """Drop the cache (if any)."""
        if self.cache is not None:
            self.cache.clear()
