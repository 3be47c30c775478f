"""Issue 11: transfers on a Dask cluster (fluke-dask) against moto, with real worker processes."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

from conftest import KEY_ID, SECRET
from distributed import Client

from fluke.auth import AWSAuth
from fluke.local import LocalDir
from fluke.storage import AmazonS3Dir
from fluke.transfer import FileOutcome


def _tree(root: Path, count: int, size: int = 512) -> dict[str, str]:
    """``count`` files under ``root`` in 20 directories; their md5 by relative path."""
    digests = {}
    for index in range(count):
        relative = f"d{index % 20:02d}/f{index:05d}.bin"
        data = os.urandom(size)
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        digests[relative] = hashlib.md5(data).hexdigest()  # noqa: S324 - a check
    return digests


def _stored(s3: Any, bucket: str, prefix: str) -> dict[str, str]:
    """Every object under ``prefix``: md5 (single-part ETag) by relative key."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"] != prefix:  # the directory marker of create_if_missing
                found[item["Key"][len(prefix) :]] = item["ETag"].strip('"')
    return found


def test_a_local_cluster_copies_5000_files_to_s3(
    client: Client, auth: AWSAuth, s3: Any, bucket: str, tmp_path: Path
) -> None:
    digests = _tree(tmp_path, 5000)
    keys: list[str] = []
    reprs: list[str] = []

    def watch(outcome: FileOutcome) -> None:
        if len(keys) < 3:  # while tasks run: what the scheduler (and its dashboard) shows
            keys.extend(client.run_on_scheduler(_scheduler_view))
            reprs.append(repr(outcome))

    with (
        LocalDir(str(tmp_path)) as src,
        AmazonS3Dir(auth, bucket, "up", create_if_missing=True) as dst,
    ):
        report = src.transfer_to(
            dst, recursively=True, suppress_output=True, executor=client, callback=watch
        )
    assert report, [str(outcome.error) for outcome in report.failed]
    assert report.counts["transferred"] == 5000 and len(report) == 5000
    assert _stored(s3, bucket, "up/") == digests
    assert keys and all(key.startswith(("fluke-copy-", "JobSpec")) for key in keys), keys
    for shown in keys + reprs:
        assert SECRET not in shown and KEY_ID not in shown


def _scheduler_view(dask_scheduler: Any) -> list[str]:
    """The keys of the tasks the scheduler holds (what its dashboard lists)."""
    return [str(key) for key in dask_scheduler.tasks]


def test_a_killed_worker_loses_nothing_and_leaves_no_upload(
    client: Client, auth: AWSAuth, s3: Any, bucket: str, tmp_path: Path
) -> None:
    digests = _tree(tmp_path, 800)
    for index in range(4):  # multipart uploads in flight when the worker dies
        data = os.urandom(11 * 1024 * 1024)
        (tmp_path / "big" / f"b{index}.bin").parent.mkdir(exist_ok=True)
        (tmp_path / "big" / f"b{index}.bin").write_bytes(data)
        digests[f"big/b{index}.bin"] = hashlib.md5(data).hexdigest()  # noqa: S324 - a check
    done = [0]
    killed = threading.Event()
    victim = sorted(client.run(os.getpid).values())[0]

    def kill_one(outcome: FileOutcome) -> None:
        done[0] += 1
        if done[0] == 200 and not killed.is_set():
            killed.set()
            os.kill(victim, signal.SIGKILL)

    with (
        LocalDir(str(tmp_path)) as src,
        AmazonS3Dir(auth, bucket, "up", create_if_missing=True) as dst,
    ):
        report = src.transfer_to(
            dst,
            recursively=True,
            suppress_output=True,
            executor=client,
            callback=kill_one,
            chunk_size=5 * 1024 * 1024,
        )
    assert killed.is_set()
    assert report, [str(outcome.error) for outcome in report.failed]
    destinations = [outcome.destination for outcome in report]
    assert len(destinations) == len(set(destinations)) == len(digests)
    stored = _stored(s3, bucket, "up/")
    assert sorted(stored) == sorted(digests)
    for key, digest in digests.items():
        if key.startswith("big/"):  # multipart ETags are not md5s: read the bytes back
            body = s3.get_object(Bucket=bucket, Key=f"up/{key}")["Body"].read()
            assert hashlib.md5(body).hexdigest() == digest  # noqa: S324 - a check
        else:
            assert stored[key] == digest
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_cli_cp_dask_local(moto_endpoint: str, bucket: str, s3: Any, tmp_path: Path) -> None:
    digests = _tree(tmp_path / "src", 60)
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    result = subprocess.run(
        [sys.executable, "-m", "fluke", "cp", "-r", "-q", "--dask", "local:2"]
        + [str(tmp_path / "src"), f"s3://{bucket}/cli"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "60 transferred" in result.stdout
    assert _stored(s3, bucket, "cli/") == digests
    assert SECRET not in result.stdout + result.stderr


def test_a_batch_run_twice_with_a_stale_listing_counts_its_copies_as_done(
    auth: AWSAuth, bucket: str, tmp_path: Path
) -> None:
    """A batch run again (a lost worker) on a worker whose cached listing predates its copies."""
    from fluke_dask._spec import Endpoint, JobSpec, WireFile
    from fluke_dask._worker import copy_batch

    from fluke.transfer import PlannedFile, TransferSource
    from fluke.transfer._copy import CopyOptions
    from fluke.transfer._retry import RetryPolicy

    _tree(tmp_path, 12 * 20)  # 12 files per directory: the 8th lookup lists the directory
    with (
        LocalDir(str(tmp_path / "d03")) as src,
        AmazonS3Dir(auth, bucket, "up", create_if_missing=True) as dst,
    ):
        spec = JobSpec(
            uuid.uuid4().hex,
            Endpoint.of(src._session.backend, src.get_path()),
            Endpoint.of(dst._session.backend, dst.get_path()),
            CopyOptions(),
            64 * 1024 * 1024,
            RetryPolicy(),
            1,  # one file at a time: the listing is taken after 7 copies, before the 8th
        )
        wire = []
        for entry in sorted(src._session.backend.list(src.get_path(), False), key=str):
            name = entry.path.rsplit("/", 1)[-1]
            source = TransferSource.from_entry(src._session, entry, name)
            wire.append(WireFile.of(PlannedFile(source, f"{dst.get_path()}{name}")))
        first = copy_batch(spec, wire)
        again = copy_batch(spec, wire)  # the same worker job: its cached listing is stale
    assert [outcome.status for outcome in first] == ["transferred"] * 12
    assert all(outcome.status in ("skipped", "transferred") for outcome in again), [
        str(outcome.error) for outcome in again
    ]
    assert "transferred" in {outcome.status for outcome in again}  # the stale entries
