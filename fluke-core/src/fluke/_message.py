"""One received message (:class:`Message`) and its lease (:class:`Lease`).

The lifecycle is the same on every queue backend: ``Queue.receive`` hands
out messages that stay hidden from other receivers for a visibility timeout;
each is then settled exactly once, by :meth:`Message.ack` (done: delete it)
or :meth:`Message.nack` (not done: visible again, possibly after a delay).
:meth:`Message.extend` keeps it hidden longer; :class:`Lease` does that in
the background while a ``with`` block runs.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from fluke._claimcheck import PayloadStore, Pointer
from fluke.backend import ReceivedMessage
from fluke.exceptions import LeaseLostError, MessageSettledError

if TYPE_CHECKING:
    from fluke._queue import Queue

__all__ = ["Lease", "Message"]

logger = logging.getLogger("fluke.queues")

#: The shortest pause between two renewals of a lease.
MIN_RENEW_PERIOD = 0.2
#: Signals a lease turns into an exception (so the message is nacked, not
#: left hidden for the whole visibility timeout). SIGINT already raises
#: KeyboardInterrupt under Python's default handler.
_SHUTDOWN_SIGNALS = (signal.SIGTERM,) if hasattr(signal, "SIGTERM") else ()


def _seconds(name: str, value: object, *, positive: bool) -> int:
    """``value`` as whole seconds (rounded up), refusing what is not a finite number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
    ):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number of seconds {bound}, not {value!r}")
    return math.ceil(value)


class Message:
    """A message handed out by :meth:`Queue.receive`.

    :ivar id: the service's id of the message.
    :ivar delivery_count: how many times it was received, this time included
        (SQS ``ApproximateReceiveCount``, Azure ``dequeue_count``, the local
        queue's own counter).
    :ivar visibility_timeout: the seconds it was hidden for when received
        (what :class:`Lease` renews it by).
    """

    def __init__(
        self,
        queue: Queue,
        raw: ReceivedMessage,
        *,
        body: str | None,
        visibility_timeout: int,
        pointer: Pointer | None = None,
        store: PayloadStore | None = None,
        error: Exception | None = None,
    ) -> None:
        self._queue = queue
        self._raw = raw
        self._body = body
        self._pointer = pointer
        self._store = store
        self._error = error
        self.id = raw.message_id
        self.delivery_count = raw.delivery_count
        self.visibility_timeout = visibility_timeout
        self._settled: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = self._settled or "in flight"
        return f"Message(id={self.id!r}, delivery_count={self.delivery_count}, {state})"

    @property
    def body(self) -> str:
        """The message text (a claim-check payload already fetched).

        :raises PayloadNotFoundError: it is a claim-check pointer whose
            payload cannot be read (this message only; ack or nack it as usual).
        """
        if self._error is not None:
            raise self._error
        assert self._body is not None
        return self._body

    @property
    def error(self) -> Exception | None:
        """Why :attr:`body` cannot be read (a missing payload), else ``None``."""
        return self._error

    @property
    def raw_body(self) -> str:
        """The text the queue carried (a claim-check pointer stays a pointer)."""
        return self._raw.body

    @property
    def settled(self) -> str | None:
        """``"acked"``, ``"nacked"``, ``"lost"`` (ack/nack failed), or ``None`` (in flight)."""
        return self._settled

    def _check(self) -> None:
        if self._settled is not None:
            raise MessageSettledError(self.id, self._settled)

    def ack(self) -> None:
        """Done: delete the message (and its stored claim-check payload).

        :raises MessageSettledError: it was already acked or nacked.
        :raises LeaseLostError: the queue refused the delete (its visibility
            timeout expired and it was received again); it will be redelivered.
        """
        with self._lock:
            self._check()
            backend = self._queue._backend
            if backend.delete([self._raw]):
                self._settled = "lost"
                raise LeaseLostError(self.id, backend.name(), "ack")
            self._settled = "acked"
        if self._pointer is not None and self._store is not None:
            self._store.delete(self._pointer, self.id)

    def nack(self, delay: float = 0) -> None:
        """Not done: make the message visible again after ``delay`` seconds.

        Its stored payload (if any) is kept for the next delivery.

        :raises ValueError: ``delay`` is not a finite number >= 0.
        :raises MessageSettledError: it was already acked or nacked.
        """
        seconds = _seconds("delay", delay, positive=False)
        with self._lock:
            self._check()
            backend = self._queue._backend
            try:
                backend.change_visibility(self._raw, seconds)
            except BaseException:
                self._settled = "lost"
                raise
            self._settled = "nacked"
            backend.forget(self._raw)

    def extend(self, seconds: float) -> None:
        """Keep the message hidden for ``seconds`` more, counted from now.

        :raises ValueError: ``seconds`` is not a finite number > 0.
        :raises MessageSettledError: it was already acked or nacked.
        """
        whole = _seconds("seconds", seconds, positive=True)
        with self._lock:
            self._check()
            self._queue._backend.change_visibility(self._raw, whole)


