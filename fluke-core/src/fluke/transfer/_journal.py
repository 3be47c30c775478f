"""The durable journal of a transfer (record room): one SQLite file that resumes.

``transfer_to(..., journal=PATH)`` records, in one SQLite file:

* ``meta``: the source and destination URIs and the options that change
  what lands where; a journal made for another job is refused
  (:class:`JournalMismatchError`). Also when the last run started and
  whether it completed.
* ``shards``: every listing shard found (a directory on object stores, the
  whole tree on filesystems) and whether it was listed to the end, so a crash
  *during listing* resumes with the shards not finished.
* ``files``: one row per file, keyed by its path relative to the source
  root: ``planned``, ``committed`` (with the size, mtime, version and
  checksum the source had) or ``failed`` (with the error's text).

Writes are buffered and committed in batches (every :data:`BATCH` records or
:data:`BATCH_SECONDS`), in WAL mode without an fsync per file. A record lost
with the last batch in a crash costs nothing but a check: a resumed run
compares what it finds at the destination of every file not recorded as
committed, and skips those proven identical (the rules of ``skip_identical``).

A run that follows a completed run lists everything again (a new pass): files
recorded as committed whose source still has the recorded size, mtime,
version and checksum are skipped without a request to the destination;
changed ones are copied again. A run that follows an interrupted one lists
only the shards not finished and retries the files not committed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from fluke.backend import Checksum
from fluke.exceptions import FlukeError

__all__ = ["BATCH", "BATCH_SECONDS", "Journal", "JournalMismatchError", "JournalRow"]

BATCH = 2000
BATCH_SECONDS = 0.5
SCHEMA_VERSION = "1"
PLANNED, COMMITTED, FAILED = 0, 1, 2

_SCHEMA = """
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shards(key TEXT PRIMARY KEY, done INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files(
    rel TEXT PRIMARY KEY, state INTEGER NOT NULL, size INTEGER, mtime REAL,
    version TEXT, checksum TEXT, error TEXT
) WITHOUT ROWID;
"""


class JournalMismatchError(FlukeError, ValueError):
    """A journal was made for another transfer (other source, destination or options)."""

    def __init__(self, path: str, what: str, recorded: str, given: str) -> None:
        super().__init__(
            f"Journal {path!r} records a transfer with {what} {recorded!r}, not {given!r}; "
            "use another journal file for this transfer."
        )
        self.path = path


class JournalRow(NamedTuple):
    """One file as the journal knows it."""

    rel: str
    state: int
    size: int | None
    mtime: float | None
    version: str | None
    checksum: str | None
    error: str | None


def _checksum_text(checksum: Checksum | None) -> str | None:
    return None if checksum is None else f"{checksum.algorithm}:{checksum.value}"


def checksum_of(text: str | None) -> Checksum | None:
    """The :class:`Checksum` a journal row's ``checksum`` text stands for."""
    if not text:
        return None
    algorithm, _, value = text.partition(":")
    return Checksum(algorithm, value)


class Journal:
    """One transfer's journal (thread-safe; writes batched).

    :param path: the SQLite file (created when missing).
    :param identity: what makes two transfers the same job: source and
        destination URIs and the options that change what lands where.
    :raises JournalMismatchError: ``path`` records another job.
    """

    def __init__(self, path: str | os.PathLike[str], identity: Mapping[str, str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            self._conn.executescript(_SCHEMA)
            meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
            self._check(meta, identity)
        except BaseException:
            self._conn.close()
            raise
        self.fresh = not meta
        #: the previous run was interrupted: this one resumes it
        self.resuming = bool(meta) and meta.get("complete") != "1"
        #: when the interrupted run started (its leftovers are newer than this)
        self.previous_start = float(meta["started"]) if self.resuming else None
        self._files: list[tuple[object, ...]] = []
        self._shards: list[tuple[str, int]] = []
        self._seq = 0  # records pushed
        self._durable = 0  # records written
        self._last_flush = time.monotonic()
        rows = {**identity, "schema": SCHEMA_VERSION, "started": repr(time.time())}
        rows["complete"] = "0"
        with self._lock:
            self._conn.execute("BEGIN")
            if meta and not self.resuming:
                self._conn.execute("DELETE FROM shards")  # a new pass lists everything again
            self._conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", rows.items())
            self._conn.execute("COMMIT")

    def _check(self, meta: Mapping[str, str], identity: Mapping[str, str]) -> None:
        if not meta:
            return
        if meta.get("schema") != SCHEMA_VERSION:
            raise JournalMismatchError(self.path, "schema", meta.get("schema", "?"), "1")
        for key, given in identity.items():
            recorded = meta.get(key)
            if recorded != given:
                raise JournalMismatchError(self.path, key, str(recorded), given)

    # -- reading ------------------------------------------------------------

    def shards(self) -> tuple[list[str], set[str]]:
        """The shards recorded: those not listed to the end, and those done."""
        with self._lock:
            rows = self._conn.execute("SELECT key, done FROM shards").fetchall()
        return [key for key, done in rows if not done], {key for key, done in rows if done}

    def rows(self) -> Iterator[JournalRow]:
        """Every file recorded, in path order (read in pages)."""
        query = "SELECT * FROM files WHERE rel > ? ORDER BY rel LIMIT 1000"
        after = ""
        while True:
            with self._lock:
                rows = self._conn.execute(query, (after,)).fetchall()
            if not rows:
                return
            for row in rows:
                yield JournalRow(*row)
            after = rows[-1][0]

    def owns(self, rel: str) -> bool:
        """Whether the file at ``rel`` was planned and not committed (a leftover is ours)."""
        row = self.lookup(rel)
        return row is not None and row.state != COMMITTED

    def lookup(self, rel: str) -> JournalRow | None:
        """What the journal knows of the file at ``rel``."""
        with self._lock:
            row = self._conn.execute("SELECT * FROM files WHERE rel = ?", (rel,)).fetchone()
        return None if row is None else JournalRow(*row)

    # -- writing (buffered) ---------------------------------------------------

    def shard_found(self, key: str) -> None:
        """Record a shard to list."""
        self._push_shard(key, 0)

    def shard_done(self, key: str) -> None:
        """Record that shard ``key`` was listed to the end (its files were recorded)."""
        self._push_shard(key, 1)

    def _push_shard(self, key: str, done: int) -> None:
        with self._lock:
            self._shards.append((key, done))
            self._seq += 1
            self._maybe_flush()

    def planned(
        self,
        rel: str,
        size: int | None,
        mtime: float | None,
        version: str | None,
        checksum: Checksum | None,
    ) -> int:
        """Record a file to copy, with what its listing said; return its sequence number.

        Before the file's copy starts, :meth:`ensure_written` makes sure the
        record is in the file: a leftover of a killed copy is then always
        one the journal knows it owns.
        """
        return self._push(rel, PLANNED, size, mtime, version, checksum, None)

    def ensure_written(self, seq: int) -> None:
        """Write the buffer now if record ``seq`` is still in it."""
        if seq > self._durable:
            with self._lock:
                if seq > self._durable:
                    self._flush()

    def committed(
        self,
        rel: str,
        size: int | None,
        mtime: float | None,
        version: str | None,
        checksum: Checksum | None,
    ) -> None:
        """Record a file copied (or proven identical), with what its source had."""
        self._push(rel, COMMITTED, size, mtime, version, checksum, None)

    def failed(self, rel: str, row: JournalRow | None, error: str) -> None:
        """Record a file that failed (its listing fields kept from ``row``)."""
        if row is None:
            self._push(rel, FAILED, None, None, None, None, error)
        else:
            self._files_append((rel, FAILED, row.size, row.mtime, row.version, row.checksum, error))

    def _push(
        self,
        rel: str,
        state: int,
        size: int | None,
        mtime: float | None,
        version: str | None,
        checksum: Checksum | None,
        error: str | None,
    ) -> int:
        return self._files_append(
            (rel, state, size, mtime, version, _checksum_text(checksum), error)
        )

    def _files_append(self, row: tuple[object, ...]) -> int:
        with self._lock:
            self._files.append(row)
            self._seq += 1
            seq = self._seq
            self._maybe_flush()
        return seq

    def _maybe_flush(self) -> None:
        pending = len(self._files) + len(self._shards)
        if pending >= BATCH or time.monotonic() - self._last_flush >= BATCH_SECONDS:
            self._flush()

    def _flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._files and not self._shards:
            return
        self._conn.execute("BEGIN")
        self._conn.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?)", self._files)
        self._conn.executemany("INSERT OR REPLACE INTO shards VALUES (?, ?)", self._shards)
        self._conn.execute("COMMIT")
        self._files.clear()
        self._shards.clear()
        self._durable = self._seq

    def flush(self) -> None:
        """Write what is buffered now."""
        with self._lock:
            self._flush()

    def close(self, *, complete: bool) -> None:
        """Flush, record whether the job completed, and close the file."""
        with self._lock:
            self._flush()
            self._conn.execute(
                "INSERT OR REPLACE INTO meta VALUES ('complete', ?)", ("1" if complete else "0",)
            )
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()


def identity_of(**fields: object) -> dict[str, str]:
    """The ``identity`` mapping of :class:`Journal` from plain values."""
    return {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in fields.items()
    }
