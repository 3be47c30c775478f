"""The result of a transfer (record room): counts in memory, every outcome spilled.

A transfer of millions of files cannot keep one object per file in memory.
:class:`TransferReport` keeps the counts, the bytes and the failures (with
their exceptions) in memory, and writes every other per-file outcome to an
:class:`OutcomeStore`: a temporary SQLite file, deleted with the report.
Iterating the report (or asking for ``.transferred``) reads them back,
ordered by source.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Status = Literal["transferred", "skipped", "failed", "planned"]
STATUSES: tuple[Status, ...] = ("transferred", "skipped", "failed", "planned")
_CODE = {status: code for code, status in enumerate(STATUSES)}
#: Outcomes buffered before one ``executemany`` into the store.
FLUSH_EVERY = 4096


@dataclass
class FileOutcome:
    """What happened to one file.

    :param source: the source URI.
    :param destination: the destination URI (or the refused relative path).
    :param status: ``transferred``, ``skipped`` (already identical, or
        committed by an earlier run of the same journal), ``failed``, or
        ``planned`` (dry run).
    :param bytes: bytes moved (or that would be moved, for a plan).
    :param seconds: wall time spent on this file.
    :param error: the exception, for a failure.
    """

    source: str
    destination: str
    status: Status
    bytes: int = 0
    seconds: float = 0.0
    error: BaseException | None = None


def _remove(path: str) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


class OutcomeStore:
    """Per-file outcomes in a temporary SQLite file (thread-safe, batched writes).

    Failures are not stored here: the report keeps them, with their
    exceptions, and the store keeps their place (``failure`` index).
    """

    def __init__(self) -> None:
        handle, self._path = tempfile.mkstemp(prefix="fluke-report-", suffix=".sqlite")
        os.close(handle)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        self._conn.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE o(source TEXT, destination TEXT, status INTEGER, bytes INTEGER,"
            " seconds REAL, failure INTEGER)"
        )
        self._buffer: list[tuple[str, str, int, int, float, int | None]] = []
        self._finalizer = weakref.finalize(self, OutcomeStore._close, self._conn, self._path)

    @staticmethod
    def _close(conn: sqlite3.Connection, path: str) -> None:
        conn.close()
        _remove(path)

    def add(self, outcome: FileOutcome, failure: int | None) -> None:
        """Keep ``outcome`` (``failure``: its index among the report's failures)."""
        row = (
            outcome.source,
            outcome.destination,
            _CODE[outcome.status],
            outcome.bytes,
            outcome.seconds,
            failure,
        )
        with self._lock:
            self._buffer.append(row)
            if len(self._buffer) >= FLUSH_EVERY:
                self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._conn.execute("BEGIN")
            self._conn.executemany("INSERT INTO o VALUES (?,?,?,?,?,?)", self._buffer)
            self._conn.execute("COMMIT")
            self._buffer.clear()

    def rows(self, status: Status | None) -> Iterator[tuple[str, str, int, int, float, int | None]]:
        """Stored rows ordered by source (then by arrival), of one status or all."""
        with self._lock:
            self._flush()
        where = "" if status is None else f" WHERE status = {_CODE[status]}"
        query = f"SELECT * FROM o{where} ORDER BY source, rowid"  # noqa: S608 - no user input
        yield from self._conn.execute(query)

    def destinations_among(
        self, destinations: list[str], failed_too: bool = False
    ) -> dict[str, str]:
        """Which of ``destinations`` a stored outcome has: destination -> source.

        Failed outcomes count only with ``failed_too``.
        """
        with self._lock:
            self._flush()
        found: dict[str, str] = {}
        for start in range(0, len(destinations), 500):
            chunk = destinations[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = (
                "SELECT destination, source FROM o WHERE "  # noqa: S608
                f"{'1' if failed_too else 'failure IS NULL'} AND destination IN ({marks})"
            )
            found.update(self._conn.execute(query, chunk).fetchall())
        return found

    def close(self) -> None:
        """Delete the file now (the report becomes empty)."""
        self._finalizer()


class TransferReport:
    """Every file's outcome; truthy iff no file failed.

    Counts, bytes and failures live in memory; other outcomes are read back
    from a temporary store when iterated (ordered by source URI).
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.counts: dict[Status, int] = dict.fromkeys(STATUSES, 0)
        self._bytes = 0
        self._failures: list[FileOutcome] = []
        self._store: OutcomeStore | None = None
        self._lock = threading.Lock()

    def add(self, outcome: FileOutcome) -> None:
        """Record one file's outcome (thread-safe)."""
        with self._lock:
            self.counts[outcome.status] += 1
            if outcome.status == "transferred":
                self._bytes += outcome.bytes
            failure = None
            if outcome.status == "failed":
                failure = len(self._failures)
                self._failures.append(outcome)
            if self._store is None:
                self._store = OutcomeStore()
            store = self._store
        store.add(outcome, failure)

    def _iter(self, status: Status | None) -> Iterator[FileOutcome]:
        if self._store is None:
            return
        if status == "failed":
            yield from self._failures
            return
        for source, destination, code, nbytes, seconds, failure in self._store.rows(status):
            if failure is not None:
                yield self._failures[failure]
            else:
                yield FileOutcome(source, destination, STATUSES[code], nbytes, seconds)

    def destinations_among(
        self, destinations: list[str], failed_too: bool = False
    ) -> dict[str, str]:
        """Which of ``destinations`` a recorded outcome claims: destination -> source.

        Only successes and plans, unless ``failed_too``.
        """
        if self._store is None:
            return {}
        return self._store.destinations_among(destinations, failed_too)

    def __bool__(self) -> bool:
        return self.counts["failed"] == 0

    def __iter__(self) -> Iterator[FileOutcome]:
        return self._iter(None)

    def __len__(self) -> int:
        return sum(self.counts.values())

    @property
    def outcomes(self) -> list[FileOutcome]:
        """Every outcome, as a list (reads the whole store: prefer iterating)."""
        return list(self)

    @property
    def transferred(self) -> list[FileOutcome]:
        """Files that were copied."""
        return list(self._iter("transferred"))

    @property
    def skipped(self) -> list[FileOutcome]:
        """Files left alone: already identical, or committed by an earlier run of the journal."""
        return list(self._iter("skipped"))

    @property
    def failed(self) -> list[FileOutcome]:
        """Files that could not be copied, each with its error."""
        return list(self._failures)

    @property
    def planned(self) -> list[FileOutcome]:
        """Files a dry run would copy."""
        return list(self._iter("planned"))

    @property
    def total_bytes(self) -> int:
        """Bytes moved by transferred files."""
        return self._bytes

    def summary(self) -> str:
        """One line: counts, bytes and time."""
        counts = self.counts
        return (
            f"{counts['transferred']} transferred, {counts['skipped']} skipped, "
            f"{counts['failed']} failed, {counts['planned']} planned; "
            f"{self.total_bytes} bytes in {self.seconds:.2f}s"
        )

    def __repr__(self) -> str:
        return f"TransferReport({self.summary()})"
