"""``AmazonSQSQueue``: the Queue API on an Amazon SQS queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fluke._queue import Queue
from fluke_aws._sqsbackend import QueueNotFoundError, SQSBackend
from fluke_aws.auth import AWSAuth

if TYPE_CHECKING:
    from fluke._dir import Dir

__all__ = ["AmazonSQSQueue", "QueueNotFoundError", "SQSBackend"]


class AmazonSQSQueue(Queue):
    """An Amazon SQS queue (push / peek / poll).

    The connection opens lazily (or with :meth:`open`); a missing queue
    raises :class:`QueueNotFoundError` then. Messages larger than the queue's
    ``MaximumMessageSize`` are refused with
    :class:`~fluke.exceptions.MessageTooLargeError` before anything is sent.

    With ``large_payloads`` (a Dir, normally an S3 one), messages over the
    queue's ``MaximumMessageSize`` are stored there and a pointer is sent in
    the AWS extended clients' format (with the ``ExtendedPayloadSize``
    attribute), so ``amazon-sqs-extended-client`` and the Java extended client
    read them, and Fluke reads theirs.

    A queue with a native ``RedrivePolicy`` is left to SQS for dead letters
    (Fluke logs so once); ``max_deliveries`` applies to the others.

    :param auth: credentials, region and endpoint.
    :param queue: the queue's name (or its URL).
    :param max_deliveries: move a message received more than this many times
        to ``dead_letter`` (keyword-only; ``None``: never).
    :param dead_letter: the dead-letter queue (default: ``<queue>-poison``,
        created when first needed).
    :param large_payloads: a Dir for claim-check payloads.
    """

    def __init__(
        self,
        auth: AWSAuth,
        queue: str,
        *,
        max_deliveries: int | None = None,
        dead_letter: Queue | None = None,
        large_payloads: Dir | None = None,
    ) -> None:
        self._attach(
            SQSBackend(auth, queue),
            max_deliveries=max_deliveries,
            dead_letter=dead_letter,
            large_payloads=large_payloads,
        )

    def get_url(self) -> str:
        """The queue's URL."""
        backend = self._backend
        assert isinstance(backend, SQSBackend)
        return backend.url
