"""Queue conformance, issue 13: one message lifecycle, dead letters, claim-check.

:class:`QueueLifecycleSuite` is mixed into :class:`~fluke.testing.QueueSuite`,
so every queue backend runs it. Its tests need the target's
:meth:`~fluke.testing.QueueTarget.queue_with` (a queue built with constructor
options) and :meth:`~fluke.testing.QueueTarget.other_queue`; a target without
them skips these tests.

Timing-based tests use visibility timeouts of one to a few seconds, so the
whole mixin runs in well under a minute per backend.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import signal
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest

from fluke._claimcheck import POINTER_CLASS, Pointer, format_pointer
from fluke._dir import Dir
from fluke._message import Message
from fluke._queue import Queue
from fluke.exceptions import MessageSettledError, PayloadNotFoundError
from fluke.local import LocalDir
from fluke.testing._soak import run_soak
from fluke.testing._targets import QueueTarget

#: Bigger than every backend's limit (SQS up to 1 MiB, as moto's default,
#: Azure 64 KiB encoded, the local queue's 256 KiB claim-check threshold).
BIG = 1024 * 1024 + 64 * 1024


def big_text(seed: str) -> str:
    """A message of about :data:`BIG` UTF-8 bytes (not only ASCII)."""
    unit = f"{seed}:é✓-"
    return (unit * (BIG // len(unit) + 1))[:BIG] + seed  # >= BIG bytes


def files_in(directory: Dir) -> list[str]:
    """The files directly in ``directory``."""
    return sorted(directory.get_contents())


def receive_one(queue: Queue, wait: float = 5, visibility_timeout: int = 30) -> Message:
    """The next message, waiting up to ``wait`` seconds for it."""
    got = queue.receive(1, wait=wait, visibility_timeout=visibility_timeout)
    assert len(got) == 1, got
    return got[0]


def _lease_worker(target: QueueTarget, ready: Any, visibility_timeout: int) -> None:
    """A worker process: receive one message and hold it in a lease until killed."""
    queue = target.queue()
    message = receive_one(queue, wait=10, visibility_timeout=visibility_timeout)
    with queue.lease(message):
        ready.set()
        time.sleep(120)


class QueueLifecycleSuite:
    """ack / nack / extend / delivery_count / lease, dead letters and claim-check."""

    #: Messages the soak moves. Issue 13 asks for 5,000; on CI's two shared
    #: cores that takes minutes per backend, so the default is smaller and
    #: ``FLUKE_SOAK_MESSAGES=5000`` runs the full soak.
    soak_messages: int = 400
    #: Seconds after which producers and consumers stop (the rest is drained);
    #: ``FLUKE_SOAK_SECONDS`` overrides it.
    soak_time_limit: float = 60.0

    @pytest.fixture
    def payload_dir(self) -> Iterator[Dir]:
        """An empty local Dir for claim-check payloads (works with every queue)."""
        with tempfile.TemporaryDirectory(prefix="fluke-payloads-") as root:
            yield LocalDir(root)

    # -- one message lifecycle ----------------------------------------------

    def test_receive_and_ack(self, queue: Queue) -> None:
        for text in ("one", "two", "three"):
            assert queue.push(text, suppress_output=True)
        received: list[Message] = []
        while len(received) < 3:
            got = queue.receive(10, wait=5, visibility_timeout=30)
            assert got
            received.extend(got)
        assert sorted(m.body for m in received) == ["one", "three", "two"]
        assert all(m.delivery_count == 1 for m in received)
        assert len({m.id for m in received}) == 3 and all(m.id for m in received)
        assert queue.receive(10, visibility_timeout=30) == []  # all in flight
        for message in received:
            message.ack()
            assert message.settled == "acked"
        assert queue.count() == 0

    def test_nack_redelivers_with_a_higher_count(self, queue: Queue) -> None:
        assert queue.push("again", suppress_output=True)
        first = receive_one(queue, visibility_timeout=60)
        assert first.delivery_count == 1
        first.nack()
        second = receive_one(queue)
        assert (second.id, second.body, second.delivery_count) == (first.id, "again", 2)
        second.ack()
        assert queue.count() == 0

    def test_nack_with_delay(self, queue: Queue) -> None:
        assert queue.push("later", suppress_output=True)
        receive_one(queue, visibility_timeout=60).nack(delay=2)
        started = time.monotonic()
        assert queue.receive(1, visibility_timeout=30) == []
        again = receive_one(queue, wait=10)
        assert time.monotonic() - started >= 1
        assert again.body == "later" and again.delivery_count == 2
        again.ack()

    def test_settling_one_of_a_batch_leaves_the_others_alone(self, queue: Queue) -> None:
        for text in ("first", "second", "third"):
            assert queue.push(text, suppress_output=True)
        batch: list[Message] = []
        while len(batch) < 3:
            got = queue.receive(10, wait=5, visibility_timeout=60)
            assert got
            batch.extend(got)
        by_body = {m.body: m for m in batch}
        by_body["first"].extend(30)
        by_body["second"].nack()
        by_body["third"].ack()
        by_body["first"].ack()  # its receipt was renewed by extend; the others' were not
        again = receive_one(queue)
        assert again.body == "second" and again.delivery_count == 2
        again.ack()
        assert queue.count() == 0

    def test_expired_visibility_redelivers(self, queue: Queue) -> None:
        assert queue.push("slow", suppress_output=True)
        first = receive_one(queue, visibility_timeout=1)
        second = receive_one(queue, wait=10)
        assert (second.id, second.delivery_count) == (first.id, 2)
        second.ack()

    def test_extend_keeps_a_message_hidden(self, queue: Queue) -> None:
        assert queue.push("long job", suppress_output=True)
        message = receive_one(queue, visibility_timeout=2)
        message.extend(30)
        time.sleep(3)
        assert queue.receive(1, wait=0, visibility_timeout=30) == []
        message.ack()
        assert queue.count() == 0

    def test_a_message_is_settled_once(self, queue: Queue) -> None:
        assert queue.push("once", suppress_output=True)
        message = receive_one(queue)
        message.ack()
        for settle in (message.ack, message.nack, lambda: message.extend(5)):
            with pytest.raises(MessageSettledError, match="acked"):
                settle()

    def test_bad_arguments_are_refused_before_receiving(self, queue: Queue) -> None:
        assert queue.push("untouched", suppress_output=True)
        for kwargs in (
            {"max_messages": 0},
            {"max_messages": True},
            {"wait": -1},
            {"wait": float("nan")},
            {"visibility_timeout": 1.5},
            {"visibility_timeout": -1},
        ):
            with pytest.raises(ValueError, match=r"max_messages|wait|visibility_timeout"):
                queue.receive(**kwargs)
        message = receive_one(queue)
        with pytest.raises(ValueError, match="delay"):
            message.nack(delay=-1)
        with pytest.raises(ValueError, match="seconds"):
            message.extend(0)
        with pytest.raises(TypeError, match="Message"):
            queue.lease("untouched")  # type: ignore[arg-type]
        assert message.settled is None
        message.ack()

    def test_constructor_options_are_checked(self, target: QueueTarget) -> None:
        with pytest.raises(ValueError, match="max_deliveries"):
            target.queue_with(max_deliveries=0)
        with pytest.raises(ValueError, match="max_deliveries"):
            target.queue_with(dead_letter=target.queue())
        with pytest.raises(TypeError, match="dead_letter"):
            target.queue_with(max_deliveries=2, dead_letter="poison")
        with pytest.raises(TypeError, match="large_payloads"):
            target.queue_with(large_payloads="/tmp")

    # -- lease ---------------------------------------------------------------

    def test_lease_acks_on_success_and_renews(self, queue: Queue) -> None:
        assert queue.push("leased", suppress_output=True)
        message = receive_one(queue, visibility_timeout=2)
        with queue.lease(message) as held:
            assert held is message
            time.sleep(4)  # twice the visibility timeout: only renewals keep it hidden
            assert queue.receive(1, wait=0, visibility_timeout=30) == []
        assert message.settled == "acked"
        assert queue.count() == 0

    def test_lease_nacks_on_an_exception(self, queue: Queue) -> None:
        assert queue.push("fails", suppress_output=True)
        message = receive_one(queue, visibility_timeout=60)
        with pytest.raises(RuntimeError, match="boom"), queue.lease(message):
            raise RuntimeError("boom")
        assert message.settled == "nacked"
        again = receive_one(queue, wait=5)  # at once, not after 60 s
        assert again.delivery_count == 2
        again.ack()

    def test_lease_leaves_a_message_settled_inside_alone(self, queue: Queue) -> None:
        assert queue.push("manual", suppress_output=True)
        message = receive_one(queue)
        with queue.lease(message):
            message.nack()
        assert message.settled == "nacked"
        receive_one(queue).ack()

    def _run_lease_worker(self, target: QueueTarget, visibility_timeout: int) -> Any:
        context = multiprocessing.get_context("fork")
        ready = context.Event()
        worker = context.Process(
            target=_lease_worker, args=(target, ready, visibility_timeout), daemon=True
        )
        worker.start()
        assert ready.wait(30), "the worker never received the message"
        return worker

    def test_worker_killed_mid_lease_gives_the_message_back(
        self, target: QueueTarget, queue: Queue
    ) -> None:
        assert queue.push("job", suppress_output=True)
        worker = self._run_lease_worker(target, visibility_timeout=2)
        try:
            time.sleep(4)  # the heartbeat keeps it hidden past its timeout
            assert queue.receive(1, wait=0, visibility_timeout=30) == []
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.join(10)
        back = receive_one(queue, wait=10)  # back once the last renewal expires
        assert back.body == "job" and back.delivery_count == 2
        back.ack()

    def test_sigterm_mid_lease_nacks_at_once(self, target: QueueTarget, queue: Queue) -> None:
        assert queue.push("job", suppress_output=True)
        worker = self._run_lease_worker(target, visibility_timeout=60)
        os.kill(worker.pid, signal.SIGTERM)
        worker.join(20)
        assert worker.exitcode == 128 + signal.SIGTERM
        back = receive_one(queue, wait=5)  # nacked: not hidden for 60 s
        assert back.body == "job" and back.delivery_count == 2
        back.ack()

    # -- dead letters --------------------------------------------------------

    def test_dead_letter_after_max_deliveries_and_redrive(self, target: QueueTarget) -> None:
        dead = target.other_queue("dlq")
        with target.queue_with(max_deliveries=2, dead_letter=dead) as queue:
            assert queue.push("poison", suppress_output=True)
            assert queue.push("fine", suppress_output=True)
            for delivery in (1, 2):
                got = {m.body: m for m in queue.receive(10, wait=5, visibility_timeout=30)}
                assert got["poison"].delivery_count == delivery
                got["poison"].nack()
                if "fine" in got:
                    got["fine"].ack()
            assert queue.receive(10, wait=1, visibility_timeout=30) == []  # third: moved
            assert dead.peek() == ["poison"]
            assert queue.count() == 0
            assert queue.redrive(dead) == 1
            assert dead.count() == 0
            back = receive_one(queue)
            assert back.body == "poison" and back.delivery_count == 1
            back.ack()
        dead.close()

    def test_poll_dead_letters_too(self, target: QueueTarget) -> None:
        dead = target.other_queue("dlq")
        with target.queue_with(max_deliveries=1, dead_letter=dead) as queue:
            assert queue.push("bad", suppress_output=True)
            receive_one(queue).nack()
            assert list(queue.poll(suppress_output=True)) == []
            assert dead.peek() == ["bad"]
        dead.close()

    def test_default_dead_letter_queue_is_named_poison(self, target: QueueTarget) -> None:
        with target.queue_with(max_deliveries=1) as queue:
            assert queue.push("bad", suppress_output=True)
            receive_one(queue).nack()
            assert queue.receive(1, wait=1) == []
            poison = queue.dead_letter_queue()
            assert poison.get_name() == queue.get_name() + "-poison"
            assert poison.peek() == ["bad"]
            poison.clear()

    # -- claim-check ---------------------------------------------------------

    def test_claim_check_round_trip(self, target: QueueTarget, payload_dir: Dir) -> None:
        text = big_text("round")
        with target.queue_with(large_payloads=payload_dir) as queue:
            assert queue.push("small", suppress_output=True)
            assert files_in(payload_dir) == []  # small messages go as they are
            assert queue.push(text, suppress_output=True)
            assert len(files_in(payload_dir)) == 1
            assert sorted(queue.peek(), key=len) == ["small", text]
            assert len(files_in(payload_dir)) == 1  # peek keeps the payload
            received: dict[str, Message] = {}
            while len(received) < 2:
                got = queue.receive(10, wait=5)
                assert got
                received.update({m.body[:5]: m for m in got})
            big = received[text[:5]]
            assert big.body == text
            assert big.raw_body.startswith(f'["{POINTER_CLASS}"')
            big.nack()
            assert len(files_in(payload_dir)) == 1  # nack keeps it for the next delivery
            received["small"].ack()
            again = receive_one(queue)
            assert again.body == text
            again.ack()
            assert files_in(payload_dir) == []  # ack deletes the payload

    def test_claim_check_through_poll(self, target: QueueTarget, payload_dir: Dir) -> None:
        texts = [big_text(f"poll{index}") for index in range(2)]
        with target.queue_with(large_payloads=payload_dir) as queue:
            for text in texts:
                assert queue.push(text, suppress_output=True)
            got = [m for batch in queue.poll(suppress_output=True) for m in batch]
            assert sorted(got) == sorted(texts)
            assert files_in(payload_dir) == []
            assert queue.count() == 0

    def test_missing_payload_is_a_per_message_error(
        self, target: QueueTarget, payload_dir: Dir
    ) -> None:
        with target.queue_with(large_payloads=payload_dir) as queue:
            assert queue.push(big_text("lost"), suppress_output=True)
            assert queue.push("ok", suppress_output=True)
            (stored,) = files_in(payload_dir)
            os.remove(os.path.join(payload_dir.get_path(), stored))
            received: list[Message] = []
            while len(received) < 2:
                got = queue.receive(10, wait=5, visibility_timeout=2)
                assert got
                received.extend(got)
            broken = [m for m in received if m.error is not None]
            fine = [m for m in received if m.error is None]
            assert [m.body for m in fine] == ["ok"]
            assert len(broken) == 1
            with pytest.raises(PayloadNotFoundError, match=stored) as info:
                broken[0].body  # noqa: B018 - the property raises
            assert broken[0].id in str(info.value)
            fine[0].ack()
            # poll skips it (it stays in the queue) and delivers the rest
            assert queue.push("next", suppress_output=True)
            time.sleep(2.5)  # the broken one is visible again
            polled = [text for batch in queue.poll(suppress_output=True) for text in batch]
            assert polled == ["next"]

    def test_pointer_outside_the_payload_dir_is_not_followed(
        self, target: QueueTarget, payload_dir: Dir
    ) -> None:
        outside = format_pointer(Pointer("", "/etc/passwd"))
        with target.queue_with(large_payloads=payload_dir) as queue:
            assert queue.push(outside, suppress_output=True)
            message = receive_one(queue)
            with pytest.raises(PayloadNotFoundError, match="not inside"):
                message.body  # noqa: B018
            message.ack()  # deletes the message, never the file it names
        assert os.path.exists("/etc/passwd")

    # -- soak ----------------------------------------------------------------

    def test_soak_kills_consumers_and_loses_nothing(
        self, target: QueueTarget, tmp_path: Any, record_property: Any
    ) -> None:
        """4 producers and 4 consumers; consumers SIGKILLed at random (at-least-once)."""
        messages = int(os.environ.get("FLUKE_SOAK_MESSAGES", self.soak_messages))
        seconds = float(os.environ.get("FLUKE_SOAK_SECONDS", self.soak_time_limit))
        result = run_soak(
            target,
            str(tmp_path),
            backend=type(self).__name__,
            messages=messages,
            time_limit=seconds,
        )
        print(result.line())  # noqa: T201 - the soak's report (pytest -s / the junit XML)
        record_property("soak", result.line())
        report = os.environ.get("FLUKE_SOAK_REPORT")
        if report:
            with open(report, "a", encoding="utf-8") as out:
                out.write(json.dumps(dataclasses.asdict(result)) + "\n")
        assert result.messages > 0 and result.kills > 0
        assert result.lost == 0, result.line()
        assert result.remaining == 0, f"the queue was not drained in time: {result.line()}"
