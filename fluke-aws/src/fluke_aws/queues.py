"""``AmazonSQSQueue``: the Queue API on an Amazon SQS queue."""

from __future__ import annotations

from fluke._queue import Queue
from fluke_aws._sqsbackend import QueueNotFoundError, SQSBackend
from fluke_aws.auth import AWSAuth

__all__ = ["AmazonSQSQueue", "QueueNotFoundError", "SQSBackend"]


class AmazonSQSQueue(Queue):
    """An Amazon SQS queue (push / peek / poll).

    The connection opens lazily (or with :meth:`open`); a missing queue
    raises :class:`QueueNotFoundError` then. Messages larger than the queue's
    ``MaximumMessageSize`` are refused with
    :class:`~fluke.exceptions.MessageTooLargeError` before anything is sent.

    :param auth: credentials, region and endpoint.
    :param queue: the queue's name (or its URL).
    """

    def __init__(self, auth: AWSAuth, queue: str) -> None:
        self._attach(SQSBackend(auth, queue))

    def get_url(self) -> str:
        """The queue's URL."""
        backend = self._backend
        assert isinstance(backend, SQSBackend)
        return backend.url
