"""Azure Storage Queue specifics on Azurite: encoding, size limit, peek, visibility."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from fluke.exceptions import MessageTooLargeError
from fluke_azure.auth import AzureAuth
from fluke_azure.queue import (
    AzureStorageQueue,
    AzureStorageQueueBackend,
    QueueNotFoundError,
    decode,
    encode,
)

#: Texts that are not valid XML 1.0 characters, or are XML-hostile.
AWKWARD = [
    "nul \x00 byte",
    "control \x01\x02\x07\x08\x0b\x0c\x1b\x1f chars",
    "<tag attr='x'>&amp; ]]> </tag>",
    "\ufffe\uffff non-characters",
    "emoji 🐟 and combining é",
    "\r\n\t whitespace \r",
    "",
]


@pytest.fixture
def queue(auth: AzureAuth, queue_name: str) -> Iterator[AzureStorageQueue]:
    with AzureStorageQueue(auth, queue_name) as opened:
        yield opened


@pytest.fixture
def raw(auth: AzureAuth, queue_name: str) -> Iterator[Any]:
    """The SDK's own client on the same queue (no encoding policy)."""
    client = auth.queue_client(queue_name)
    yield client
    client.close()


def test_awkward_messages_round_trip(queue: AzureStorageQueue) -> None:
    for text in AWKWARD:
        assert queue.push(text, suppress_output=True)
    assert sorted(queue.peek()) == sorted(AWKWARD)
    received = [m for batch in queue.poll(suppress_output=True) for m in batch]
    assert sorted(received) == sorted(AWKWARD)
    assert queue.count() == 0


def test_wire_encoding_is_base64_of_utf8(queue: AzureStorageQueue, raw: Any) -> None:
    assert queue.push("héllo <world>", suppress_output=True)
    (message,) = raw.peek_messages()
    assert base64.b64decode(message.content).decode("utf-8") == "héllo <world>"


def test_plain_text_from_other_tools_is_returned_as_is(queue: AzureStorageQueue, raw: Any) -> None:
    raw.send_message("plain text, not base64!")
    assert queue.peek() == ["plain text, not base64!"]
    assert [m for batch in queue.poll() for m in batch] == ["plain text, not base64!"]


def test_encoding_helpers() -> None:
    for text in AWKWARD:
        assert decode(encode(text)) == text


def test_size_limit_after_encoding(queue: AzureStorageQueue) -> None:
    largest = "a" * (48 * 1024)  # 49,152 bytes -> exactly 65,536 base64 characters
    assert queue.push(largest, suppress_output=True)
    with pytest.raises(MessageTooLargeError, match="65540"):
        queue.push(largest + "b", suppress_output=True)
    multibyte = "é" * (24 * 1024 + 1)  # 49,154 UTF-8 bytes
    with pytest.raises(MessageTooLargeError):
        queue.push(multibyte, suppress_output=True)
    assert queue.count() == 1
    assert [m for batch in queue.poll() for m in batch] == [largest]


def test_peek_changes_neither_visibility_nor_dequeue_count(
    queue: AzureStorageQueue, raw: Any
) -> None:
    assert queue.push("look but do not touch", suppress_output=True)
    for _ in range(3):
        assert queue.peek() == ["look but do not touch"]
    (peeked,) = raw.peek_messages()
    assert peeked.dequeue_count == 0
    assert queue.count() == 1


def test_poll_stops_exactly_and_drains_past_32(queue: AzureStorageQueue) -> None:
    messages = [f"m{index:03d}" for index in range(75)]
    for message in messages:
        assert queue.push(message, suppress_output=True)
    first = [m for batch in queue.poll(num_messages=40, batch_size=40) for m in batch]
    assert len(first) == 40
    assert queue.count() == 35
    rest = [m for batch in queue.poll(batch_size=50) for m in batch]
    assert sorted(first + rest) == messages
    assert queue.count() == 0


def test_receive_visibility_delete_failures(auth: AzureAuth, queue_name: str) -> None:
    backend = AzureStorageQueueBackend(auth, queue_name)
    try:
        backend.send("one")
        backend.send("two")
        received = backend.receive(32, wait_seconds=0, visibility_timeout=60)
        assert sorted(m.body for m in received) == ["one", "two"]
        assert backend.receive(32, wait_seconds=0, visibility_timeout=60) == []  # hidden
        assert backend.peek(10) == []
        assert backend.count() == 2  # in flight still counts
        one, two = sorted(received, key=lambda m: m.body)
        backend.change_visibility(one, 0)  # released now
        assert backend.peek(10) == ["one"]
        bogus = one._replace(receipt="AAAAAAAAAAAAAAAAAAAAAA==", message_id=str(uuid.uuid4()))
        failed = backend.delete([two, bogus])
        assert failed == [bogus]
        assert backend.delete([one]) == []  # the receipt changed with the update
        assert backend.count() == 0
    finally:
        backend.close()


def test_missing_queue(auth: AzureAuth) -> None:
    name = f"missing-{uuid.uuid4().hex[:12]}"
    with AzureStorageQueue(auth, name) as missing:
        assert not missing.push("lost", suppress_output=True)
        with pytest.raises(QueueNotFoundError, match=name):
            missing.count()
    with AzureStorageQueue(auth, name, create_if_missing=True) as created:
        assert created.push("kept", suppress_output=True)
        assert created.count() == 1
        created.clear()
    client = auth.queue_client(name)
    client.delete_queue()
    client.close()


def test_bad_arguments(auth: AzureAuth) -> None:
    with pytest.raises(ValueError, match="Bad_Queue"):
        AzureStorageQueue(auth, "Bad_Queue")
    with pytest.raises(TypeError, match="AzureAuth"):
        AzureStorageQueue("auth", "good-name")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="-5"):
        AzureStorageQueue(auth, "good-name", visibility_timeout=-5)
