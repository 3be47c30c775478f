"""A bounded soak of a queue: producer and consumer processes, consumers killed at random.

Producers push ``messages`` distinct bodies between them. Consumers
``receive`` batches, append each body to their own log file (flushed to the
operating system before the ack, so a ``SIGKILL`` cannot lose a record of
something acked) and ack it. Meanwhile a random consumer is killed with
``SIGKILL`` every so often and replaced. At the end the logs say how many
messages were lost (never seen: must be 0) and how many were delivered more
than once (allowed: at-least-once), which the caller reports.
"""

from __future__ import annotations

import glob
import logging
import multiprocessing
import os
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from fluke.exceptions import LeaseLostError
from fluke.testing._targets import QueueTarget

__all__ = ["SoakResult", "run_soak"]

logger = logging.getLogger("fluke.testing.soak")


@dataclass
class SoakResult:
    """What a soak measured."""

    backend: str
    messages: int  #: messages pushed (all asked for unless the time limit cut producers)
    producers: int
    consumers: int
    received: int  #: deliveries recorded (duplicates included)
    unique: int
    remaining: int  #: still in the queue when the drain's time ran out (not lost)
    lost: int  #: pushed, never received, and not in the queue either
    duplicates: int  #: deliveries beyond the first, over all messages
    kills: int
    seconds: float

    def line(self) -> str:
        """One human-readable line."""
        return (
            f"soak {self.backend}: {self.messages} messages, {self.producers} producers, "
            f"{self.consumers} consumers, {self.kills} consumers killed: "
            f"lost={self.lost} duplicates={self.duplicates} remaining={self.remaining} "
            f"(received {self.received}, {self.seconds:.1f} s)"
        )


def _body(index: int) -> str:
    return f"soak-{index:07d}"


def _producer(target: QueueTarget, indices: range, log_path: str, stop: Any) -> None:
    queue = target.queue()
    with open(log_path, "a", encoding="utf-8") as log:
        for index in indices:
            if stop.is_set():
                break
            while not queue.push(_body(index), suppress_output=True):
                time.sleep(0.05)  # a failed push is retried
            log.write(_body(index) + "\n")  # pushed: from now on it must not be lost
            log.flush()
    queue.close()


def _consumer(target: QueueTarget, log_path: str, visibility_timeout: int, stop: Any) -> None:
    queue = target.queue()
    with open(log_path, "a", encoding="utf-8") as log:
        while not stop.is_set():
            for message in queue.receive(10, wait=0.5, visibility_timeout=visibility_timeout):
                log.write(message.body + "\n")
                log.flush()  # in the OS before the ack: a SIGKILL cannot lose it
                try:
                    message.ack()
                except LeaseLostError:
                    pass  # it timed out and will be delivered again: a duplicate
    queue.close()


def _drain(queue: Any, log_path: str, visibility_timeout: int) -> None:
    """Record and ack what is left (messages of killed consumers come back)."""
    deadline = time.monotonic() + visibility_timeout + 60
    # every consumer is gone: after one visibility timeout, whatever a killed one
    # held is visible again (a count may leave in-flight messages out)
    settled_at = time.monotonic() + visibility_timeout + 1
    with open(log_path, "a", encoding="utf-8") as log:
        while time.monotonic() < deadline:
            got = queue.receive(10, wait=1, visibility_timeout=visibility_timeout)
            if not got and queue.count() == 0 and time.monotonic() >= settled_at:
                return
            for message in got:
                log.write(message.body + "\n")
                log.flush()
                try:
                    message.ack()
                except LeaseLostError:
                    pass


def _read_logs(directory: str, kind: str = "consumer") -> Counter[str]:
    seen: Counter[str] = Counter()
    for path in glob.glob(os.path.join(directory, f"{kind}-*.log")):
        with open(path, encoding="utf-8") as log:
            text = log.read()
        lines = text.split("\n")
        seen.update(line for line in lines[:-1] if line)  # a torn last line is not a record
    return seen


def run_soak(
    target: QueueTarget,
    directory: str,
    *,
    backend: str,
    messages: int,
    producers: int = 4,
    consumers: int = 4,
    visibility_timeout: int = 3,
    kill_every: tuple[float, float] = (1.0, 2.5),
    time_limit: float = 60.0,
    seed: int | None = None,
) -> SoakResult:
    """Run the soak on ``target``'s (empty) queue; logs go to ``directory``.

    Stops when every message was seen and the queue is drained, or after
    ``time_limit`` seconds; then whatever is still in the queue is drained
    (recorded) by this process for up to a minute, and what is left after
    that is counted as ``remaining`` (slow, not lost). A message pushed,
    never received and no longer in the queue is lost.
    """
    context = multiprocessing.get_context("fork")
    rng = random.Random(seed)
    stop = context.Event()
    started = time.monotonic()
    share = -(-messages // producers)
    done_producing = context.Event()
    makers = [
        context.Process(
            target=_producer,
            args=(
                target,
                range(i * share, min(messages, (i + 1) * share)),
                os.path.join(directory, f"producer-{i}.log"),
                done_producing,
            ),
            daemon=True,
        )
        for i in range(producers)
    ]
    generation = 0

    def start_consumer(slot: int) -> Any:
        nonlocal generation
        generation += 1
        path = os.path.join(directory, f"consumer-{slot}-{generation}.log")
        process = context.Process(
            target=_consumer, args=(target, path, visibility_timeout, stop), daemon=True
        )
        process.start()
        return process

    for process in makers:
        process.start()
    workers = [start_consumer(slot) for slot in range(consumers)]
    kills = 0
    next_kill = time.monotonic()  # the first kill comes at once, however fast the queue
    all_seen_at: float | None = None
    queue = target.queue()
    try:
        while time.monotonic() - started < time_limit:
            time.sleep(0.5)
            now = time.monotonic()
            if all_seen_at is None and now >= next_kill:
                slot = rng.randrange(consumers)
                victim = workers[slot]
                if victim.pid is not None and victim.is_alive():
                    os.kill(victim.pid, signal.SIGKILL)
                    victim.join(5)
                    kills += 1
                workers[slot] = start_consumer(slot)
                next_kill = now + rng.uniform(*kill_every)
            if all_seen_at is None:
                if len(_read_logs(directory)) >= messages:  # (each body is pushed once)
                    all_seen_at = now  # stop killing; let in-flight leftovers drain
            elif queue.count() == 0 or now - all_seen_at > visibility_timeout + 5:
                break
    finally:
        done_producing.set()  # past the time limit: producers stop where they are
        stop.set()
        for process in [*makers, *workers]:
            process.join(30)
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGKILL)
                process.join(5)
    try:
        _drain(queue, os.path.join(directory, "consumer-drain-0.log"), visibility_timeout)
        remaining = queue.count()
    finally:
        queue.close()
    seen = _read_logs(directory)
    pushed = set(_read_logs(directory, "producer"))
    unique = len(pushed & set(seen))
    received = sum(seen.values())
    result = SoakResult(
        backend=backend,
        messages=len(pushed),
        producers=producers,
        consumers=consumers,
        received=received,
        unique=unique,
        remaining=remaining,
        lost=max(0, len(pushed) - unique - remaining),
        duplicates=received - len(seen),
        kills=kills,
        seconds=time.monotonic() - started,
    )
    logger.warning("%s", result.line())
    return result
