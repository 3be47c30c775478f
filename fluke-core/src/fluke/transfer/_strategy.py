"""Reading a remote file: one streamed request, or concurrent ranged requests.

Which is faster depends on the network, not on the file alone. A ranged
read pays a round trip per wave of parts in flight and wins where one
connection is much slower than the link (a single connection to an object
store is capped far below what many give); one stream pays a single round
trip and wins where one connection already fills the link (a service on the
same host, or a fast link with a short round trip).

The engine measures this while it works. :class:`SourceEstimator` (one per
transfer, shared by its threads) records how long each copy from a remote
source took, by strategy, and derives an :class:`Estimate`: the round trip
(the fastest small copy), the throughput of one stream and the throughput
of a ranged copy (both with their round trips taken out). :func:`choose`
predicts both strategies' time for a file from that estimate and picks one:

- stream: ``rtt + size / stream_rate``
- ranges: ``(waves + 1) * rtt + size / ranged_rate``, where ``waves`` is the
  number of parts divided by the parts in flight, rounded up, and the extra
  round trip is the check of the source after the parts

Ranges are kept unless the stream is predicted faster by a margin. With no
measurement of ranged copies yet, a file of two parts or more is read in
ranges (the rule before this module: nothing changes for a transfer's first
big files). With ranged copies measured but no stream, one file is read as
a stream to measure it, and only when even the worst case (a stream as
slow as one of the parts the measured ranged copies had in flight at once)
costs at most a small share of the time the transfer has run so far. Files
copied at the same time share the part pool: a ranged copy that started
with eight others in flight had about a ninth of the pool, and its
measured rate is counted as the rate of that many parts.

Timings are of whole copies (the destination's write included): the choice
is about what the whole copy costs, whatever the slow side is.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

MiB = 1024 * 1024
#: A copy at most this big measures the round trip (its bytes take no time to speak of).
SMALL_COPY = 1 * MiB
#: A copy at least this big measures throughput.
RATE_SAMPLE_FROM = 4 * MiB
#: How much faster the stream must be predicted to be chosen over ranges.
MARGIN = 0.10
#: The worst an exploring stream may cost, as a share of the transfer's time so far.
EXPLORE_SHARE = 0.10
#: How many recent throughput samples the estimate averages, per strategy.
SAMPLES = 8
#: A copy's time with its round trips taken out is never counted below this share of it.
_FLOOR = 0.25


@dataclass(frozen=True)
class Estimate:
    """What has been measured of one transfer's source, at one moment."""

    #: seconds of the fastest small copy (an upper bound of the round trip), or ``None``
    rtt: float | None = None
    #: bytes/s of one streamed copy, its round trip taken out, or ``None``
    stream_rate: float | None = None
    #: bytes/s of a copy in ranged parts, its round trips taken out, or ``None``
    ranged_rate: float | None = None
    #: how many parts the measured ranged copies had in flight on average
    ranged_parallelism: float | None = None
    #: seconds since the transfer started
    elapsed: float = 0.0
    #: a stream was already started to measure one
    explored: bool = False


@dataclass(frozen=True)
class Choice:
    """The strategy for one file, and why (for the debug log)."""

    split: bool
    reason: str
    #: a stream chosen to measure it, not by prediction
    exploring: bool = False


def waves(size: int, part_size: int, in_flight: int) -> int:
    """How many rounds of ``in_flight`` concurrent parts a ranged copy takes."""
    return math.ceil(math.ceil(size / part_size) / max(1, in_flight))


def stream_seconds(size: int, rtt: float, rate: float) -> float:
    """Predicted seconds of one streamed copy."""
    return rtt + size / rate


def ranged_seconds(size: int, part_size: int, in_flight: int, rtt: float, rate: float) -> float:
    """Predicted seconds of a copy in ranged parts (each wave, then the source check)."""
    return (waves(size, part_size, in_flight) + 1) * rtt + size / rate


