"""Writers count against the transfer's memory budget (issue 15, part 3).

Several large local files go to fake-gcs-server at once, with a small
``memory_budget``, in a fresh child interpreter. The child's resident
high-water mark (``VmHWM``) may grow during the transfer by the budget plus
a margin for allocator slack, no more. Before writers declared their own
buffers (a GCS resumable chunk and the copy of it being sent), every one of
16 streams buffered its chunk outside the budget: several hundred MiB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MiB = 1024 * 1024
#: files streamed through one resumable upload each (under the composite threshold)
STREAMED = (12, 24 * MiB)
#: files sent as parallel composite uploads
COMPOSED = (2, 48 * MiB)
BUDGET = 64 * MiB
#: allocator slack, HTTP buffers, threads: what the budget does not count
MARGIN = 64 * MiB

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from fluke.storage import GCPStorageDir, LocalDir
    from fluke_gcp.auth import GCPAuth

    def hwm() -> int:
        with open("/proc/self/status") as status:
            return next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM:"))

    spec = json.loads(sys.argv[1])
    auth = GCPAuth.for_emulator(spec["endpoint"], project_id="test")
    src = LocalDir(spec["src"])
    dst = GCPStorageDir(auth, spec["bucket"], "copy/", create_if_missing=True)
    with src, dst:
        dst.ls()
        before = hwm()
        started = time.perf_counter()
        report = src.transfer_to(
            dst, suppress_output=True, memory_budget=spec["budget"], max_workers=16
        )
        seconds = time.perf_counter() - started
    if not report:
        sys.exit(f"transfer failed: {[str(o.error) for o in report.failed]}")
    print(json.dumps({"before": before, "peak": hwm(), "bytes": report.total_bytes,
                      "seconds": seconds}))
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_many_large_files_to_gcs_stay_within_the_memory_budget(
    tmp_path: Path, gcs_endpoint: str, bucket: str
) -> None:
    total = 0
    for prefix, (count, size) in (("s", STREAMED), ("c", COMPOSED)):
        block = os.urandom(MiB)
        for index in range(count):
            with open(tmp_path / f"{prefix}{index:02d}.bin", "wb") as out:
                for _ in range(size // MiB):
                    out.write(block)
            total += size
    spec = {"endpoint": gcs_endpoint, "bucket": bucket, "src": str(tmp_path), "budget": BUDGET}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["bytes"] == total
    grown = measured["peak"] - measured["before"]
    assert grown <= BUDGET + MARGIN, (
        f"RSS grew by {grown / MiB:.0f} MiB during the transfer "
        f"(budget {BUDGET / MiB:.0f} MiB + margin {MARGIN / MiB:.0f} MiB)"
    )
