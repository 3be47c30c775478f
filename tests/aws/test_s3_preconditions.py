"""S3 preconditions and conditional commits, against the moto server (issue 17).

- ``Entry.version`` is the ETag, in ``stat`` and ``list`` alike;
- reads given a version carry ``If-Match`` and fail with
  :class:`SourceChangedError` once the object was replaced or removed;
- writers and part writers opened with ``overwrite=False`` commit with
  ``If-None-Match: *``: an object created meanwhile wins, the upload is aborted;
- server-side copies send ``CopySourceIfMatch`` and, with ``overwrite=False``,
  go through a multipart upload completed with ``If-None-Match: *`` (moto
  5.2.5 ignores ``CopySourceIfMatch``; conftest makes it answer 412 as S3
  does, see ``_moto_conditions.py``);
- user metadata S3 cannot store is refused before any request (finding 16).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fluke.exceptions import (
    InvalidMetadataError,
    InvalidPathError,
    OverwriteError,
    SourceChangedError,
)
from fluke.storage import LocalFile
from fluke_aws.auth import AWSAuth
from fluke_aws.storage import AmazonS3Dir, S3Backend

MiB = 1024 * 1024


@pytest.fixture
def backend(auth: AWSAuth, bucket: str) -> Iterator[S3Backend]:
    """The backend of the fresh bucket."""
    made = S3Backend(auth, bucket)
    yield made
    made.close()


class Requests:
    """The S3 operations a client sends, seen through botocore's public event hooks."""

    def __init__(self, client: Any) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []
        client.meta.events.register("before-send.s3", self._record)

    def _record(self, request: Any, **kwargs: Any) -> None:
        operation = kwargs["event_name"].rsplit(".", 1)[-1]
        headers = {
            name.lower(): value.decode() if isinstance(value, bytes) else str(value)
            for name, value in request.headers.items()
        }
        self.sent.append((operation, headers))

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.sent]

    def headers(self, operation: str) -> list[dict[str, str]]:
        return [headers for name, headers in self.sent if name == operation]


def body(s3: Any, bucket: str, key: str) -> bytes:
    data: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return data


