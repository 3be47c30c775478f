"""The queue conformance suite: behaviour every queue backend shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fluke._queue import Queue
from fluke.testing._lifecycle_suite import QueueLifecycleSuite
from fluke.testing._targets import QueueTarget


class QueueSuite(QueueLifecycleSuite):
    """Subclass in a backend package and provide the ``target`` fixture.

    It includes :class:`~fluke.testing._lifecycle_suite.QueueLifecycleSuite`
    (issue 13: receive/ack/nack/extend/lease, dead letters, claim-check).
    """

    @pytest.fixture
    def target(self) -> QueueTarget:
        """A :class:`QueueTarget` on a fresh queue of a real server."""
        raise NotImplementedError("a backend's test class provides this fixture")

    @pytest.fixture
    def queue(self, target: QueueTarget) -> Iterator[Queue]:
        """The fresh queue, opened."""
        with target.queue() as queue:
            yield queue

    @staticmethod
    def fill(queue: Queue, count: int) -> list[str]:
        messages = [f"message-{index:03d}" for index in range(count)]
        for message in messages:
            assert queue.push(message, suppress_output=True)
        return messages

    def test_open_close_and_name(self, target: QueueTarget) -> None:
        queue = target.queue()
        assert not queue.is_open()
        queue.open()
        assert queue.is_open() and queue.get_name()
        queue.close()
        assert not queue.is_open()

    def test_push_peek_count(self, queue: Queue) -> None:
        assert queue.count() == 0
        assert queue.peek() == []
        messages = self.fill(queue, 3)
        assert queue.count() == 3
        assert sorted(queue.peek()) == messages
        assert queue.count() == 3  # peek neither deletes nor hides

    def test_peek_at_most_ten(self, queue: Queue) -> None:
        self.fill(queue, 12)
        assert 1 <= len(queue.peek()) <= 10

    def test_poll_until_empty(self, queue: Queue) -> None:
        messages = self.fill(queue, 23)
        batches = list(queue.poll(batch_size=5, suppress_output=True))
        assert all(1 <= len(batch) <= 5 for batch in batches)
        assert sorted(m for batch in batches for m in batch) == messages
        assert queue.count() == 0

    def test_poll_exact_number(self, queue: Queue) -> None:
        self.fill(queue, 15)
        received = [m for batch in queue.poll(num_messages=12, suppress_output=True) for m in batch]
        assert len(received) == 12
        assert queue.count() == 3

    def test_failed_batch_is_not_lost(self, queue: Queue) -> None:
        self.fill(queue, 4)
        with pytest.raises(RuntimeError):
            for _batch in queue.poll(batch_size=2, suppress_output=True):
                raise RuntimeError("processing failed")
        assert queue.count() == 4  # the batch in flight was not deleted

    def test_pre_delivery_delete(self, queue: Queue) -> None:
        self.fill(queue, 4)
        with pytest.raises(RuntimeError):
            for _batch in queue.poll(batch_size=2, pre_delivery_delete=True):
                raise RuntimeError("processing failed")
        assert queue.count() == 2

    def test_clear(self, queue: Queue) -> None:
        self.fill(queue, 5)
        queue.clear(suppress_output=True)
        assert queue.count() == 0
        assert list(queue.poll(suppress_output=True)) == []

    def test_unicode_round_trip(self, queue: Queue) -> None:
        text = 'ünïcödé ✓ <xml & stuff> "quotes"'
        assert queue.push(text)
        assert [m for batch in queue.poll() for m in batch] == [text]

    def test_bad_input(self, queue: Queue) -> None:
        with pytest.raises(TypeError, match="bytes"):
            queue.push(b"raw")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="0"):
            queue.poll(batch_size=0)
        with pytest.raises(ValueError, match="-1"):
            queue.poll(num_messages=-1)
        assert queue.count() == 0

    # -- issue 17: bad input refused before anything is sent or received -----

    def test_non_utf8_message_is_refused_before_sending(self, queue: Queue) -> None:
        from fluke.exceptions import InvalidMessageError

        undecodable = b"caf\xff".decode("utf-8", "surrogateescape")  # what argv gives
        for message in (undecodable, "lone \ud800 surrogate"):
            with pytest.raises(InvalidMessageError, match=r"0xff|\\ud800") as caught:
                queue.push(message, suppress_output=True)
            assert isinstance(caught.value, ValueError)
            str(caught.value).encode("utf-8")  # the error itself is printable
        assert queue.count() == 0 and queue.peek() == []

    @pytest.mark.parametrize("frequency", [float("nan"), float("inf"), -1.0])
    def test_bad_polling_frequency_is_refused_before_receiving(
        self, queue: Queue, frequency: float
    ) -> None:
        self.fill(queue, 3)
        with pytest.raises(ValueError, match=repr(frequency)):
            queue.poll(polling_frequency=frequency)
        assert queue.count() == 3  # nothing was received or deleted