def choose(
    size: int,
    part_size: int,
    in_flight: int,
    estimate: Estimate,
    *,
    margin: float = MARGIN,
    explore_share: float = EXPLORE_SHARE,
) -> Choice:
    """Whether to read a file of ``size`` bytes in ranged parts (pure, deterministic).

    :param size: the file's size in bytes.
    :param part_size: the size of each ranged part.
    :param in_flight: how many parts are read at once.
    :param estimate: what has been measured so far.
    :param margin: how much faster (a share) the stream must be predicted.
    :param explore_share: the most an exploring stream may cost in the worst
        case, as a share of ``estimate.elapsed``.
    """
    if size < 2 * part_size:
        return Choice(False, "less than two parts")
    rtt = estimate.rtt or 0.0
    ranged_rate = estimate.ranged_rate
    if ranged_rate is None:
        return Choice(True, "no ranged copy measured yet")
    ranged = ranged_seconds(size, part_size, in_flight, rtt, ranged_rate)
    if estimate.stream_rate is None:
        if estimate.explored:
            return Choice(True, "no stream measured yet (one is under way)")
        parts = math.ceil(size / part_size)
        scaled = min(parts, max(1, in_flight), estimate.ranged_parallelism or math.inf)
        worst = stream_seconds(size, rtt, ranged_rate / max(1.0, scaled))
        if worst - ranged <= explore_share * estimate.elapsed:
            return Choice(False, "measuring one stream", exploring=True)
        return Choice(True, "no stream measured yet")
    stream = stream_seconds(size, rtt, estimate.stream_rate)
    reason = f"predicted stream {stream:.3f}s, ranges {ranged:.3f}s"
    if stream * (1 + margin) < ranged:
        return Choice(False, reason)
    return Choice(True, reason)


def _mean(values: deque[float]) -> float | None:
    return sum(values) / len(values) if values else None


class SourceEstimator:
    """Measurements of one transfer's remote source, shared by its threads.

    :param in_flight: how many ranged parts a copy reads at once (the size
        of the engine's part pool).
    :param clock: seconds, monotonic (a test passes its own).
    """

    def __init__(self, in_flight: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.in_flight = max(1, in_flight)
        self._clock = clock
        self._started = clock()
        self._lock = threading.Lock()
        self._rtt: float | None = None
        self._stream: deque[float] = deque(maxlen=SAMPLES)
        self._ranged: deque[float] = deque(maxlen=SAMPLES)
        self._parallelism: deque[float] = deque(maxlen=SAMPLES)
        self._explored = False
        self._copying = 0

    def estimate(self) -> Estimate:
        """What has been measured so far."""
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> Estimate:
        return Estimate(
            self._rtt,
            _mean(self._stream),
            _mean(self._ranged),
            _mean(self._parallelism),
            self._clock() - self._started,
            self._explored,
        )

    def decide(self, size: int, part_size: int) -> Choice:
        """:func:`choose` on the current estimate; at most one exploring stream is started."""
        with self._lock:
            choice = choose(size, part_size, self.in_flight, self._snapshot())
            if choice.exploring:
                self._explored = True
            return choice

    def begin(self) -> int:
        """A copy starts; returns how many are in flight, this one included.

        Every :meth:`begin` is followed by one :meth:`end`.
        """
        with self._lock:
            self._copying += 1
            return self._copying

    def end(self) -> int:
        """A copy counted by :meth:`begin` is over; returns how many were in flight with it."""
        with self._lock:
            self._copying -= 1
            return self._copying + 1

    def record_stream(self, nbytes: int, seconds: float) -> None:
        """A streamed copy of ``nbytes`` completed in ``seconds``."""
        if seconds <= 0:
            return
        with self._lock:
            if nbytes <= SMALL_COPY and (self._rtt is None or seconds < self._rtt):
                self._rtt = seconds
            if nbytes >= RATE_SAMPLE_FROM:
                net = max(seconds - (self._rtt or 0.0), _FLOOR * seconds)
                self._stream.append(nbytes / net)

    def record_ranges(self, nbytes: int, part_size: int, seconds: float, sharing: int = 1) -> None:
        """A copy of ``nbytes`` in ranged parts of ``part_size`` completed in ``seconds``.

        :param sharing: the copies in flight with it (itself included), the
            most of when it started and when it ended.
        """
        if seconds <= 0 or nbytes < RATE_SAMPLE_FROM:
            return
        parts = math.ceil(nbytes / part_size)
        with self._lock:
            self._parallelism.append(max(1.0, min(parts, self.in_flight / max(1, sharing))))
            trips = (waves(nbytes, part_size, self.in_flight) + 1) * (self._rtt or 0.0)
            self._ranged.append(nbytes / max(seconds - trips, _FLOOR * seconds))