class _Shutdown(SystemExit):
    """Raised in the main thread by SIGTERM while a lease is held."""


class Lease:
    """Hold a message while a ``with`` block runs (``with queue.lease(msg):``).

    A background thread renews the message's visibility every third of its
    visibility timeout. Leaving the block normally acks the message; an
    exception (including ``KeyboardInterrupt`` from SIGINT, and SIGTERM,
    which the lease turns into ``SystemExit(143)`` while it is held in the
    main thread; its previous handler is restored afterwards) nacks it, so
    it is redelivered at once instead of staying hidden for the whole
    timeout. A message settled inside the block is left alone. If the
    process dies without running its handlers (SIGKILL), renewals stop
    and the message comes back when its visibility timeout expires.

    :param message: a message received from the queue.
    :param visibility_timeout: seconds each renewal hides it for (default:
        the timeout it was received with).
    """

    def __init__(self, message: Message, visibility_timeout: int | None = None) -> None:
        if not isinstance(message, Message):
            raise TypeError(f"lease() needs a Message, not {type(message).__name__}")
        timeout = (
            message.visibility_timeout
            if visibility_timeout is None
            else _seconds("visibility_timeout", visibility_timeout, positive=True)
        )
        self.message = message
        self.visibility_timeout = max(1, timeout)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous: dict[int, Any] = {}
        self.renewals = 0

    # -- heartbeat -----------------------------------------------------------

    def _renew(self) -> None:
        period = max(MIN_RENEW_PERIOD, self.visibility_timeout / 3)
        while not self._stop.wait(period):
            try:
                self.message.extend(self.visibility_timeout)
                self.renewals += 1
            except MessageSettledError:
                return
            except Exception as error:
                logger.warning(
                    "renewing the lease of message %r failed (%s: %s); it may be redelivered",
                    self.message.id,
                    type(error).__name__,
                    error,
                )
                return

    # -- shutdown signals ----------------------------------------------------

    @staticmethod
    def _on_signal(signum: int, frame: FrameType | None) -> None:
        raise _Shutdown(128 + signum)

    def _install_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread
        for signum in _SHUTDOWN_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # ignored stays ignored
                self._previous[signum] = signal.signal(signum, self._on_signal)

    def _restore_handlers(self) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()

    # -- context manager -----------------------------------------------------

    def __enter__(self) -> Message:
        self.message._check()
        self._install_handlers()
        self._thread = threading.Thread(
            target=self._renew, name=f"fluke-lease-{self.message.id}", daemon=True
        )
        self._thread.start()
        return self.message

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            if self.message.settled is not None:
                return
            if exc_type is None:
                self.message.ack()
                return
            try:
                self.message.nack()
            except Exception as error:  # never hide the block's own exception
                logger.warning(
                    "nacking message %r after %s failed: %s: %s",
                    self.message.id,
                    exc_type.__name__,
                    type(error).__name__,
                    error,
                )
        finally:
            self._restore_handlers()
