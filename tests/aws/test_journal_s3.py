"""Issue 11: S3 transfers SIGKILLed mid-listing (sharded) or mid-upload resume with the journal."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from conftest import KEY_ID, SECRET

from fluke.auth import AWSAuth
from fluke.storage import AmazonS3Dir, LocalDir

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from fluke.auth import AWSAuth
    from fluke.storage import AmazonS3Dir, LocalDir
    endpoint, bucket, local, journal, direction, kill_after = sys.argv[1:7]
    auth = AWSAuth(os.environ["KEY_ID"], os.environ["SECRET"], region="us-east-1",
                   endpoint_url=endpoint)
    seen = [0]
    def keep(path):
        seen[0] += 1
        if seen[0] == int(kill_after):
            os.kill(os.getpid(), signal.SIGKILL)
        return True
    if direction == "down":
        src, dst = AmazonS3Dir(auth, bucket, "data"), LocalDir(local, create_if_missing=True)
        options = {"filter": keep}
    else:
        src, dst = LocalDir(local), AmazonS3Dir(auth, bucket, "up", create_if_missing=True)
        options = {"chunk_size": 5 * 1024 * 1024}
    with src, dst:
        src.transfer_to(dst, recursively=True, suppress_output=True, journal=journal,
                        max_workers=2, **options)
    """
)


def _child(
    endpoint: str, bucket: str, local: Path, journal: Path, *args: str
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KEY_ID": KEY_ID, "SECRET": SECRET}
    command = [sys.executable, "-c", CHILD, endpoint, bucket, str(local), str(journal), *args]
    return subprocess.Popen(command, env=env, stderr=subprocess.PIPE)


def test_killed_mid_sharded_listing_resumes(
    auth: AWSAuth, s3: Any, bucket: str, moto_endpoint: str, tmp_path: Path
) -> None:
    keys = [f"data/p{index % 12:02d}/q{index % 2}/k{index:04d}" for index in range(360)]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    local, journal = tmp_path / "dst", tmp_path / "job.sqlite"
    child = _child(moto_endpoint, bucket, local, journal, "down", "150")
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == -signal.SIGKILL, stderr.decode()
    before = [path for path in local.rglob("*") if path.is_file() and "fluke" not in path.name]
    assert len(before) < len(keys)
    with AmazonS3Dir(auth, bucket, "data") as src, LocalDir(str(local)) as dst:
        report = src.transfer_to(dst, recursively=True, suppress_output=True, journal=str(journal))
    assert report, [str(outcome.error) for outcome in report.failed]
    assert report.counts["transferred"] == len(keys) - len(before)
    assert report.counts["skipped"] == len(before)
    for key in keys:
        assert (local / key.removeprefix("data/")).read_bytes() == key.encode()


def test_killed_mid_multipart_upload_resumes_and_aborts_the_upload(
    auth: AWSAuth, s3: Any, bucket: str, moto_endpoint: str, tmp_path: Path
) -> None:
    local, journal = tmp_path / "src", tmp_path / "job.sqlite"
    local.mkdir()
    digests = {}
    for index in range(4):
        data = os.urandom(12 * 1024 * 1024)
        (local / f"big{index}.bin").write_bytes(data)
        digests[f"up/big{index}.bin"] = hashlib.md5(data).hexdigest()  # noqa: S324 - a check
    child = _child(moto_endpoint, bucket, local, journal, "up", "0")
    deadline = time.monotonic() + 60
    try:
        while not s3.list_multipart_uploads(Bucket=bucket).get("Uploads"):
            assert child.poll() is None and time.monotonic() < deadline, "no upload started"
            time.sleep(0.01)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=10)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    with LocalDir(str(local)) as src, AmazonS3Dir(auth, bucket, "up") as dst:
        report = src.transfer_to(dst, recursively=True, suppress_output=True, journal=str(journal))
    assert report, [str(outcome.error) for outcome in report.failed]
    assert report.counts["transferred"] + report.counts["skipped"] == 4
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    for key, digest in digests.items():
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        assert hashlib.md5(body).hexdigest() == digest  # noqa: S324 - a check
