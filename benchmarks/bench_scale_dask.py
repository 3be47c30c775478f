"""The Dask rows of ``bench_scale``: 2,000 files local -> S3 (moto), Dask vs the thread pool.

The same job on a warm ``LocalCluster`` of two worker processes and on the
in-process thread pool, best of two alternating runs each; on 2 cores no
speed-up is expected, the Dask overhead must stay within 30%.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from _common import Row, best_of, servers

FILES, SIZE = 2000, 16 * 1024
OVERHEAD_TARGET = 1.30


def dask_rows(key_id: str, secret: str) -> list[Row]:
    """Run the comparison; return its rows."""
    from distributed import Client, LocalCluster

    from fluke.local import LocalDir
    from fluke_aws.auth import AWSAuth
    from fluke_aws.storage import AmazonS3Dir

    with (
        servers.moto() as url,
        tempfile.TemporaryDirectory() as tmp,
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            local_directory=tmp,
        ) as cluster,
        Client(cluster) as client,
    ):
        auth = AWSAuth(key_id, secret, region="us-east-1", endpoint_url=url)
        s3: Any = auth._client("s3")
        s3.create_bucket(Bucket="scale")
        src = Path(tmp, "src")
        for index in range(FILES):
            path = src / f"d{index % 20:02d}" / f"f{index:05d}.bin"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(SIZE))

        def run(executor: object) -> None:
            prefix = uuid.uuid4().hex
            with (
                LocalDir(str(src)) as source,
                AmazonS3Dir(auth, "scale", prefix, create_if_missing=True) as target,
            ):
                report = source.transfer_to(
                    target, recursively=True, suppress_output=True, executor=executor
                )
            assert report and report.counts["transferred"] == FILES, report

        run(client)  # warm the workers (imports, connections)
        threads, dask = best_of(2, lambda: run(None), lambda: run(client))
    ratio = dask / threads
    verdict = "ok" if ratio <= OVERHEAD_TARGET else "MISS"
    return [
        (
            f"{FILES:,} files of 16 KiB local -> S3 (moto), thread pool",
            f"{threads:.1f} s ({FILES / threads:,.0f} files/s)",
        ),
        (
            f"the same on a Dask LocalCluster, 2 processes (target <= x{OVERHEAD_TARGET})",
            f"{dask:.1f} s ({FILES / dask:,.0f} files/s): x{ratio:.2f} the thread pool: {verdict}",
        ),
    ]
