"""SQS-specific behaviour: batch deletes, visibility, size limit, purge, errors."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from fluke.backend import ReceivedMessage
from fluke.exceptions import MessageTooLargeError
from fluke_aws.auth import AWSAuth
from fluke_aws.queues import AmazonSQSQueue, QueueNotFoundError, SQSBackend


def backend_of(queue: AmazonSQSQueue) -> SQSBackend:
    backend = queue._backend
    assert isinstance(backend, SQSBackend)
    return backend


@pytest.fixture
def queue(auth: AWSAuth, queue_name: str) -> Any:
    with AmazonSQSQueue(auth, queue_name) as opened:
        yield opened


def test_batch_delete_reports_failed_entries(queue: AmazonSQSQueue) -> None:
    backend = backend_of(queue)
    for index in range(3):
        assert queue.push(f"m{index}", suppress_output=True)
    received = backend.receive(10, wait_seconds=1, visibility_timeout=30)
    assert len(received) == 3
    stale = ReceivedMessage(received[1].body, "not-a-valid-receipt-handle", received[1].message_id)
    failed = backend.delete([received[0], stale, received[2]])
    assert failed == [stale]  # the refused entry is not reported as done
    assert queue.count() == 1  # the other two are really gone


def test_deletes_go_in_batches_of_ten(queue: AmazonSQSQueue, sqs: Any) -> None:
    backend = backend_of(queue)
    assert backend.send_batch([f"b{index:02d}" for index in range(25)]) == []
    received: list[ReceivedMessage] = []
    while len(received) < 25:
        got = backend.receive(10, wait_seconds=1, visibility_timeout=60)
        assert got
        received.extend(got)
    assert backend.delete(received) == []
    assert queue.count() == 0


def test_poll_returns_exactly_num_messages(queue: AmazonSQSQueue) -> None:
    backend_of(queue).send_batch([f"p{index:02d}" for index in range(30)])
    got = [m for batch in queue.poll(num_messages=27, batch_size=10) for m in batch]
    assert len(got) == 27 and len(set(got)) == 27
    assert queue.count() == 3


def test_change_visibility_releases_a_message(queue: AmazonSQSQueue) -> None:
    backend = backend_of(queue)
    queue.push("hidden", suppress_output=True)
    (message,) = backend.receive(1, wait_seconds=1, visibility_timeout=300)
    assert queue.peek() == []
    assert queue.count() == 1  # in flight still counts
    backend.change_visibility(message, 0)
    assert queue.peek() == ["hidden"]


def test_message_size_limit_comes_from_the_queue(auth: AWSAuth, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="fluke-small", Attributes={"MaximumMessageSize": "1024"})[
        "QueueUrl"
    ]
    try:
        with AmazonSQSQueue(auth, "fluke-small") as small:
            assert backend_of(small).max_message_bytes() == 1024
            with pytest.raises(MessageTooLargeError, match="1025") as info:
                small.push("x" * 1025)
            assert "fluke-small" in str(info.value)
            with pytest.raises(MessageTooLargeError, match="1026"):
                small.push("é" * 513)  # 1026 encoded bytes
            assert small.count() == 0  # nothing was sent
            assert small.push("x" * 1024, suppress_output=True)
            assert small.count() == 1
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_clear_twice_falls_back_when_purge_is_rate_limited(
    queue: AmazonSQSQueue, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="fluke.aws")
    backend = backend_of(queue)
    backend.send_batch(["a", "b", "c"])
    queue.clear()
    assert queue.count() == 0
    backend.send_batch(["d", "e"])
    queue.clear()  # a second purge within 60 s is refused: receive + delete
    assert queue.count() == 0
    assert "already in progress" in caplog.text


def test_missing_queue(auth: AWSAuth) -> None:
    queue = AmazonSQSQueue(auth, "fluke-no-such-queue")  # lazy: nothing sent yet
    with pytest.raises(QueueNotFoundError, match="fluke-no-such-queue"):
        queue.open()
    with pytest.raises(QueueNotFoundError, match="fluke-no-such-queue"):
        queue.count()
    with pytest.raises(QueueNotFoundError, match="fluke-no-such-queue"):
        queue.push("lost", suppress_output=True)  # the size check reads the queue first
    queue.close()


def test_queue_by_url_and_names(auth: AWSAuth, queue_name: str, sqs: Any) -> None:
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    with AmazonSQSQueue(auth, url) as by_url, AmazonSQSQueue(auth, queue_name) as by_name:
        assert by_url.get_name() == queue_name == by_name.get_name()
        assert by_name.get_url() == url
        by_url.push("via url", suppress_output=True)
        assert by_name.peek() == ["via url"]
        assert repr(by_name) == f"AmazonSQSQueue({queue_name!r})"


def test_close_releases_the_client(auth: AWSAuth, queue_name: str) -> None:
    queue = AmazonSQSQueue(auth, queue_name)
    assert not backend_of(queue).is_connected()
    queue.open()
    assert backend_of(queue).is_connected() and queue.is_open()
    queue.close()
    assert not backend_of(queue).is_connected() and not queue.is_open()
    assert queue.count() == 0  # reconnects lazily
    queue.close()


def test_bad_arguments(auth: AWSAuth) -> None:
    with pytest.raises(ValueError, match="''"):
        AmazonSQSQueue(auth, "")
    with pytest.raises(TypeError, match="AWSAuth"):
        AmazonSQSQueue("not-an-auth", "q")  # type: ignore[arg-type]
