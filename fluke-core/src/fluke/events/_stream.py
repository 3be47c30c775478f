"""``storage_events(queue)``: the storage events arriving on a queue, one by one."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from fluke.events._event import StorageEvent
from fluke.events._parse import parse
from fluke.exceptions import InvalidEventError, LeaseLostError, PayloadNotFoundError

if TYPE_CHECKING:
    from fluke._message import Message
    from fluke._queue import Queue

__all__ = ["InvalidHandler", "storage_events"]

logger = logging.getLogger("fluke.events")

#: Called with a message's text and the error when that message is not an event.
InvalidHandler = Callable[[str, InvalidEventError], None]


def _log_invalid(queue: str) -> InvalidHandler:
    def handler(body: str, error: InvalidEventError) -> None:
        logger.error("queue %r: skipping a message: %s", queue, error)

    return handler


def _check(name: str, value: object, *, minimum: float, whole: bool) -> None:
    kinds: tuple[type, ...] = (int,) if whole else (int, float)
    if (
        isinstance(value, bool)
        or not isinstance(value, kinds)
        or not math.isfinite(value)  # type: ignore[arg-type]
        or value < minimum  # type: ignore[operator]
    ):
        what = "an int" if whole else "a finite number"
        raise ValueError(f"{name} must be {what} >= {minimum:g}, not {value!r}")


def storage_events(
    queue: Queue,
    *,
    on_invalid: InvalidHandler | None = None,
    num_messages: int | None = None,
    batch_size: int = 10,
    polling_frequency: float | None = None,
    pre_delivery_delete: bool = False,
    suppress_output: bool = False,
    visibility_timeout: int | None = None,
) -> Iterator[StorageEvent]:
    """The storage events of the messages received from ``queue``, in order.

    The options are :meth:`Queue.poll`'s: ``num_messages`` (messages, not
    events; ``None``: until the queue is empty), ``batch_size`` (messages
    per :meth:`Queue.receive`), ``polling_frequency`` (then keep polling
    forever, sleeping that many seconds when the queue is empty) and
    ``pre_delivery_delete``; plus ``visibility_timeout`` for the receives.
    A message may hold several events (S3 sends several records per message)
    or none (``s3:TestEvent``: acked and skipped).

    Every message is settled on its own (at least once):

    * while its events are handled, the message is leased
      (:meth:`Queue.lease`): its visibility is renewed in the background, so
      a long transfer does not let it reappear;
    * it is acked when the iteration asks for the event after its last one
      (so after the code consuming the events handled them all);
    * if that code raises, or the iteration stops early (``break``,
      ``close()``), the message being handled and the ones received but not
      reached yet are nacked: visible again at once, nothing is lost;
    * with ``pre_delivery_delete=True`` each message is acked before its
      events are handed out instead (at most once).

    A message that is not a storage event does not stop the others: it is
    reported to ``on_invalid(body, error)`` — by default an ERROR log line on
    the ``fluke.events`` logger quoting its start and the reason — then acked
    (it can never become an event). Pass ``on_invalid`` to keep it somewhere
    (``lambda body, _: poison.push(body)``) or to stop: an exception raised
    from it ends the iteration, and the message is nacked. A claim-check
    message whose payload is missing is logged and nacked with a delay of its
    visibility timeout (dead-lettered after ``max_deliveries``, if the queue
    has it).

    :raises ValueError: an invalid option (before anything is received).
    """
    if num_messages is not None:
        _check("num_messages", num_messages, minimum=1, whole=True)
    _check("batch_size", batch_size, minimum=1, whole=True)
    if polling_frequency is not None:
        _check("polling_frequency", polling_frequency, minimum=0, whole=False)
    if visibility_timeout is not None:
        _check("visibility_timeout", visibility_timeout, minimum=1, whole=True)
    handler = on_invalid if on_invalid is not None else _log_invalid(queue.get_name())
    return _events(
        queue,
        handler,
        num_messages,
        batch_size,
        polling_frequency,
        pre_delivery_delete,
        visibility_timeout,
    )


def _events(
    queue: Queue,
    on_invalid: InvalidHandler,
    num_messages: int | None,
    batch_size: int,
    polling_frequency: float | None,
    ack_first: bool,
    visibility_timeout: int | None,
) -> Iterator[StorageEvent]:
    delivered = 0
    while True:
        while num_messages is None or delivered < num_messages:
            wanted = (
                batch_size if num_messages is None else min(batch_size, num_messages - delivered)
            )
            messages = queue.receive(wanted, visibility_timeout=visibility_timeout)
            if not messages:
                break
            delivered += len(messages)
            try:
                for message in messages:
                    yield from _message_events(queue, message, on_invalid, ack_first)
            finally:  # stopped early or failed: what is not settled comes back now
                for message in messages:
                    if message.settled is None:
                        _settle(message, "nack")
        if polling_frequency is None or (num_messages is not None and delivered >= num_messages):
            return
        time.sleep(polling_frequency)


def _message_events(
    queue: Queue, message: Message, on_invalid: InvalidHandler, ack_first: bool
) -> Iterator[StorageEvent]:
    """The events of one message, which is settled once they are all handled."""
    try:
        events = parse(message.body)
    except PayloadNotFoundError as missing:
        logger.error("queue %r: %s; it will be delivered again", queue.get_name(), missing)
        _settle(message, "nack", delay=message.visibility_timeout)
        return
    except InvalidEventError as error:
        on_invalid(message.body, error)
        _settle(message, "ack")
        return
    if ack_first or not events:
        _settle(message, "ack")
        yield from events
        return
    try:
        with queue.lease(message):
            yield from events
    except LeaseLostError as lost:
        logger.warning("queue %r: %s It will be delivered again.", queue.get_name(), lost)


def _settle(message: Message, how: str, delay: float = 0) -> None:
    """Ack or nack ``message``; a failure is logged (it will be redelivered), not raised."""
    try:
        if how == "ack":
            message.ack()
        else:
            message.nack(delay)
    except Exception as error:
        logger.warning(
            "could not %s message %r (%s: %s); it may be delivered again",
            how,
            message.id,
            type(error).__name__,
            error,
        )
