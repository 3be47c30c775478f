"""``AzureStorageQueue``: the Queue API on Azure Storage Queues.

Message encoding
----------------

Azure Storage Queues carry message text inside XML, so text with control
characters or unpaired surrogates cannot travel as-is. Fluke therefore sends
**every** message as the base64 encoding of its UTF-8 bytes: exactly what the
SDK's ``TextBase64EncodePolicy``, Azure Functions and the Azure portal use, so
those read Fluke's messages and Fluke reads theirs. When receiving or
peeking, a message that is not valid base64 of UTF-8 text (pushed as plain
text by another tool) is returned unchanged.

The service limit of 64 KiB applies to the *encoded* text, so a message can
hold at most 48 KiB of UTF-8; anything larger is refused with
:class:`~fluke.exceptions.MessageTooLargeError` before it is sent, unless
the queue has ``large_payloads`` (a Dir): then it is stored there and a
claim-check pointer in the AWS extended clients' format is queued instead.

Azure has no long polling: ``receive`` answers at once, which is what the
core's ``poll`` expects (it stops at ``num_messages`` or when a receive comes
back empty).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError

from fluke._queue import Queue
from fluke.backend import QueueBackend, QueueCapabilities, ReceivedMessage
from fluke_azure._errors import QueueNotFoundError, convert, error_code
from fluke_azure.auth import AzureAuth

if TYPE_CHECKING:
    from azure.storage.queue import QueueClient

    from fluke._dir import Dir

__all__ = [
    "AzureStorageQueue",
    "AzureStorageQueueBackend",
    "QueueNotFoundError",
    "decode",
    "encode",
]

logger = logging.getLogger("fluke.azure")

#: The service's limit on a message's (encoded) text.
MAX_MESSAGE_BYTES = 64 * 1024
#: Most messages one Get Messages / Peek Messages call returns.
MAX_RECEIVE = 32

_QUEUE_NAME = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")


def encode(body: str) -> str:
    """The wire text of ``body``: base64 of its UTF-8 bytes."""
    return base64.b64encode(body.encode("utf-8", "surrogatepass")).decode("ascii")


def decode(content: str) -> str:
    """The message of wire text ``content`` (unchanged if it is not Fluke's encoding)."""
    try:
        raw = base64.b64decode(content, validate=True)
        return raw.decode("utf-8", "surrogatepass")
    except (binascii.Error, ValueError):
        return content


def check_queue_name(queue: object) -> str:
    """``queue`` if Azure allows that queue name, else ``ValueError`` naming it."""
    if not isinstance(queue, str) or not _QUEUE_NAME.match(queue):
        raise ValueError(
            f"Queue name {queue!r} is not valid on Azure: 3-63 lowercase letters, digits "
            "and single hyphens, starting and ending with a letter or digit."
        )
    return queue


class AzureStorageQueueBackend(QueueBackend):
    """Primitive operations on one Azure Storage queue.

    :param auth: the account's credentials.
    :param queue: the queue's name.
    :param visibility_timeout: seconds a received message stays hidden.
    :param create_if_missing: create the queue on first connection.
    """

    capabilities = QueueCapabilities(
        max_receive=MAX_RECEIVE, long_polling=False, max_message_bytes=MAX_MESSAGE_BYTES
    )

    def __init__(
        self,
        auth: AzureAuth,
        queue: str,
        *,
        visibility_timeout: int = 30,
        create_if_missing: bool = False,
    ) -> None:
        if not isinstance(auth, AzureAuth):
            raise TypeError(f"auth must be an AzureAuth, not {type(auth).__name__}")
        if (
            isinstance(visibility_timeout, bool)
            or not isinstance(visibility_timeout, int)
            or not 0 <= visibility_timeout <= 7 * 24 * 3600
        ):
            raise ValueError(f"visibility_timeout must be 0..604800 s, not {visibility_timeout!r}")
        self.auth = auth
        self._queue = check_queue_name(queue)
        self._visibility_timeout = visibility_timeout
        self._create_if_missing = create_if_missing
        self._lock = threading.Lock()
        self._client: QueueClient | None = None
        #: latest pop receipt of messages whose visibility was changed, by id and
        #: the receipt they were received with (a new delivery has a new one;
        #: Azurite gives messages of one receive the same receipt)
        self._receipts: dict[tuple[str, str], str] = {}

    def name(self) -> str:
        """The queue's name."""
        return self._queue

    def default_visibility_timeout(self) -> int:
        """The ``visibility_timeout`` this queue was opened with."""
        return self._visibility_timeout

    def sibling(self, name: str) -> AzureStorageQueueBackend:
        """Queue ``name`` in the same account, created on first use when missing."""
        return AzureStorageQueueBackend(
            self.auth,
            name,
            visibility_timeout=self._visibility_timeout,
            create_if_missing=True,
        )

    # -- lifecycle ---------------------------------------------------------

    def _queue_client(self) -> QueueClient:
        client = self._client
        if client is not None:
            return client
        with self._lock:
            if self._client is None:
                client = self.auth.queue_client(self._queue)
                if self._create_if_missing:
                    with self._calling("Creating the queue"):
                        try:
                            client.create_queue()
                        except ResourceExistsError:
                            pass
                self._client = client
            return self._client

    def connect(self) -> None:
        """Create the client now (it is otherwise created on first use)."""
        self._queue_client()

    def close(self) -> None:
        """Release the client and its connections."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def is_connected(self) -> bool:
        """Whether a client is currently held."""
        return self._client is not None

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        try:
            yield
        except ResourceNotFoundError as error:
            if error_code(error) == "QueueNotFound":
                raise QueueNotFoundError(self._queue) from None
            raise convert(error, f"{what} (queue {self._queue!r})", self.auth.secrets()) from None
        except AzureError as error:
            raise convert(
                error,
                f"{what} (queue {self._queue!r})",
                self.auth.secrets(),
                endpoint=self.auth.queue_url,
            ) from None

    # -- operations --------------------------------------------------------

    def encoded_size(self, body: str) -> int:
        """The length of the base64 text that goes on the wire."""
        return 4 * -(-len(body.encode("utf-8", "surrogatepass")) // 3)

    def send(self, body: str) -> None:
        """Send one message (base64 of UTF-8)."""
        with self._calling("Sending a message"):
            self._queue_client().send_message(encode(body))

    def receive(
        self, max_messages: int, *, wait_seconds: float, visibility_timeout: int | None
    ) -> list[ReceivedMessage]:
        """Receive up to ``max_messages`` (at most 32), hiding them meanwhile."""
        count = max(1, min(max_messages, MAX_RECEIVE))
        timeout = self._visibility_timeout if visibility_timeout is None else visibility_timeout
        if timeout < 1:  # the service's minimum for Get Messages
            raise ValueError(
                f"visibility_timeout must be >= 1 s on Azure Storage Queues, not {timeout!r}"
            )
        with self._calling("Receiving messages"):
            pages = self._queue_client().receive_messages(
                messages_per_page=count, max_messages=count, visibility_timeout=timeout
            )
            received = [
                ReceivedMessage(
                    decode(str(item.content)),
                    str(item.pop_receipt),
                    str(item.id),
                    delivery_count=int(item.dequeue_count or 0),
                )
                for item in pages
            ]
        return received[:count]

    def _receipt(self, message: ReceivedMessage) -> str:
        with self._lock:
            return self._receipts.get((message.message_id, message.receipt), message.receipt)

    def delete(self, messages: Sequence[ReceivedMessage]) -> list[ReceivedMessage]:
        """Delete received messages; return those that could not be deleted."""
        failed: list[ReceivedMessage] = []
        client = self._queue_client()
        for message in messages:
            try:
                client.delete_message(message.message_id, self._receipt(message))
            except AzureError as error:
                logger.debug(
                    "deleting message %s from queue %r failed: %s",
                    message.message_id,
                    self._queue,
                    convert(error, "Deleting", self.auth.secrets()),
                )
                failed.append(message)
            else:
                with self._lock:
                    self._receipts.pop((message.message_id, message.receipt), None)
        return failed

    def change_visibility(self, message: ReceivedMessage, timeout: int) -> None:
        """Hide ``message`` for ``timeout`` more seconds (``0``: release it now)."""
        with self._calling("Changing a message's visibility"):
            updated = self._queue_client().update_message(
                message.message_id, self._receipt(message), visibility_timeout=timeout
            )
        with self._lock:
            self._receipts[(message.message_id, message.receipt)] = str(updated.pop_receipt)

    def forget(self, message: ReceivedMessage) -> None:
        """Drop what is remembered about ``message`` (it was nacked)."""
        with self._lock:
            self._receipts.pop((message.message_id, message.receipt), None)

    def peek(self, max_messages: int) -> list[str]:
        """Up to ``max_messages`` (at most 32) visible messages, left untouched."""
        count = max(1, min(max_messages, MAX_RECEIVE))
        with self._calling("Peeking at messages"):
            peeked = self._queue_client().peek_messages(max_messages=count)
        return [decode(str(item.content)) for item in peeked]

    def count(self) -> int:
        """Azure's approximate message count (visible and hidden)."""
        with self._calling("Counting messages"):
            properties = self._queue_client().get_queue_properties()
        return int(properties.approximate_message_count or 0)

    def purge(self) -> None:
        """Delete every message."""
        with self._calling("Clearing the queue"):
            self._queue_client().clear_messages()
        with self._lock:
            self._receipts.clear()


class AzureStorageQueue(Queue):
    """An Azure Storage queue.

    :param auth: the account's credentials.
    :param queue: the queue's name.
    :param visibility_timeout: seconds a polled message stays hidden before
        it is delivered again unless deleted (keyword-only).
    :param create_if_missing: create the queue on first use (keyword-only).
    :param max_deliveries: move a message dequeued more than this many times
        to ``dead_letter`` (keyword-only; ``None``: never). Azure Functions
        use 5 and a ``<queue>-poison`` queue.
    :param dead_letter: the dead-letter queue (default: ``<queue>-poison``,
        created when first needed).
    :param large_payloads: a Dir for claim-check payloads: messages over 64 KiB
        once encoded are stored there and a pointer in the AWS extended
        clients' format is queued instead.
    :raises ValueError: ``queue`` is not a valid Azure queue name.
    """

    def __init__(
        self,
        auth: AzureAuth,
        queue: str,
        *,
        visibility_timeout: int = 30,
        create_if_missing: bool = False,
        max_deliveries: int | None = None,
        dead_letter: Queue | None = None,
        large_payloads: Dir | None = None,
    ) -> None:
        self._attach(
            AzureStorageQueueBackend(
                auth,
                queue,
                visibility_timeout=visibility_timeout,
                create_if_missing=create_if_missing,
            ),
            max_deliveries=max_deliveries,
            dead_letter=dead_letter,
            large_payloads=large_payloads,
        )
