"""The SQS queue backend: the primitives of :class:`fluke.backend.QueueBackend`."""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

from fluke._claimcheck import SIZE_ATTRIBUTE
from fluke.backend import QueueBackend, QueueCapabilities, ReceivedMessage
from fluke.exceptions import FlukeError
from fluke_aws._errors import error_code
from fluke_aws.auth import AWSAuth

__all__ = ["QueueNotFoundError", "SQSBackend"]

logger = logging.getLogger("fluke.aws")

#: SQS's own limits.
MAX_BATCH = 10
MAX_WAIT_SECONDS = 20
DEFAULT_MAX_MESSAGE_BYTES = 262_144

_MISSING_QUEUE = frozenset(
    {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue"}
)


def _received(message: dict[str, Any]) -> ReceivedMessage:
    """A ReceiveMessage entry as a :class:`ReceivedMessage`."""
    count = message.get("Attributes", {}).get("ApproximateReceiveCount", "0")
    attributes = {
        name: str(value.get("StringValue", ""))
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return ReceivedMessage(
        body=message["Body"],
        receipt=message["ReceiptHandle"],
        message_id=message.get("MessageId", ""),
        extra=attributes or None,
        delivery_count=int(count) if str(count).isdigit() else 0,
    )


class QueueNotFoundError(FlukeError, LookupError):
    """An SQS queue does not exist or cannot be accessed."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        super().__init__(f"Queue {queue!r} does not exist or cannot be accessed.")


class SQSBackend(QueueBackend):
    """One SQS queue, reached through one (lazily created) boto3 client.

    :param auth: the credentials, region and endpoint.
    :param queue: the queue's name, or its URL (``https://...``).
    """

    capabilities = QueueCapabilities(
        max_receive=MAX_BATCH, long_polling=True, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES
    )

    #: How long :meth:`peek` lets SQS look for messages (long polling looks on
    #: every server; short polling samples a few and may miss messages).
    peek_wait_seconds = 1

    def __init__(self, auth: AWSAuth, queue: str) -> None:
        if not isinstance(auth, AWSAuth):
            raise TypeError(f"auth must be an AWSAuth, not {type(auth).__name__}")
        if not isinstance(queue, str) or not queue:
            raise ValueError(f"queue must be a non-empty str, not {queue!r}")
        self.auth = auth
        self._given = queue
        self._name = queue.rstrip("/").rsplit("/", 1)[-1] if "://" in queue else queue
        self._lock = threading.Lock()
        self._client: Any = None
        self._url: str | None = queue if "://" in queue else None
        self._max_bytes: int | None = None
        self._visibility: int | None = None

    # -- lifecycle -------------------------------------------------------------

    def name(self) -> str:
        return self._name

    def _connection(self) -> tuple[Any, str]:
        """The client and the queue URL, resolved on first use."""
        client, url = self._client, self._url
        if client is not None and url is not None:
            return client, url
        with self._lock:
            if self._client is None:
                self._client = self.auth._client("sqs")
            if self._url is None:
                try:
                    self._url = self._client.get_queue_url(QueueName=self._name)["QueueUrl"]
                except ClientError as error:
                    if error_code(error) in _MISSING_QUEUE:
                        raise QueueNotFoundError(self._name) from None
                    raise
            return self._client, self._url

    def connect(self) -> None:
        """Create the client and resolve the queue's URL.

        :raises QueueNotFoundError: the queue does not exist.
        """
        self._connection()

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def is_connected(self) -> bool:
        """Whether a client is held."""
        return self._client is not None

    @property
    def url(self) -> str:
        """The queue's URL."""
        return self._connection()[1]

    def _call(self, operation: str, **kwargs: Any) -> Any:
        client, url = self._connection()
        try:
            return getattr(client, operation)(QueueUrl=url, **kwargs)
        except ClientError as error:
            if error_code(error) in _MISSING_QUEUE:
                raise QueueNotFoundError(self._name) from None
            raise

    # -- limits ----------------------------------------------------------------

    def max_message_bytes(self) -> int | None:
        """The queue's ``MaximumMessageSize`` attribute (read once)."""
        if self._max_bytes is None:
            attributes = self._call("get_queue_attributes", AttributeNames=["MaximumMessageSize"])
            value = attributes.get("Attributes", {}).get("MaximumMessageSize")
            self._max_bytes = int(value) if value else DEFAULT_MAX_MESSAGE_BYTES
        return self._max_bytes

    def default_visibility_timeout(self) -> int:
        """The queue's ``VisibilityTimeout`` attribute (read once)."""
        if self._visibility is None:
            attributes = self._call("get_queue_attributes", AttributeNames=["VisibilityTimeout"])
            value = attributes.get("Attributes", {}).get("VisibilityTimeout")
            self._visibility = int(value) if value else 30
        return self._visibility

    def native_dead_letter(self) -> str | None:
        """The ``deadLetterTargetArn`` of the queue's ``RedrivePolicy``, if it has one."""
        attributes = self._call("get_queue_attributes", AttributeNames=["RedrivePolicy"])
        policy = attributes.get("Attributes", {}).get("RedrivePolicy")
        if not policy:
            return None
        try:
            target = json.loads(policy).get("deadLetterTargetArn")
        except (ValueError, AttributeError):
            target = None
        return str(target or "its RedrivePolicy")

    def sibling(self, name: str) -> SQSBackend:
        """Queue ``name`` with the same credentials, created when missing."""
        other = SQSBackend(self.auth, name)
        client, _ = self._connection()
        other._url = client.create_queue(QueueName=name)["QueueUrl"]
        return other

    # -- operations ------------------------------------------------------------

    def send(self, body: str) -> None:
        self._call("send_message", MessageBody=body)

    def send_pointer(self, pointer: str, payload_size: int) -> None:
        """Send a claim-check pointer with the ``ExtendedPayloadSize`` attribute."""
        self._call(
            "send_message",
            MessageBody=pointer,
            MessageAttributes={
                SIZE_ATTRIBUTE: {"DataType": "Number", "StringValue": str(payload_size)}
            },
        )

    def send_batch(self, bodies: Sequence[str]) -> list[int]:
        """Send ``bodies`` in batches of 10; return the indices that failed."""
        failed: list[int] = []
        for offset in range(0, len(bodies), MAX_BATCH):
            chunk = bodies[offset : offset + MAX_BATCH]
            entries = [
                {"Id": str(offset + index), "MessageBody": body} for index, body in enumerate(chunk)
            ]
            response = self._call("send_message_batch", Entries=entries)
            for entry in response.get("Failed", ()):
                logger.warning(
                    "SQS refused message %s of a batch: %s", entry.get("Id"), entry.get("Code")
                )
                failed.append(int(entry["Id"]))
        return sorted(failed)

    def receive(
        self, max_messages: int, *, wait_seconds: float, visibility_timeout: int | None
    ) -> list[ReceivedMessage]:
        kwargs: dict[str, Any] = {
            "MaxNumberOfMessages": max(1, min(max_messages, MAX_BATCH)),
            "WaitTimeSeconds": min(MAX_WAIT_SECONDS, max(0, math.ceil(wait_seconds))),
            "AttributeNames": ["ApproximateReceiveCount"],
            "MessageAttributeNames": [SIZE_ATTRIBUTE],
        }
        if visibility_timeout is not None:
            kwargs["VisibilityTimeout"] = visibility_timeout
        response = self._call("receive_message", **kwargs)
        return [_received(message) for message in response.get("Messages", ())]

    def delete(self, messages: Sequence[ReceivedMessage]) -> list[ReceivedMessage]:
        """DeleteMessageBatch in batches of 10; return the messages not deleted."""
        failed: list[ReceivedMessage] = []
        for offset in range(0, len(messages), MAX_BATCH):
            batch = list(messages[offset : offset + MAX_BATCH])
            entries = [
                {"Id": str(index), "ReceiptHandle": message.receipt}
                for index, message in enumerate(batch)
            ]
            try:
                response = self._call("delete_message_batch", Entries=entries)
            except ClientError as error:
                logger.warning("SQS refused a delete batch: %s", error_code(error))
                failed.extend(batch)
                continue
            for entry in response.get("Failed", ()):
                logger.debug("SQS did not delete a message: %s", entry.get("Code"))
                failed.append(batch[int(entry["Id"])])
            reported = {e.get("Id") for e in response.get("Successful", ())} | {
                e.get("Id") for e in response.get("Failed", ())
            }
            failed.extend(m for i, m in enumerate(batch) if str(i) not in reported)
        return failed

    def change_visibility(self, message: ReceivedMessage, timeout: int) -> None:
        self._call(
            "change_message_visibility",
            ReceiptHandle=message.receipt,
            VisibilityTimeout=timeout,
        )

    def peek(self, max_messages: int) -> list[str]:
        """Receive with ``VisibilityTimeout=0``: the messages stay visible.

        Like every receive, it counts towards each message's receive count
        (and so towards a redrive policy's ``maxReceiveCount``).
        """
        received = self.receive(
            max_messages, wait_seconds=self.peek_wait_seconds, visibility_timeout=0
        )
        return [message.body for message in received]

    def count(self) -> int:
        """``ApproximateNumberOfMessages`` + ``ApproximateNumberOfMessagesNotVisible``."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = self._call("get_queue_attributes", AttributeNames=names)["Attributes"]
        return sum(int(attributes.get(name, 0)) for name in names)

    def purge(self) -> None:
        """PurgeQueue; if one ran in the last 60 s, receive and delete instead."""
        try:
            self._call("purge_queue")
            return
        except ClientError as error:
            if error_code(error) not in (
                "AWS.SimpleQueueService.PurgeQueueInProgress",
                "PurgeQueueInProgress",
            ):
                raise
        logger.debug("purge of %r already in progress; deleting message by message", self._name)
        while True:
            received = self.receive(MAX_BATCH, wait_seconds=1, visibility_timeout=None)
            if not received:
                return
            self.delete(received)
