"""What already exists at the destination, found without holding its whole listing.

Two ways, both bounded in memory:

* :func:`merge_sorted`: when both backends list sorted, a shard's source
  listing (one directory) and the destination directory's listing are read
  side by side, like a merge join: one pass, O(1) memory.
* :class:`DirectoryLookup`: otherwise, the destination is looked up one
  directory at a time: a directory asked about often enough is listed once
  (non-recursively) and kept in a small LRU bounded by entries; a directory
  larger than the bound, or one asked about only a few times, is answered by
  one ``stat`` per file.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator

from fluke import _paths
from fluke.backend import Entry, StorageBackend

logger = logging.getLogger("fluke.transfer")

#: Entries of destination directories kept at once by :class:`DirectoryLookup`.
MAX_ENTRIES = 100_000
#: Lookups in one directory answered by ``stat`` before it is listed instead.
LIST_FROM = 8


class SortedDestination:
    """The files of one destination directory, read in sorted order alongside a shard."""

    def __init__(self, backend: StorageBackend, directory: str) -> None:
        self._entries = self._files(backend, directory)
        self._current: Entry | None = next(self._entries, None)

    @staticmethod
    def _files(backend: StorageBackend, directory: str) -> Iterator[Entry]:
        try:
            for entry in backend.list(directory, False):
                if not entry.is_dir:
                    yield entry
        except FileNotFoundError:
            return

    def find(self, path: str) -> Entry | None:
        """The entry at ``path`` (asked in ascending order), or ``None``."""
        while self._current is not None and self._current.path < path:
            self._current = next(self._entries, None)
        if self._current is not None and self._current.path == path:
            return self._current
        return None


class DirectoryLookup:
    """``stat``-compatible lookups served from bounded per-directory listings."""

    def __init__(self, backend: StorageBackend, max_entries: int = MAX_ENTRIES) -> None:
        self._backend = backend
        self._max = max_entries
        self._lock = threading.Lock()
        self._listed: OrderedDict[str, dict[str, Entry] | None] = OrderedDict()
        self._held = 0
        self._asked: dict[str, int] = {}

    def __call__(self, path: str) -> Entry | None:
        directory = _paths.parent_of(path)
        with self._lock:
            listed = directory in self._listed
            if listed:
                self._listed.move_to_end(directory)
                listing = self._listed[directory]
            else:
                asked = self._asked.get(directory, 0) + 1
                if len(self._asked) > 10_000:
                    self._asked.clear()
                self._asked[directory] = asked
        if not listed:
            if asked < LIST_FROM:
                return self._backend.stat(path)
            listing = self._list(directory)
            with self._lock:
                if directory not in self._listed:
                    self._remember(directory, listing)
        return self._backend.stat(path) if listing is None else listing.get(path)

    def _list(self, directory: str) -> dict[str, Entry] | None:
        listing: dict[str, Entry] = {}
        try:
            for entry in self._backend.list(directory, False):
                if not entry.is_dir:
                    listing[entry.path] = entry
                    if len(listing) > self._max:
                        return None
        except FileNotFoundError:
            return {}
        except Exception as error:  # noqa: BLE001 - fall back to stat, which reports
            logger.debug("listing %s for lookups failed (%s): stat instead", directory, error)
            return None
        return listing

    def _remember(self, directory: str, listing: dict[str, Entry] | None) -> None:
        self._listed[directory] = listing
        self._held += len(listing or ())
        while self._held > self._max and len(self._listed) > 1:
            _, dropped = self._listed.popitem(last=False)
            self._held -= len(dropped or ())
