"""An embedded message queue in a SQLite file: no cloud needed.

Several processes may push to and poll the same file at once: every
operation runs in an ``IMMEDIATE`` transaction, and a received message is
hidden (its ``visible_at`` moved forward) until it is deleted or its
visibility timeout expires, exactly like SQS and Azure Storage Queues.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from fluke._queue import Queue
from fluke.backend import QueueBackend, QueueCapabilities, ReceivedMessage
from fluke.exceptions import InvalidPathError, LeaseLostError

if TYPE_CHECKING:
    from fluke._dir import Dir

__all__ = ["LocalQueue", "LocalQueueBackend"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    visible_at REAL NOT NULL,
    receipt TEXT,
    dequeue_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_by_queue ON messages (queue, visible_at, id);
"""
_COLUMNS = frozenset({"id", "queue", "body", "visible_at", "receipt", "dequeue_count"})

#: Above this many UTF-8 bytes, a message goes through the claim-check when the
#: queue has ``large_payloads`` (the AWS extended clients' threshold). Without
#: ``large_payloads`` a local queue takes messages of any size, as before.
OFFLOAD_THRESHOLD_BYTES = 256 * 1024


def _check_visibility_timeout(value: object) -> None:
    """Refuse anything but a whole number of seconds >= 0 (``True`` is not one)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"visibility_timeout must be an int (seconds), not {value!r}")
    if value < 0:
        raise ValueError(f"visibility_timeout must be >= 0 seconds, not {value!r}")


class LocalQueueBackend(QueueBackend):
    """One named queue inside a SQLite database file."""

    capabilities = QueueCapabilities(max_receive=32, long_polling=False, max_message_bytes=None)

    def __init__(self, path: str, queue: str, visibility_timeout: int = 30) -> None:
        if not isinstance(queue, str) or not queue:
            raise ValueError(f"queue name must be a non-empty str, not {queue!r}")
        _check_visibility_timeout(visibility_timeout)
        parent = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(parent):
            raise InvalidPathError(path, "is not inside an existing directory")
        self._path = os.path.abspath(path)
        self._queue = queue
        self._visibility_timeout = visibility_timeout
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._open_schema()

    def _open_schema(self) -> None:
        """Create (or check) the queue table; errors name the file.

        :raises InvalidPathError: the file is not a SQLite database, cannot be
            opened, or holds a ``messages`` table that is not a queue's.
        """
        try:
            db = self._connection()
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(messages)")}
        except sqlite3.Error as error:
            self.close()
            raise InvalidPathError(self._path, f"is not a queue database ({error})") from None
        if not _COLUMNS <= columns:
            self.close()
            raise InvalidPathError(
                self._path, "is not a queue database (its messages table is another one)"
            )

    def name(self) -> str:
        return self._queue

    def default_visibility_timeout(self) -> int:
        return self._visibility_timeout

    def offload_threshold(self) -> int | None:
        return OFFLOAD_THRESHOLD_BYTES

    def sibling(self, name: str) -> LocalQueueBackend:
        """Queue ``name`` in the same database file."""
        return LocalQueueBackend(self._path, name, self._visibility_timeout)

    def _connection(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            # each connection is used by its own thread only; close() may run
            # in another one (after a lease's heartbeat thread has ended)
            db = sqlite3.connect(
                self._path, timeout=30, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def connect(self) -> None:
        self._connection()

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    def send(self, body: str) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO messages (queue, body, visible_at) VALUES (?, ?, ?)",
                (self._queue, body, time.time()),
            )

    def receive(
        self, max_messages: int, *, wait_seconds: float, visibility_timeout: int | None
    ) -> list[ReceivedMessage]:
        now = time.time()
        hide_until = now + (
            self._visibility_timeout if visibility_timeout is None else visibility_timeout
        )
        with self._transaction() as db:
            rows = db.execute(
                "SELECT id, body, dequeue_count FROM messages WHERE queue = ? AND visible_at <= ? "
                "ORDER BY id LIMIT ?",
                (self._queue, now, max_messages),
            ).fetchall()
            messages = []
            for message_id, body, count in rows:
                receipt = uuid.uuid4().hex
                db.execute(
                    "UPDATE messages SET visible_at = ?, receipt = ?, "
                    "dequeue_count = dequeue_count + 1 WHERE id = ?",
                    (hide_until, receipt, message_id),
                )
                messages.append(
                    ReceivedMessage(body, receipt, str(message_id), delivery_count=count + 1)
                )
        return messages

    def delete(self, messages: Sequence[ReceivedMessage]) -> list[ReceivedMessage]:
        failed = []
        with self._transaction() as db:
            for message in messages:
                cursor = db.execute(
                    "DELETE FROM messages WHERE id = ? AND receipt = ?",
                    (int(message.message_id), message.receipt),
                )
                if cursor.rowcount != 1:
                    failed.append(message)
        return failed

    def change_visibility(self, message: ReceivedMessage, timeout: int) -> None:
        """Hide ``message`` for ``timeout`` more seconds (``0``: release it now).

        :raises LeaseLostError: it was deleted, or received again since (its
            receipt is stale).
        """
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE messages SET visible_at = ? WHERE id = ? AND receipt = ?",
                (time.time() + timeout, int(message.message_id), message.receipt),
            )
            if cursor.rowcount != 1:
                raise LeaseLostError(message.message_id, self._queue, "change the visibility of")

    def peek(self, max_messages: int) -> list[str]:
        rows = self._connection().execute(
            "SELECT body FROM messages WHERE queue = ? AND visible_at <= ? ORDER BY id LIMIT ?",
            (self._queue, time.time(), max_messages),
        )
        return [body for (body,) in rows]

    def count(self) -> int:
        (total,) = (
            self._connection()
            .execute("SELECT COUNT(*) FROM messages WHERE queue = ?", (self._queue,))
            .fetchone()
        )
        return int(total)

    def purge(self) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM messages WHERE queue = ?", (self._queue,))


class LocalQueue(Queue):
    """A queue stored in a local SQLite file, shared safely between processes.

    :param path: the database file (created when missing).
    :param queue: the queue's name; one file holds any number of queues.
    :param visibility_timeout: seconds a received message stays hidden
        before it is delivered again, unless deleted.
    :param max_deliveries: move a message received more than this many times
        to ``dead_letter`` (keyword-only; ``None``: never).
    :param dead_letter: the dead-letter queue (default: queue
        ``<queue>-poison`` in the same file).
    :param large_payloads: a Dir for claim-check payloads: messages over
        256 KiB of UTF-8 (the AWS extended clients' threshold) are stored there
        and a pointer is queued instead. Without it there is no size limit.
    :raises TypeError: ``visibility_timeout`` is not an ``int`` (``bool`` is not one).
    :raises ValueError: ``visibility_timeout`` is negative.
    """

    def __init__(
        self,
        path: str,
        queue: str,
        visibility_timeout: int = 30,
        *,
        max_deliveries: int | None = None,
        dead_letter: Queue | None = None,
        large_payloads: Dir | None = None,
    ) -> None:
        self._attach(
            LocalQueueBackend(path, queue, visibility_timeout),
            max_deliveries=max_deliveries,
            dead_letter=dead_letter,
            large_payloads=large_payloads,
        )