def uploads(s3: Any, bucket: str) -> list[str]:
    return [upload["Key"] for upload in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def keys(s3: Any, bucket: str) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


# -- Entry.version ------------------------------------------------------------------


def test_version_is_the_etag_in_stat_and_list(backend: S3Backend, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="d/a.txt", Body=b"one")
    etag = s3.head_object(Bucket=bucket, Key="d/a.txt")["ETag"]
    stat = backend.stat("d/a.txt")
    assert stat is not None and stat.version == etag
    assert [entry.version for entry in backend.list("d/", recursive=True)] == [etag]
    assert [entry.version for entry in backend.list("d/", recursive=False)] == [etag]
    assert [entry.version for entry in backend.list("", recursive=False)] == [None]  # the dir
    s3.put_object(Bucket=bucket, Key="d/a.txt", Body=b"two")
    changed = backend.stat("d/a.txt")
    assert changed is not None and changed.version not in (None, etag)


# -- reads with If-Match ----------------------------------------------------------


def test_reads_of_the_listed_version_succeed(backend: S3Backend, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="f", Body=b"0123456789")
    version = backend.stat("f").version  # type: ignore[union-attr]
    requests = Requests(backend.client)
    assert backend.read_range("f", 2, 5, version=version) == b"234"
    assert b"".join(backend.iter_chunks("f", 4, 10, version=version)) == b"0123456789"
    assert [headers["if-match"] for headers in requests.headers("GetObject")] == [version] * 2


@pytest.mark.parametrize("change", ["replaced", "removed"])
def test_reads_of_a_changed_source_raise(
    backend: S3Backend, s3: Any, bucket: str, change: str
) -> None:
    s3.put_object(Bucket=bucket, Key="f", Body=b"0123456789")
    version = backend.stat("f").version  # type: ignore[union-attr]
    if change == "replaced":
        s3.put_object(Bucket=bucket, Key="f", Body=b"0123456789 and more")
    else:
        s3.delete_object(Bucket=bucket, Key="f")
    with pytest.raises(SourceChangedError, match=f"s3://{bucket}/f"):
        backend.read_range("f", 0, 5, version=version)
    with pytest.raises(SourceChangedError, match=f"s3://{bucket}/f"):
        list(backend.iter_chunks("f", 4, 10, version=version))
    error = SourceChangedError("x")
    assert not backend.is_transient(error)
    if change == "removed":  # without a version, a missing key is still a bad path
        with pytest.raises(InvalidPathError):
            backend.read_range("f", 0, 5)


# -- conditional commits --------------------------------------------------------------


def test_writer_without_overwrite_creates_a_new_object(
    backend: S3Backend, s3: Any, bucket: str
) -> None:
    requests = Requests(backend.client)
    with backend.open_writer("new.txt", overwrite=False) as writer:
        writer.write(b"hello")
    assert body(s3, bucket, "new.txt") == b"hello"
    assert requests.headers("PutObject")[0]["if-none-match"] == "*"


def test_single_put_does_not_replace_an_existing_object(
    backend: S3Backend, s3: Any, bucket: str
) -> None:
    writer = backend.open_writer("f.txt", overwrite=False)
    writer.write(b"mine")
    s3.put_object(Bucket=bucket, Key="f.txt", Body=b"theirs")  # wins the race
    with pytest.raises(OverwriteError, match=f"s3://{bucket}/f.txt"):
        writer.commit()
    assert body(s3, bucket, "f.txt") == b"theirs"
    assert uploads(s3, bucket) == []


def test_multipart_writer_does_not_replace_an_object_created_meanwhile(
    backend: S3Backend, s3: Any, bucket: str
) -> None:
    writer = backend.open_writer("big.bin", part_size=5 * MiB, overwrite=False)
    writer.write(os.urandom(6 * MiB))  # one part is uploaded now
    assert uploads(s3, bucket) == ["big.bin"]
    s3.put_object(Bucket=bucket, Key="big.bin", Body=b"theirs")
    with pytest.raises(OverwriteError):
        writer.commit()
    assert body(s3, bucket, "big.bin") == b"theirs"
    assert uploads(s3, bucket) == []  # aborted


def test_multipart_writer_without_overwrite_completes_conditionally(
    backend: S3Backend, s3: Any, bucket: str
) -> None:
    data = os.urandom(6 * MiB)
    requests = Requests(backend.client)
    with backend.open_writer("big.bin", part_size=5 * MiB, overwrite=False) as writer:
        writer.write(data)
    assert body(s3, bucket, "big.bin") == data
    assert requests.headers("CompleteMultipartUpload")[0]["if-none-match"] == "*"


def test_overwrite_true_still_replaces(backend: S3Backend, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="f.txt", Body=b"old")
    with backend.open_writer("f.txt") as writer:
        writer.write(b"new")
    assert body(s3, bucket, "f.txt") == b"new"


def test_part_writer_does_not_replace_an_object_created_meanwhile(
    backend: S3Backend, s3: Any, bucket: str
) -> None:
    data = os.urandom(6 * MiB)
    writer = backend.open_part_writer("p.bin", size=len(data), part_size=5 * MiB, overwrite=False)
    assert writer is not None
    writer.write_part(2, 5 * MiB, data[5 * MiB :])
    writer.write_part(1, 0, data[: 5 * MiB])
    s3.put_object(Bucket=bucket, Key="p.bin", Body=b"theirs")
    with pytest.raises(OverwriteError, match=f"s3://{bucket}/p.bin"):
        writer.commit()
    assert body(s3, bucket, "p.bin") == b"theirs"
    assert uploads(s3, bucket) == []

    fresh = backend.open_part_writer("q.bin", size=len(data), part_size=5 * MiB, overwrite=False)
    assert fresh is not None
    fresh.write_part(1, 0, data[: 5 * MiB])
    fresh.write_part(2, 5 * MiB, data[5 * MiB :])
    fresh.commit()
    assert body(s3, bucket, "q.bin") == data


# -- server-side copies ----------------------------------------------------------------


def test_copy_without_overwrite_is_a_conditional_multipart_copy(
    backend: S3Backend, s3: Any, bucket: str
) -> None:
    data = b"source content"
    s3.put_object(Bucket=bucket, Key="src.txt", Body=data)
    version = backend.stat("src.txt").version  # type: ignore[union-attr]
    requests = Requests(backend.client)
    copied = backend.copy_within(
        "src.txt",
        backend,
        "dst.txt",
        metadata={"m": "1"},
        size=len(data),
        version=version,
        overwrite=False,
    )
    assert copied is not None and copied.value == hashlib.md5(data).hexdigest()
    assert body(s3, bucket, "dst.txt") == data
    head = s3.head_object(Bucket=bucket, Key="dst.txt")
    assert head["Metadata"] == {"m": "1"} and head["ContentType"] == "text/plain"
    assert "CopyObject" not in requests.operations()
    assert requests.headers("UploadPartCopy")[0]["x-amz-copy-source-if-match"] == version
    assert requests.headers("CompleteMultipartUpload")[0]["if-none-match"] == "*"


def test_copy_without_overwrite_refuses_an_existing_destination(
    backend: S3Backend, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="src.txt", Body=b"source")
    s3.put_object(Bucket=bucket, Key="dst.txt", Body=b"precious")
    with pytest.raises(OverwriteError, match=f"s3://{bucket}/dst.txt"):
        backend.copy_within("src.txt", backend, "dst.txt", size=6, overwrite=False)
    assert body(s3, bucket, "dst.txt") == b"precious"
    assert body(s3, bucket, "src.txt") == b"source"
    assert uploads(s3, bucket) == []


def test_copy_without_overwrite_of_an_empty_object(
    backend: S3Backend, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    backend.copy_within("empty", backend, "copy", size=0, overwrite=False)
    assert body(s3, bucket, "copy") == b""


def test_large_copy_without_overwrite(backend: S3Backend, s3: Any, bucket: str) -> None:
    data = os.urandom(11 * MiB)
    s3.put_object(Bucket=bucket, Key="large.bin", Body=data)
    s3.put_object(Bucket=bucket, Key="taken.bin", Body=b"precious")
    version = backend.stat("large.bin").version  # type: ignore[union-attr]
    backend.multipart_copy_threshold = 5 * MiB  # stands in for CopyObject's 5 GiB limit
    backend.copy_part_size = 5 * MiB
    requests = Requests(backend.client)
    with pytest.raises(OverwriteError):
        backend.copy_within(
            "large.bin", backend, "taken.bin", size=len(data), version=version, overwrite=False
        )
    assert body(s3, bucket, "taken.bin") == b"precious"
    assert uploads(s3, bucket) == []
    assert (
        backend.copy_within(
            "large.bin", backend, "free.bin", size=len(data), version=version, overwrite=False
        )
        is None
    )  # three parts: no checksum comparable with the source's
    assert body(s3, bucket, "free.bin") == data
    part_copies = requests.headers("UploadPartCopy")
    assert len(part_copies) == 6
    assert {headers["x-amz-copy-source-if-match"] for headers in part_copies} == {version}


def test_copy_sends_the_source_version(backend: S3Backend, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src.txt", Body=b"source")
    version = backend.stat("src.txt").version  # type: ignore[union-attr]
    requests = Requests(backend.client)
    copied = backend.copy_within("src.txt", backend, "dst.txt", size=6, version=version)
    assert copied is not None and copied.value == hashlib.md5(b"source").hexdigest()
    assert requests.operations() == ["CopyObject"]  # overwrite=True: still one request
    assert requests.headers("CopyObject")[0]["x-amz-copy-source-if-match"] == version


def test_copy_of_a_replaced_source_without_size_is_refused(
    backend: S3Backend, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="src.txt", Body=b"listed")
    version = backend.stat("src.txt").version  # type: ignore[union-attr]
    s3.put_object(Bucket=bucket, Key="src.txt", Body=b"replaced")
    for overwrite in (True, False):
        with pytest.raises(SourceChangedError, match=f"s3://{bucket}/src.txt"):
            backend.copy_within("src.txt", backend, "dst.txt", version=version, overwrite=overwrite)
    s3.delete_object(Bucket=bucket, Key="src.txt")
    with pytest.raises(SourceChangedError, match="removed"):
        backend.copy_within("src.txt", backend, "dst.txt", version=version)
    assert keys(s3, bucket) == []
    assert uploads(s3, bucket) == []


@pytest.mark.parametrize("overwrite", [True, False])
def test_copy_of_a_replaced_source_is_refused_by_s3(
    backend: S3Backend, s3: Any, bucket: str, overwrite: bool
) -> None:
    s3.put_object(Bucket=bucket, Key="src.txt", Body=b"listed")
    version = backend.stat("src.txt").version  # type: ignore[union-attr]
    s3.put_object(Bucket=bucket, Key="src.txt", Body=b"replaced")
    with pytest.raises(SourceChangedError):
        backend.copy_within(
            "src.txt", backend, "dst.txt", size=6, version=version, overwrite=overwrite
        )
    assert "dst.txt" not in keys(s3, bucket)
    assert uploads(s3, bucket) == []


def test_multipart_copy_of_a_replaced_source_is_aborted(
    backend: S3Backend, s3: Any, bucket: str
) -> None:
    data = os.urandom(11 * MiB)
    s3.put_object(Bucket=bucket, Key="large.bin", Body=data)
    s3.put_object(Bucket=bucket, Key="dst.bin", Body=b"precious")
    version = backend.stat("large.bin").version  # type: ignore[union-attr]
    s3.put_object(Bucket=bucket, Key="large.bin", Body=data[::-1])
    backend.multipart_copy_threshold = 5 * MiB  # stands in for CopyObject's 5 GiB limit
    backend.copy_part_size = 5 * MiB
    with pytest.raises(SourceChangedError, match="large.bin"):
        backend.copy_within("large.bin", backend, "dst.bin", size=len(data), version=version)
    assert body(s3, bucket, "dst.bin") == b"precious"
    assert uploads(s3, bucket) == []


# -- metadata checked before sending (finding 16) ----------------------------------------

BAD_METADATA = [
    {"a b": "v"},  # used to fail as "md5 mismatch after upload; removed"
    {"": "v"},  # used to be dropped silently
    {"k:x": "v"},
    {"ké": "v"},
    {"k": "é"},
    {"k": "a\nb"},
    {"k": " padded"},
    {"k": "x" * 2048},
    {"Owner": "a", "owner": "b"},
]


@pytest.mark.parametrize("metadata", BAD_METADATA, ids=repr)
def test_metadata_s3_cannot_store_is_refused_before_sending(
    backend: S3Backend, s3: Any, bucket: str, metadata: dict[str, str]
) -> None:
    s3.put_object(Bucket=bucket, Key="src.txt", Body=b"source", Metadata={"keep": "me"})
    requests = Requests(backend.client)
    key = list(metadata)[-1]
    with pytest.raises(InvalidMetadataError, match=repr(key)[:20].replace("\\", "\\\\")):
        backend.open_writer("new.txt", metadata=metadata)
    with pytest.raises(InvalidMetadataError):
        backend.open_part_writer("new.bin", size=10 * MiB, part_size=5 * MiB, metadata=metadata)
    with pytest.raises(InvalidMetadataError):
        backend.copy_within("src.txt", backend, "dst.txt", metadata=metadata, size=6)
    with pytest.raises(InvalidMetadataError):
        backend.copy_within("src.txt", backend, "dst.txt", metadata=metadata, overwrite=False)
    with pytest.raises(InvalidMetadataError, match="src.txt"):
        backend.set_metadata("src.txt", metadata)
    assert requests.sent == []
    assert keys(s3, bucket) == ["src.txt"] and uploads(s3, bucket) == []
    assert s3.head_object(Bucket=bucket, Key="src.txt")["Metadata"] == {"keep": "me"}


@pytest.mark.parametrize("key", ["my key", ""])
def test_upload_with_metadata_s3_cannot_store_fails_by_name(
    tmp_path: Path, auth: AWSAuth, s3: Any, bucket: str, key: str
) -> None:
    (tmp_path / "f.txt").write_bytes(b"data")
    with LocalFile(str(tmp_path / "f.txt")) as file, AmazonS3Dir(auth, bucket) as dst:
        file.set_metadata({key: "v"})
        report = file.transfer_to(dst, include_metadata=True, suppress_output=True)
    assert not report
    error = report.failed[0].error
    assert isinstance(error, InvalidMetadataError) and repr(key) in str(error)
    assert keys(s3, bucket) == [] and uploads(s3, bucket) == []


def test_metadata_s3_can_store_is_kept(backend: S3Backend, s3: Any, bucket: str) -> None:
    metadata = {"a-b.c_d": "printable ASCII, inner  spaces ok", "e": ""}
    with backend.open_writer("f.txt", metadata=metadata) as writer:
        writer.write(b"x")
    assert backend.get_metadata("f.txt") == metadata
