"""The choice between one streamed read and ranged reads (fluke.transfer._strategy).

Pure and deterministic: the estimator runs on a fake clock, no time is measured.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from fluke.transfer._strategy import (
    Estimate,
    SourceEstimator,
    choose,
    ranged_seconds,
    stream_seconds,
    waves,
)

MiB = 1024 * 1024
PART = 8 * MiB


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_waves_round_up() -> None:
    assert waves(64 * MiB, PART, 16) == 1
    assert waves(64 * MiB, PART, 8) == 1
    assert waves(64 * MiB + 1, PART, 8) == 2
    assert waves(64 * MiB, PART, 3) == 3
    assert waves(64 * MiB, PART, 0) == 8  # never divides by zero


def test_predictions() -> None:
    assert stream_seconds(100, 0.5, 100.0) == pytest.approx(1.5)
    # two waves of parts and the source check: three round trips
    assert ranged_seconds(16 * MiB, PART, 1, 0.5, float(MiB)) == pytest.approx(1.5 + 16)


def test_less_than_two_parts_is_one_stream() -> None:
    for estimate in (Estimate(), Estimate(0.001, 1e9, 1.0)):
        assert not choose(2 * PART - 1, PART, 16, estimate).split


def test_nothing_measured_keeps_ranges() -> None:
    """The rule before measurements: a first big file is read in ranges."""
    assert choose(2 * PART, PART, 16, Estimate()).split
    assert choose(1024 * MiB, PART, 16, Estimate(rtt=0.02, stream_rate=1e9)).split


def test_a_fast_single_connection_streams() -> None:
    """Loopback-like: one connection fills the link; splitting only costs (0.08 s vs 0.10 s)."""
    estimate = Estimate(rtt=0.001, stream_rate=800e6, ranged_rate=640e6)
    choice = choose(64 * MiB, PART, 16, estimate)
    assert not choice.split
    assert "predicted" in choice.reason


def test_a_capped_single_connection_uses_ranges() -> None:
    """Object-store-like: one connection far slower than parts in flight."""
    estimate = Estimate(rtt=0.02, stream_rate=80e6, ranged_rate=600e6)
    assert choose(64 * MiB, PART, 16, estimate).split


def test_the_margin_favours_ranges() -> None:
    """Within the margin, ranges (the measured default) are kept."""
    size = 64 * MiB
    assert choose(size, PART, 16, Estimate(0.0, 100e6, 100e6)).split
    # a stream predicted 5 % faster is not 10 % faster
    assert choose(size, PART, 16, Estimate(0.0, 105e6, 100e6)).split
    assert not choose(size, PART, 16, Estimate(0.0, 105e6, 100e6), margin=0.0).split
    assert not choose(size, PART, 16, Estimate(0.0, 120e6, 100e6)).split


def test_round_trips_decide_between_equal_rates() -> None:
    """More waves of parts, more round trips: a long round trip favours the stream."""
    rate = 200e6
    many_waves = Estimate(rtt=0.08, stream_rate=rate, ranged_rate=rate)
    assert not choose(512 * MiB, PART, 2, many_waves).split
    no_trips = Estimate(rtt=0.0, stream_rate=rate, ranged_rate=rate * 1.05)
    assert choose(512 * MiB, PART, 2, no_trips).split


def test_bigger_files_tip_towards_ranges_when_ranges_are_faster() -> None:
    """Round trips are a fixed cost: the throughput gap grows with the size."""
    estimate = Estimate(rtt=0.1, stream_rate=100e6, ranged_rate=150e6)
    assert not choose(16 * MiB, PART, 16, estimate).split
    assert choose(1024 * MiB, PART, 16, estimate).split


def test_exploring_a_stream_is_bounded_by_the_time_so_far() -> None:
    ranged_only = Estimate(rtt=0.01, ranged_rate=400e6, elapsed=0.5)
    assert choose(64 * MiB, PART, 16, ranged_only).split  # could cost ~1.2 s: too early
    later = Estimate(rtt=0.01, ranged_rate=400e6, elapsed=60.0)
    choice = choose(64 * MiB, PART, 16, later)
    assert not choice.split and choice.exploring
    under_way = Estimate(rtt=0.01, ranged_rate=400e6, elapsed=60.0, explored=True)
    assert choose(64 * MiB, PART, 16, under_way).split


def test_estimator_starts_with_nothing() -> None:
    estimator = SourceEstimator(16, clock=Clock())
    assert estimator.estimate() == Estimate(None, None, None, None, 0.0, False)
    assert estimator.decide(64 * MiB, PART).split


def test_estimator_measures_rtt_from_small_copies_only() -> None:
    estimator = SourceEstimator(16, clock=Clock())
    estimator.record_stream(16 * 1024, 0.03)
    estimator.record_stream(16 * 1024, 0.02)
    estimator.record_stream(16 * 1024, 0.05)
    estimator.record_stream(12 * MiB, 0.01)  # big: a throughput, not a round trip
    estimator.record_stream(16 * 1024, 0.0)  # no time at all: ignored
    assert estimator.estimate().rtt == pytest.approx(0.02)


def test_estimator_takes_round_trips_out_of_throughput() -> None:
    estimator = SourceEstimator(4, clock=Clock())
    estimator.record_stream(1024, 0.1)  # rtt 0.1
    estimator.record_stream(10 * MiB, 1.1)  # one trip + 1.0 s of bytes
    estimator.record_ranges(32 * MiB, PART, 1.2)  # 1 wave + check: 0.2 s of trips
    estimate = estimator.estimate()
    assert estimate.stream_rate == pytest.approx(10 * MiB)
    assert estimate.ranged_rate == pytest.approx(32 * MiB)


def test_estimator_never_counts_a_copy_faster_than_four_times_its_time() -> None:
    """An over-estimated round trip cannot make a rate explode."""
    estimator = SourceEstimator(4, clock=Clock())
    estimator.record_stream(1024, 1.0)
    estimator.record_stream(8 * MiB, 1.0)
    assert estimator.estimate().stream_rate == pytest.approx(32 * MiB)


def test_estimator_averages_recent_samples() -> None:
    estimator = SourceEstimator(4, clock=Clock())
    for seconds in (1.0, 0.5):
        estimator.record_ranges(16 * MiB, PART, seconds)
    assert estimator.estimate().ranged_rate == pytest.approx((16 + 32) / 2 * MiB)
    for _ in range(20):
        estimator.record_ranges(16 * MiB, PART, 2.0)
    assert estimator.estimate().ranged_rate == pytest.approx(8 * MiB)


def test_estimator_explores_one_stream_at_a_time() -> None:
    clock = Clock()
    estimator = SourceEstimator(16, clock=clock)
    estimator.record_stream(1024, 0.01)
    estimator.record_ranges(64 * MiB, PART, 0.3)
    assert estimator.decide(64 * MiB, PART).split  # too early to risk a stream
    clock.now += 120.0
    first = estimator.decide(64 * MiB, PART)
    assert not first.split and first.exploring
    assert estimator.decide(64 * MiB, PART).split  # the measurement is under way
    estimator.record_stream(64 * MiB, 0.2)  # it came back fast: streams from now on
    after = estimator.decide(64 * MiB, PART)
    assert not after.split and not after.exploring


def test_estimator_is_shared_by_threads() -> None:
    clock = Clock()
    estimator = SourceEstimator(16, clock=clock)
    estimator.record_ranges(64 * MiB, PART, 0.3)
    clock.now += 1000.0
    start = threading.Barrier(8)

    def decide(_: int) -> bool:
        start.wait()
        return estimator.decide(64 * MiB, PART).exploring

    with ThreadPoolExecutor(8) as pool:
        explored = list(pool.map(decide, range(8)))
    assert explored.count(True) == 1


def test_exploring_counts_the_parts_a_ranged_copy_really_had() -> None:
    """Files in flight share the part pool: their ranged copies had few parts each."""
    alone = Estimate(rtt=0.01, ranged_rate=100e6, ranged_parallelism=8.0, elapsed=3.0)
    assert choose(64 * MiB, PART, 16, alone).split  # a stream might be 8x slower
    shared = Estimate(rtt=0.01, ranged_rate=100e6, ranged_parallelism=1.0, elapsed=3.0)
    assert choose(64 * MiB, PART, 16, shared).exploring  # it cannot be slower


def test_estimator_counts_copies_in_flight() -> None:
    estimator = SourceEstimator(16, clock=Clock())
    assert [estimator.begin() for _ in range(4)] == [1, 2, 3, 4]
    assert [estimator.end() for _ in range(4)] == [4, 3, 2, 1]
    assert estimator.begin() == 1
    estimator.end()
    estimator.record_ranges(64 * MiB, PART, 1.0, sharing=16)  # one thread of 16 each
    estimator.record_ranges(64 * MiB, PART, 1.0, sharing=1)  # its 8 parts at once
    assert estimator.estimate().ranged_parallelism == pytest.approx((1 + 8) / 2)
