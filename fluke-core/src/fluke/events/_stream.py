"""``storage_events(queue)``: the storage events arriving on a queue, one by one."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from fluke.events._event import StorageEvent
from fluke.events._parse import parse
from fluke.exceptions import InvalidEventError

if TYPE_CHECKING:
    from fluke._queue import Queue

__all__ = ["InvalidHandler", "storage_events"]

logger = logging.getLogger("fluke.events")

#: Called with a message's text and the error when that message is not an event.
InvalidHandler = Callable[[str, InvalidEventError], None]


def _log_invalid(queue: str) -> InvalidHandler:
    def handler(body: str, error: InvalidEventError) -> None:
        logger.error("queue %r: skipping a message: %s", queue, error)

    return handler


def storage_events(
    queue: Queue, *, on_invalid: InvalidHandler | None = None, **poll_options: Any
) -> Iterator[StorageEvent]:
    """The storage events of the messages polled from ``queue``, in order.

    ``poll_options`` go to :meth:`Queue.poll` unchanged (``num_messages``
    counts messages, not events; ``polling_frequency`` keeps polling
    forever; without it the iteration ends when the queue is empty). A
    message may hold several events (S3 sends several records per message)
    or none (``s3:TestEvent``, which is thus consumed and skipped).

    Delivery is at least once: a batch of messages is deleted from the queue
    only when the iteration asks for the next batch (or ends normally), i.e.
    after every event of the batch was handed out and handled. If the code
    consuming the events raises, or stops early, the batch stays in the
    queue and comes back after its visibility timeout.

    A message that is not a storage event does not stop the others: it is
    reported to ``on_invalid(body, error)`` — by default an ERROR log line on
    the ``fluke.events`` logger quoting its start and the reason — and the
    iteration goes on. It is deleted with its batch like the others; pass
    ``on_invalid`` to keep it somewhere (``lambda body, _: poison.push(body)``)
    or to stop (raise from it: the exception ends the iteration and the
    batch is not deleted).

    :raises ValueError: an invalid poll option (before anything is received).
    """
    batches = queue.poll(**poll_options)  # checks the options now, not on first next()
    handler = on_invalid if on_invalid is not None else _log_invalid(queue.get_name())
    return _events(batches, handler)


def _events(batches: Iterable[list[str]], on_invalid: InvalidHandler) -> Iterator[StorageEvent]:
    for batch in batches:
        for body in batch:
            try:
                events = parse(body)
            except InvalidEventError as error:
                on_invalid(body, error)
                continue
            yield from events
