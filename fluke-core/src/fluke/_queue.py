"""The Queue API of API.md, written once on top of a queue backend."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from types import TracebackType
from typing import TypeVar

from fluke.backend import QueueBackend, ReceivedMessage
from fluke.exceptions import InvalidMessageError, MessageTooLargeError

logger = logging.getLogger("fluke.queues")

_Q = TypeVar("_Q", bound="Queue")

#: How long a long-polling service may wait before an empty answer means "empty".
EMPTY_WAIT_SECONDS = 1.0


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, not {value!r}")
    return value


def check_text(message: str) -> None:
    """Refuse a message that has no UTF-8 form (an unpaired surrogate).

    On POSIX, command-line arguments and file names that are not UTF-8 reach
    Python as such surrogates (``b"\\xff"`` becomes ``"\\udcff"``).
    """
    try:
        message.encode("utf-8")
    except UnicodeEncodeError as error:
        bad = message[error.start]
        if 0xDC80 <= ord(bad) <= 0xDCFF:
            what = f"byte 0x{ord(bad) - 0xDC00:02x}, which is not UTF-8,"
        else:
            what = f"the unpaired surrogate {bad!r}"
        raise InvalidMessageError(
            message, f"contains {what} at index {error.start}; queue messages are UTF-8 text"
        ) from None


class Queue:
    """A message queue on any backend (push / peek / poll).

    Backend packages subclass it with a constructor that builds their backend
    and calls :meth:`_attach`.
    """

    _backend: QueueBackend
    _open: bool = False

    def _attach(self, backend: QueueBackend) -> None:
        self._backend = backend

    # -- lifecycle ---------------------------------------------------------

    def get_name(self) -> str:
        """The queue's name."""
        return self._backend.name()

    def open(self) -> None:
        """Open the connection now (it also opens on first use)."""
        self._backend.connect()
        self._open = True

    def close(self) -> None:
        """Release the connection."""
        if hasattr(self, "_backend"):
            self._backend.close()
        self._open = False

    def is_open(self) -> bool:
        """Whether :meth:`open` was called and :meth:`close` was not since."""
        return self._open

    def __enter__(self: _Q) -> _Q:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        name = self._backend.name() if hasattr(self, "_backend") else "?"
        return f"{type(self).__name__}({name!r})"

    # -- operations --------------------------------------------------------

    def push(self, message: str, suppress_output: bool = False) -> bool:
        """Send one string message; ``True`` if it was delivered.

        :raises TypeError: ``message`` is not a ``str`` (nothing is sent).
        :raises InvalidMessageError: it is not valid Unicode text, e.g. a
            non-UTF-8 byte smuggled in as a surrogate (nothing is sent).
        :raises MessageTooLargeError: it exceeds the queue's limit (nothing is sent).
        """
        if not isinstance(message, str):
            raise TypeError(f"message must be a str, not {type(message).__name__}")
        check_text(message)
        limit = self._backend.max_message_bytes()
        if limit is not None:
            size = self._backend.encoded_size(message)
            if size > limit:
                raise MessageTooLargeError(size, limit, self.get_name())
        try:
            self._backend.send(message)
        except Exception as error:
            logger.error(
                "pushing a message to queue %r failed: %s: %s",
                self.get_name(),
                type(error).__name__,
                error,
            )
            logger.debug("the failed push", exc_info=True)
            return False
        if not suppress_output:
            logger.info("message pushed to queue %r", self.get_name())
        return True

    def peek(self, suppress_output: bool = False) -> list[str]:
        """Up to 10 messages, without deleting them or hiding them."""
        return self._backend.peek(10)

    def count(self) -> int:
        """Approximate number of messages in the queue (visible and in flight)."""
        return self._backend.count()

    def clear(self, suppress_output: bool = False) -> None:
        """Delete every message."""
        self._backend.purge()

    def _receive(self, wanted: int) -> list[ReceivedMessage]:
        """Receive up to ``wanted`` messages, looping until that many or empty."""
        caps = self._backend.capabilities
        received: list[ReceivedMessage] = []
        while len(received) < wanted:
            ask = min(caps.max_receive, wanted - len(received))
            wait = EMPTY_WAIT_SECONDS if caps.long_polling else 0.0
            got = self._backend.receive(ask, wait_seconds=wait, visibility_timeout=None)
            if not got:
                break
            received.extend(got)
        return received

    def _delete(self, batch: list[ReceivedMessage]) -> None:
        failed = self._backend.delete(batch)
        if failed:
            logger.warning(
                "%d of %d messages could not be deleted from queue %r; they will be redelivered",
                len(failed),
                len(batch),
                self.get_name(),
            )

    def poll(
        self,
        num_messages: int | None = None,
        batch_size: int = 10,
        polling_frequency: int | float | None = None,
        pre_delivery_delete: bool = False,
        suppress_output: bool = False,
    ) -> Iterator[list[str]]:
        """Iterate over batches of at most ``batch_size`` messages, deleting them.

        ``num_messages=None`` polls until the queue is empty, else stops after
        that many. With ``polling_frequency`` it then sleeps that many seconds
        and polls again, forever. With ``pre_delivery_delete=False`` a batch is
        deleted only when the next one is requested (or the iteration ends
        normally), so a batch whose processing raised is not lost; ``True``
        deletes it before it is yielded.
        """
        if num_messages is not None:
            _positive_int("num_messages", num_messages)
        _positive_int("batch_size", batch_size)
        if polling_frequency is not None and (
            isinstance(polling_frequency, bool)
            or not isinstance(polling_frequency, (int, float))
            or not math.isfinite(polling_frequency)
            or polling_frequency < 0
        ):
            raise ValueError(
                f"polling_frequency must be a finite number >= 0, not {polling_frequency!r}"
            )
        return self._poll(num_messages, batch_size, polling_frequency, pre_delivery_delete)

    def _poll(
        self,
        num_messages: int | None,
        batch_size: int,
        polling_frequency: float | None,
        pre_delivery_delete: bool,
    ) -> Iterator[list[str]]:
        delivered = 0
        while True:
            while num_messages is None or delivered < num_messages:
                wanted = (
                    batch_size
                    if num_messages is None
                    else min(batch_size, num_messages - delivered)
                )
                batch = self._receive(wanted)
                if not batch:
                    break
                delivered += len(batch)
                if pre_delivery_delete:
                    self._delete(batch)
                    yield [message.body for message in batch]
                else:
                    yield [message.body for message in batch]
                    self._delete(batch)  # reached only when the next batch is asked for
            if polling_frequency is None:
                return
            if num_messages is not None and delivered >= num_messages:
                return
            time.sleep(polling_frequency)
