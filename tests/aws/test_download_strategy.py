"""Downloads from S3 as one stream or as ranged reads, chosen by measurement.

moto is reached through the latency proxy (a real 20 ms round trip), so the
engine's measurements see a real network; whichever way a file goes, the
bytes that arrive are the source's. No assertion on time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from latency_proxy import LatencyProxy

from fluke.storage import LocalDir
from fluke.transfer._budget import MemoryBudget
from fluke.transfer._copy import CopyContext, run_task
from fluke.transfer._plan import FileTask
from fluke.transfer._retry import RetryPolicy
from fluke.transfer._strategy import SourceEstimator
from fluke_aws.auth import AWSAuth
from fluke_aws.storage import AmazonS3Dir

MiB = 1024 * 1024
PART = 8 * MiB
KEY_ID = "AKIAFLUKETESTKEY0001"


@pytest.fixture(scope="module")
def far_auth(moto_endpoint: str) -> Iterator[AWSAuth]:
    """Credentials for moto behind a 20 ms round trip."""
    host, port = moto_endpoint.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    with LatencyProxy((host, int(port)), rtt=0.02) as proxy:
        yield AWSAuth(
            KEY_ID,
            "fluke-test-secret",
            region="us-east-1",
            endpoint_url=proxy.url_for(moto_endpoint),
        )


def _estimator(mode: str) -> SourceEstimator:
    estimator = SourceEstimator(4)
    if mode == "stream":  # one connection measured as fast as the link, ranges slower
        estimator.record_stream(1024, 0.02)
        estimator.record_stream(64 * MiB, 0.3)
        estimator.record_ranges(64 * MiB, PART, 0.6)
    return estimator


@pytest.mark.parametrize("mode", ["ranges", "stream"])
def test_a_big_download_arrives_whole_either_way(
    tmp_path: Path, far_auth: AWSAuth, bucket: str, s3: Any, mode: str
) -> None:
    data = os.urandom(3 * PART + 12345)
    s3.put_object(Bucket=bucket, Key="big.bin", Body=data)
    estimator = _estimator(mode)
    before = estimator.estimate()
    assert estimator.decide(len(data), PART).split == (mode == "ranges")
    counted: list[int] = []
    with (
        AmazonS3Dir(far_auth, bucket) as src,
        LocalDir(str(tmp_path / "dst"), create_if_missing=True) as dst,
        ThreadPoolExecutor(4) as pool,
    ):
        ctx = CopyContext(
            pool, MemoryBudget(64 * MiB), RetryPolicy(), counted.append, None, None, estimator
        )
        source = src._session.backend
        target = dst._session.backend
        task = FileTask(
            src.get_path() + "big.bin",
            dst.get_path() + "big.bin",
            source.uri(src.get_path() + "big.bin"),
            target.uri(dst.get_path() + "big.bin"),
            len(data),
        )
        run_task(task, source, target, ctx)
    assert (tmp_path / "dst" / "big.bin").read_bytes() == data
    assert sum(counted) == len(data)
    after = estimator.estimate()
    if mode == "ranges":  # the copy was measured as what it was
        assert before.ranged_rate is None and after.ranged_rate is not None
        assert after.stream_rate is None
    else:
        assert after.stream_rate != before.stream_rate
        assert after.ranged_rate == before.ranged_rate


def test_a_mixed_download_through_the_engine(
    tmp_path: Path, far_auth: AWSAuth, bucket: str, s3: Any
) -> None:
    """Small, medium and big files, one at a time: each measured copy informs the next."""
    sizes = {"a-small.bin": 2048, "b-medium.bin": 5 * MiB, "c-big.bin": 2 * PART + 1}
    sizes |= {f"d-big{index}.bin": 2 * PART + index for index in range(3)}
    blobs = {name: os.urandom(size) for name, size in sizes.items()}
    for name, body in blobs.items():
        s3.put_object(Bucket=bucket, Key=f"mixed/{name}", Body=body)
    with (
        AmazonS3Dir(far_auth, bucket, "mixed/") as src,
        LocalDir(str(tmp_path / "down"), create_if_missing=True) as dst,
    ):
        report = src.transfer_to(dst, max_workers=1, suppress_output=True)
    assert report, report.failed
    for name, body in blobs.items():
        assert (tmp_path / "down" / name).read_bytes() == body
