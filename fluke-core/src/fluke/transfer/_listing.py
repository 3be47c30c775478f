"""Planning (plan room): listing shards concurrently and turning files into planned copies.

Shards. On object stores (``directory_markers``) a recursive listing is cut
by prefix: each directory is one shard, listed non-recursively (one
delimiter listing), its subdirectories become new shards, and several shards
are listed at once. Filesystems (local disk, SFTP) are listed as one
streamed shard: whether a symbolic link may be followed is decided against
the listed root, which a per-directory listing would change. Files flow to
the copy as each shard yields them.

Collisions. Only a relative path that is not in normal form (``a/../x``,
``a//x``, ``./x``) can land on the same destination as another source. Such
paths are held back until the listing ends (they are rare), then each one is
refused when another source claimed its destination, naming both. The
source in normal form was copied by then: it is not at fault, and the odd
one is never written over it. This keeps the check bounded: no set of every
destination path is kept.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from fluke import _paths
from fluke.backend import Entry, StorageBackend
from fluke.transfer._copy import CopyOptions
from fluke.transfer._destcheck import SortedDestination
from fluke.transfer._journal import COMMITTED, Journal, JournalRow, checksum_of
from fluke.transfer._report import FileOutcome
from fluke.transfer._sources import UNKNOWN, DirSource, PlannedFile, TransferSource

logger = logging.getLogger("fluke.transfer")

#: Most shards listed at once.
MAX_LISTERS = 8
TREE, DIR = "t:", "d:"


def is_normal(relative: str) -> bool:
    """Whether ``relative`` has no empty, ``.`` or ``..`` segment."""
    return all(
        part not in ("", ".", "..") for part in relative.rstrip(_paths.SEP).split(_paths.SEP)
    )


def unchanged(row: JournalRow, source: TransferSource) -> bool:
    """Whether ``source`` still is what the journal recorded when it was committed."""
    return (
        source.size is not None
        and row.size == source.size
        and row.mtime == source.mtime
        and row.version == source.version
        and checksum_of(row.checksum) == source.checksum
    )


class Planner:
    """Gives each source its destination and hands it on (thread-safe).

    :param put: receives each :class:`PlannedFile` to copy (may block: the
        bounded window of files in flight).
    :param finish: receives outcomes decided here (refused paths, files the
        journal already holds).
    """

    def __init__(
        self,
        dst: StorageBackend,
        dst_root: str,
        opts: CopyOptions,
        journal: Journal | None,
        put: Callable[[PlannedFile], None],
        finish: Callable[[PlannedFile | None, FileOutcome], None],
    ) -> None:
        self.dst, self.dst_root, self.opts, self.journal = dst, dst_root, opts, journal
        self._put, self._finish = put, finish
        self._lock = threading.Lock()
        self.deferred: list[PlannedFile] = []

    def plan(self, source: TransferSource, finder: SortedDestination | None = None) -> None:
        """Plan ``source`` (``finder``: the sorted destination listing of its shard)."""
        relative = source.relative
        try:
            destination = _paths.join_relative(self.dst_root, relative)
        except Exception as unsafe:
            uri = source.session.backend.uri(source.path)
            self._finish(None, FileOutcome(uri, relative, "failed", error=unsafe))
            return
        planned = PlannedFile(source, destination)
        journal = self.journal
        if journal is not None:
            row = None if journal.fresh else journal.lookup(relative)
            if row is not None and row.state == COMMITTED and unchanged(row, source):
                self.already_done(source.session.backend.uri(source.path), relative)
                return
            planned.verify_existing = journal.resuming
            planned.journal_seq = journal.planned(
                relative, source.size, source.mtime, source.version, source.checksum
            )
        if destination != self.dst_root + relative:
            with self._lock:
                self.deferred.append(planned)
            return
        if finder is not None:
            planned.existing = finder.find(destination)
        elif not self.opts.looks_at_destination:
            planned.existing = None
        self._put(planned)

    def already_done(self, source_uri: str, relative: str) -> None:
        """Report a file the journal records as committed (and unchanged) as skipped."""
        destination = _paths.join_relative(self.dst_root, relative)
        self._finish(None, FileOutcome(source_uri, self.dst.uri(destination), "skipped"))


class ShardLister:
    """Lists a :class:`DirSource` in shards, concurrently, into a :class:`Planner`."""

    def __init__(
        self, source: DirSource, planner: Planner, stop: threading.Event, journal: Journal | None
    ) -> None:
        self.source, self.planner, self.stop, self.journal = source, planner, stop, journal
        backend = source.session.backend
        self.by_directory = source.recursive and backend.capabilities.directory_markers
        self.merge = (
            planner.opts.looks_at_destination
            and backend.capabilities.sorted_listing
            and planner.dst.capabilities.sorted_listing
        )
        self._lock = threading.Lock()
        self._pending = 0
        self._idle = threading.Event()
        self.error: BaseException | None = None
        self.complete = False

    # -- the run ---------------------------------------------------------------

    def run(self) -> None:
        """List every unfinished shard; return when done (``error`` holds a failure)."""
        root_key = DIR if self.by_directory else TREE
        todo, done = [root_key], set[str]()
        if self.journal is not None and not self.journal.fresh:
            pending, done = self.journal.shards()
            if pending or done:
                todo = pending
            self._replay(done)
        if self.journal is not None and todo == [root_key]:
            self.journal.shard_found(root_key)
        workers = min(MAX_LISTERS, self.source.session.backend.capabilities.max_concurrency)
        with ThreadPoolExecutor(max(1, workers), thread_name_prefix="fluke-list") as pool:
            self._pool = pool
            for key in todo:
                self._submit(key)
            if todo:
                while not self._idle.wait(0.2):
                    if self.stop.is_set():
                        break
        self.complete = self.error is None and not self.stop.is_set()

    def _replay(self, done: set[str]) -> None:
        """The files of finished shards: committed ones reported, the others planned again."""
        session, root = self.source.session, self.source.root
        for row in self.journal.rows() if self.journal is not None else ():
            if self.stop.is_set():
                return
            if self._shard_of(row.rel) in done:
                if row.state == COMMITTED:
                    self.planner.already_done(session.backend.uri(root + row.rel), row.rel)
                    continue
                source = TransferSource(
                    session,
                    root + row.rel,
                    row.rel,
                    row.size,
                    checksum_of(row.checksum),
                    row.version,
                    row.mtime,
                )
                self.planner.plan(source)

    def _shard_of(self, relative: str) -> str:
        if not self.by_directory:
            return TREE
        return DIR + _paths.parent_of(relative)

    def _submit(self, key: str) -> None:
        with self._lock:
            self._pending += 1
            self._idle.clear()
        self._pool.submit(self._run_shard, key)

    def _run_shard(self, key: str) -> None:
        try:
            if self.error is None and not self.stop.is_set():
                self._list_shard(key)
        except BaseException as error:  # noqa: BLE001 - reported by the engine
            logger.warning("listing %s failed: %s", self._uri(key), error)
            with self._lock:
                self.error = self.error or error
        finally:
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._idle.set()

    def _uri(self, key: str) -> str:
        return self.source.session.backend.uri(self.source.root + key[2:])

    # -- one shard ---------------------------------------------------------------

    def _entries(self, key: str) -> Iterable[Entry]:
        source = self.source
        session = source.session
        cache = session.cache
        if key == TREE and cache is not None and (source.root, source.recursive) in cache.listings:
            return cache.listings[(source.root, source.recursive)]
        directory = source.root + key[2:]
        return session.backend.list(directory, source.recursive and not self.by_directory)

    def _list_shard(self, key: str) -> None:
        source, planner = self.source, self.planner
        relative_dir = key[2:]
        finder = None
        if self.merge and key.startswith(DIR) and (not relative_dir or is_normal(relative_dir)):
            finder = SortedDestination(planner.dst, planner.dst_root + relative_dir)
        offset = len(source.root)
        for entry in self._entries(key):
            if self.stop.is_set() or self.error is not None:
                return
            if entry.is_dir:
                if self.by_directory:
                    child = DIR + entry.path[offset:]
                    if self.journal is not None:
                        self.journal.shard_found(child)
                    self._submit(child)
                continue
            if source.keep is not None and not source.keep(entry.path):
                continue
            planner.plan(
                TransferSource.from_entry(source.session, entry, entry.path[offset:]), finder
            )
        if self.journal is not None:
            self.journal.shard_done(key)


def plan_iterable(
    sources: Iterable[TransferSource], planner: Planner, stop: threading.Event
) -> bool:
    """Plan explicit sources in order (one shard, not journalled as one); True when all were."""
    for source in sources:
        if stop.is_set():
            return False
        planner.plan(source)
    return True


def bounded_put(
    window: queue.Queue[PlannedFile | None], stop: threading.Event
) -> Callable[[PlannedFile], None]:
    """A ``put`` into ``window`` that gives up when ``stop`` is set."""

    def put(item: PlannedFile) -> None:
        while not stop.is_set():
            try:
                window.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    return put


__all__ = ["UNKNOWN", "Planner", "ShardLister", "bounded_put", "is_normal", "plan_iterable"]
