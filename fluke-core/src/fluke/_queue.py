"""The Queue API of API.md, written once on top of a queue backend."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from fluke._claimcheck import SIZE_ATTRIBUTE, PayloadStore, parse_pointer
from fluke._message import Lease, Message
from fluke.backend import QueueBackend, ReceivedMessage
from fluke.exceptions import InvalidMessageError, MessageTooLargeError, PayloadNotFoundError

if TYPE_CHECKING:
    from fluke._dir import Dir

logger = logging.getLogger("fluke.queues")

_Q = TypeVar("_Q", bound="Queue")

#: How long a long-polling service may wait before an empty answer means "empty".
EMPTY_WAIT_SECONDS = 1.0
#: How often ``receive(wait=...)`` asks again a queue without long polling.
POLL_INTERVAL_SECONDS = 0.25
#: Visibility timeout of the messages :meth:`Queue.redrive` moves.
REDRIVE_VISIBILITY_SECONDS = 60


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


def _optional_seconds(name: str, value: object, *, whole: bool) -> None:
    """Refuse a timeout that is not ``None`` or a (whole, if asked) number >= 0."""
    if value is None:
        return
    kinds: tuple[type, ...] = (int,) if whole else (int, float)
    if (
        isinstance(value, bool)
        or not isinstance(value, kinds)
        or not math.isfinite(value)  # type: ignore[arg-type]
        or value < 0  # type: ignore[operator]
    ):
        what = "a whole number of seconds" if whole else "a finite number of seconds"
        raise ValueError(f"{name} must be None or {what} >= 0, not {value!r}")


class Queue:
    """A message queue on any backend.

    Two ways to consume: :meth:`poll` (batches of text, deleted as the next
    batch is asked for) and :meth:`receive` (one :class:`~fluke.queues.Message`
    at a time, each acked, nacked or leased on its own).

    Every backend's constructor also takes the keyword options of
    :meth:`_attach`: ``max_deliveries`` and ``dead_letter`` (poison messages)
    and ``large_payloads`` (claim-check).

    Backend packages subclass it with a constructor that builds their backend
    and calls :meth:`_attach`.
    """

    _backend: QueueBackend
    _open: bool = False
    _max_deliveries: int | None = None
    _dead_letter: Queue | None = None
    _payloads: PayloadStore | None = None
    _native_dead_letter: str | None = None
    _native_checked: bool = False

    def _attach(
        self,
        backend: QueueBackend,
        *,
        max_deliveries: int | None = None,
        dead_letter: Queue | None = None,
        large_payloads: Dir | None = None,
    ) -> None:
        """Bind a newly constructed Queue to ``backend`` with its options.

        :param max_deliveries: a message received more than this many times
            is moved to ``dead_letter`` and deleted here (``None``: never).
        :param dead_letter: where such messages go; default a queue named
            ``<queue>-poison`` on the same service (created when first needed).
        :param large_payloads: a Dir for claim-check payloads: a message over
            the queue's limit is stored there and a pointer is sent instead.
        :raises ValueError: ``max_deliveries`` is not a positive int, or
            ``dead_letter`` is given without it, or is this very queue.
        :raises TypeError: ``dead_letter`` is not a Queue or ``large_payloads``
            not a Dir.
        """
        if max_deliveries is not None:
            _positive_int("max_deliveries", max_deliveries)
        if dead_letter is not None:
            if not isinstance(dead_letter, Queue):
                raise TypeError(f"dead_letter must be a Queue, not {type(dead_letter).__name__}")
            if max_deliveries is None:
                raise ValueError(
                    "dead_letter needs max_deliveries (how many deliveries are too many)"
                )
        payloads = PayloadStore(large_payloads) if large_payloads is not None else None
        self._backend = backend
        self._max_deliveries = max_deliveries
        self._dead_letter = dead_letter
        self._payloads = payloads

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
        backend = self._backend
        if self._payloads is not None:
            threshold = backend.offload_threshold()
            if threshold is not None and backend.encoded_size(message) > threshold:
                return self._push_offloaded(message, suppress_output)
        limit = backend.max_message_bytes()
        if limit is not None:
            size = backend.encoded_size(message)
            if size > limit:
                raise MessageTooLargeError(size, limit, self.get_name())
        try:
            backend.send(message)
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

    def _push_offloaded(self, message: str, suppress_output: bool) -> bool:
        """Store ``message`` in the large-payload Dir and send a pointer to it."""
        payloads = self._payloads
        assert payloads is not None
        pointer = None
        try:
            pointer, size = payloads.put(message)
            self._backend.send_pointer(pointer, size)
        except Exception as error:
            logger.error(
                "pushing a large message to queue %r failed: %s: %s",
                self.get_name(),
                type(error).__name__,
                error,
            )
            logger.debug("the failed push", exc_info=True)
            parsed = parse_pointer(pointer) if pointer is not None else None
            if parsed is not None:  # the payload was stored but no message points at it
                payloads.delete(parsed, "(not sent)")
            return False
        if not suppress_output:
            logger.info(
                "message of %d bytes pushed to queue %r through %s",
                size,
                self.get_name(),
                payloads.directory.get_uri(),
            )
        return True

    def peek(self, suppress_output: bool = False) -> list[str]:
        """Up to 10 messages, without deleting them or hiding them.

        Claim-check pointers are resolved (their payloads are kept); a
        message whose payload is missing is left out, with an error logged.
        """
        bodies = self._backend.peek(10)
        payloads = self._payloads
        if payloads is None:
            return bodies
        resolved = []
        for body in bodies:
            pointer = parse_pointer(body)
            if pointer is None:
                resolved.append(body)
                continue
            try:
                resolved.append(payloads.get(pointer, "(peeked)"))
            except PayloadNotFoundError as error:
                logger.error("peek on queue %r: %s", self.get_name(), error)
        return resolved

    def count(self) -> int:
        """Approximate number of messages in the queue (visible and in flight)."""
        return self._backend.count()

    def clear(self, suppress_output: bool = False) -> None:
        """Delete every message."""
        self._backend.purge()

    # -- one message at a time ---------------------------------------------

    def receive(
        self,
        max_messages: int = 10,
        *,
        wait: float | None = None,
        visibility_timeout: int | None = None,
    ) -> list[Message]:
        """Up to ``max_messages`` messages, each hidden until settled or timed out.

        Settle each with :meth:`Message.ack` or :meth:`Message.nack`, or hold
        it with :meth:`lease`. Messages delivered more than ``max_deliveries``
        times are moved to the dead-letter queue instead of being returned;
        claim-check pointers are resolved (see :attr:`Message.body`).

        :param wait: seconds to wait for a first message when the queue is
            empty (``None``: a short wait, about one second on long-polling
            services, none elsewhere).
        :param visibility_timeout: seconds the messages stay hidden (``None``:
            the queue's default).
        :raises ValueError: an argument is out of range (nothing is received).
        """
        _positive_int("max_messages", max_messages)
        _optional_seconds("wait", wait, whole=False)
        _optional_seconds("visibility_timeout", visibility_timeout, whole=True)
        deadline = None if wait is None else time.monotonic() + wait
        while True:
            messages = self._receive(max_messages, visibility_timeout, wait)
            if messages or deadline is None:
                return messages
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            if not self._backend.capabilities.long_polling:
                time.sleep(min(POLL_INTERVAL_SECONDS, left))

    def lease(self, message: Message, *, visibility_timeout: int | None = None) -> Lease:
        """``with queue.lease(message):`` renews its visibility while the block runs.

        It acks on success and nacks on an exception or a SIGINT/SIGTERM
        shutdown (see :class:`~fluke.queues.Lease`).
        """
        if not isinstance(message, Message):
            raise TypeError(f"lease() needs a Message, not {type(message).__name__}")
        if message._queue is not self:
            raise ValueError(f"{message!r} was not received from {self!r}")
        return Lease(message, visibility_timeout)

    def _receive(
        self, wanted: int, visibility_timeout: int | None = None, wait: float | None = None
    ) -> list[Message]:
        """Receive up to ``wanted`` messages, looping until that many or empty."""
        backend = self._backend
        caps = backend.capabilities
        hidden_for = (
            backend.default_visibility_timeout()
            if visibility_timeout is None
            else visibility_timeout
        )
        received: list[Message] = []
        first = True
        while len(received) < wanted:
            ask = min(caps.max_receive, wanted - len(received))
            if not caps.long_polling:
                seconds = 0.0
            elif first and wait is not None:
                seconds = wait
            else:
                seconds = EMPTY_WAIT_SECONDS if first else 0.0
            got = backend.receive(ask, wait_seconds=seconds, visibility_timeout=visibility_timeout)
            first = False
            if not got:
                break
            for raw in got:
                message = self._admit(raw, hidden_for)
                if message is not None:
                    received.append(message)
        return received

    def _admit(self, raw: ReceivedMessage, hidden_for: int) -> Message | None:
        """A received message as a :class:`Message`, or ``None`` once dead-lettered."""
        if self._is_poison(raw):
            self._move_to_dead_letter(raw)
            return None
        payloads = self._payloads
        pointer = parse_pointer(raw.body) if payloads is not None else None
        if pointer is None or payloads is None:
            return Message(self, raw, body=raw.body, visibility_timeout=hidden_for)
        try:
            body: str | None = payloads.get(pointer, raw.message_id)
            error: Exception | None = None
        except PayloadNotFoundError as missing:
            body, error = None, missing
        except Exception as failure:  # one unreadable payload must not fail the batch
            body = None
            error = PayloadNotFoundError(
                raw.message_id,
                f"{pointer.bucket}/{pointer.key}",
                f"could not be read ({type(failure).__name__}: {failure})",
            )
        return Message(
            self,
            raw,
            body=body,
            visibility_timeout=hidden_for,
            pointer=pointer,
            store=payloads,
            error=error,
        )

    # -- dead letters --------------------------------------------------------

    def _is_poison(self, raw: ReceivedMessage) -> bool:
        limit = self._max_deliveries
        if limit is None or raw.delivery_count <= limit:
            return False
        if not self._native_checked:
            self._native_dead_letter = self._backend.native_dead_letter()
            self._native_checked = True
            if self._native_dead_letter is not None:
                logger.info(
                    "queue %r has a native dead-letter policy (to %s): poison messages "
                    "are left to the service, not moved by Fluke",
                    self.get_name(),
                    self._native_dead_letter,
                )
        return self._native_dead_letter is None

    def dead_letter_queue(self) -> Queue:
        """The queue poison messages go to (``<queue>-poison`` unless given)."""
        if self._dead_letter is None:
            poison = Queue.__new__(Queue)
            poison._attach(self._backend.sibling(self.get_name() + "-poison"))
            self._dead_letter = poison
        return self._dead_letter

    def _move_to_dead_letter(self, raw: ReceivedMessage) -> None:
        try:
            target = self.dead_letter_queue()
            _forward(raw, target._backend)
        except Exception as error:
            logger.error(
                "message %r of queue %r was delivered %d times but could not be "
                "dead-lettered (%s: %s); it stays in the queue",
                raw.message_id,
                self.get_name(),
                raw.delivery_count,
                type(error).__name__,
                error,
            )
            return
        if self._backend.delete([raw]):
            logger.warning(
                "message %r was copied to dead-letter queue %r but not deleted from %r; "
                "it may be dead-lettered twice",
                raw.message_id,
                target.get_name(),
                self.get_name(),
            )
            return
        logger.warning(
            "message %r of queue %r was delivered %d times (max_deliveries=%d): "
            "moved to dead-letter queue %r",
            raw.message_id,
            self.get_name(),
            raw.delivery_count,
            self._max_deliveries,
            target.get_name(),
        )

    def redrive(self, from_queue: Queue) -> int:
        """Move every message of ``from_queue`` (a dead-letter queue) back here.

        Messages are re-sent as they are (claim-check pointers stay pointers,
        their payloads kept) and deleted from ``from_queue`` once sent; they
        start again with a delivery count of 1.

        :return: how many messages were moved.
        :raises TypeError: ``from_queue`` is not a Queue.
        :raises ValueError: ``from_queue`` is this queue.
        """
        if not isinstance(from_queue, Queue):
            raise TypeError(f"from_queue must be a Queue, not {type(from_queue).__name__}")
        if from_queue is self:
            raise ValueError(f"cannot redrive {self!r} into itself")
        source = from_queue._backend
        wait = EMPTY_WAIT_SECONDS if source.capabilities.long_polling else 0.0
        moved = 0
        while True:
            got = source.receive(
                source.capabilities.max_receive,
                wait_seconds=wait,
                visibility_timeout=REDRIVE_VISIBILITY_SECONDS,
            )
            if not got:
                break
            for raw in got:
                _forward(raw, self._backend)
            failed = source.delete(got)
            moved += len(got) - len(failed)
            if failed:
                logger.warning(
                    "%d redriven messages could not be deleted from %r; they may be sent again",
                    len(failed),
                    from_queue.get_name(),
                )
        logger.info(
            "redrove %d messages from %r to %r", moved, from_queue.get_name(), self.get_name()
        )
        return moved

    # -- batches -------------------------------------------------------------

    def _delete(self, batch: list[Message]) -> None:
        failed = self._backend.delete([message._raw for message in batch])
        if failed:
            logger.warning(
                "%d of %d messages could not be deleted from queue %r; they will be redelivered",
                len(failed),
                len(batch),
                self.get_name(),
            )
        gone = {id(raw) for raw in failed}
        for message in batch:
            if id(message._raw) in gone:
                continue
            message._settled = "acked"
            if message._pointer is not None and message._store is not None:
                message._store.delete(message._pointer, message.id)

    def _usable(self, batch: list[Message]) -> list[Message]:
        """The messages of ``batch`` whose body can be read (errors are logged)."""
        usable = []
        for message in batch:
            if message.error is None:
                usable.append(message)
            else:
                logger.error(
                    "skipping message %r of queue %r (it will be redelivered): %s",
                    message.id,
                    self.get_name(),
                    message.error,
                )
        return usable

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
                received = self._receive(wanted)
                if not received:
                    break
                batch = self._usable(received)
                if not batch:
                    continue
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


def _forward(raw: ReceivedMessage, target: QueueBackend) -> None:
    """Send ``raw``'s text to ``target`` as it is (a pointer keeps its size attribute)."""
    if parse_pointer(raw.body) is None:
        target.send(raw.body)
        return
    size = (raw.extra or {}).get(SIZE_ATTRIBUTE, "")
    target.send_pointer(raw.body, int(size) if size.isdigit() else 0)
