"""The transfer engine against S3: concurrent multipart parts, retries, server-side copy."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from botocore.exceptions import EndpointConnectionError

from fluke.storage import LocalDir
from fluke_aws._s3backend import S3Backend
from fluke_aws.auth import AWSAuth
from fluke_aws.storage import AmazonS3Dir

MiB = 1024 * 1024


def test_large_upload_goes_in_concurrent_parts(
    tmp_path: Path, auth: AWSAuth, bucket: str, s3: Any
) -> None:
    data = os.urandom(17 * MiB + 5)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "big.bin").write_bytes(data)
    with LocalDir(str(tmp_path / "src")) as src, AmazonS3Dir(auth, bucket) as dst:
        report = src.transfer_to(dst, chunk_size=5 * MiB, suppress_output=True)
        assert report, report.failed
        head = s3.head_object(Bucket=bucket, Key="big.bin")
        assert head["ETag"].strip('"').endswith("-4")  # 4 parts of 5 MiB
        assert dst.get_file("big.bin").read() == data
        back = LocalDir(str(tmp_path / "back"), create_if_missing=True)
        assert dst.transfer_to(back, chunk_size=5 * MiB, suppress_output=True)
        assert (tmp_path / "back" / "big.bin").read_bytes() == data
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


class _FailingParts(S3Backend):
    """A real S3 backend whose ranged reads break after the first part."""

    reads = 0

    def read_range(self, path: str, start: int, end: int, *, version: str | None = None) -> bytes:
        type(self).reads += 1
        if start > 0:
            raise PermissionError("denied")
        return super().read_range(path, start, end, version=version)


def test_failed_parts_abort_the_upload(tmp_path: Path, auth: AWSAuth, bucket: str, s3: Any) -> None:
    s3.put_object(Bucket=bucket, Key="src/big.bin", Body=os.urandom(12 * MiB))
    with AmazonS3Dir(auth, bucket, "src/") as src:
        with AmazonS3Dir(auth, bucket, "dst/", create_if_missing=True) as dst:
            src._session.backend.__class__ = _FailingParts
            dst._session.backend.copy_domain = lambda: None  # type: ignore[method-assign]
            report = src.transfer_to(dst, chunk_size=5 * MiB, suppress_output=True)
            assert not report and "big.bin" in report.failed[0].source
            assert not dst.path_exists("big.bin")
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_connection_errors_are_transient(auth: AWSAuth, bucket: str) -> None:
    with AmazonS3Dir(auth, bucket) as directory:
        backend = directory._session.backend
        assert backend.is_transient(EndpointConnectionError(endpoint_url="http://x"))
        assert not backend.is_transient(PermissionError("no"))
