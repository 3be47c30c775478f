"""S3-specific behaviour: markers, multipart, metadata, copies, pagination, errors."""

from __future__ import annotations

import hashlib
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from fluke.exceptions import (
    BucketNotFoundError,
    InvalidChunkSizeError,
    InvalidDirectoryError,
    InvalidFileError,
    InvalidPathError,
)
from fluke.storage import LocalDir
from fluke_aws.auth import AWSAuth
from fluke_aws.storage import AmazonS3Dir, AmazonS3File, S3Backend

MiB = 1024 * 1024


def put(s3: Any, bucket: str, key: str, data: bytes = b"x", **extra: Any) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=data, **extra)


def keys(s3: Any, bucket: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [item["Key"] for page in pages for item in page.get("Contents", ())]


def backend_of(node: Any) -> S3Backend:
    backend = node._session.backend
    assert isinstance(backend, S3Backend)
    return backend


# -- directories: prefixes and markers ------------------------------------------


def test_create_if_missing_writes_a_zero_byte_marker(auth: AWSAuth, s3: Any, bucket: str) -> None:
    with AmazonS3Dir(auth, bucket, "new/dir", create_if_missing=True) as made:
        assert made.get_path() == "new/dir/"
        assert made.get_uri() == f"s3://{bucket}/new/dir/"
        assert made.get_bucket_name() == bucket
    assert keys(s3, bucket) == ["new/dir/"]
    assert s3.head_object(Bucket=bucket, Key="new/dir/")["ContentLength"] == 0
    with AmazonS3Dir(auth, bucket) as root:
        assert root.get_contents() == ["new/"]
        assert root.get_contents(recursively=True) == []  # markers are never files
        assert root.path_exists("new/dir") and not root.is_file("new/dir")
        assert root.get_subdir("new").get_contents() == ["dir/"]


def test_prefix_only_and_marker_only_dirs(auth: AWSAuth, s3: Any, bucket: str) -> None:
    put(s3, bucket, "implicit/file.txt")  # a dir that is only a prefix
    put(s3, bucket, "marked/", b"")  # a dir that is only a marker
    put(s3, bucket, "both/", b"")
    put(s3, bucket, "both/inner.txt")
    with AmazonS3Dir(auth, bucket) as root:
        assert root.get_contents() == ["both/", "implicit/", "marked/"]
        assert root.count() == 3
        assert root.get_contents(recursively=True) == ["both/inner.txt", "implicit/file.txt"]
        for name in ("implicit", "marked", "both", "implicit/", "marked/"):
            assert root.path_exists(name) and not root.is_file(name)
        assert root.get_subdir("marked").get_contents() == []
        assert root.get_subdir("both").get_contents() == ["inner.txt"]
    for name in ("implicit", "marked", "both/"):
        with AmazonS3Dir(auth, bucket, name) as directory:
            assert directory.get_path().endswith("/")
        with pytest.raises(InvalidFileError, match=name.rstrip("/")):
            AmazonS3File(auth, bucket, name)


def test_file_and_dir_with_similar_names(auth: AWSAuth, s3: Any, bucket: str) -> None:
    for key in ("sub", "sub.txt", "sub-x", "sub/a", "sub0/b"):
        put(s3, bucket, key)
    with AmazonS3Dir(auth, bucket) as root:
        assert root.get_contents() == ["sub", "sub-x", "sub.txt", "sub/", "sub0/"]
        assert root.is_file("sub") and root.path_exists("sub/")
    with pytest.raises(InvalidDirectoryError, match="sub.txt"):
        AmazonS3Dir(auth, bucket, "sub.txt")


def test_leading_slash_is_refused(auth: AWSAuth, bucket: str) -> None:
    with pytest.raises(InvalidPathError, match="/abs"):
        AmazonS3Dir(auth, bucket, "/abs")
    with pytest.raises(InvalidPathError, match="/abs/file"):
        AmazonS3File(auth, bucket, "/abs/file")


# -- pagination -----------------------------------------------------------------


def test_listing_pages_over_a_thousand_keys(auth: AWSAuth, s3: Any, bucket: str) -> None:
    files = [f"many/f{index:04d}.bin" for index in range(1150)]
    subdirs = [f"many/d{index:02d}/x.bin" for index in range(40)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: put(s3, bucket, key), files + subdirs))
    with AmazonS3Dir(auth, bucket, "many") as many:
        top = many.get_contents()
        expected = sorted([key[5:] for key in files] + [f"d{index:02d}/" for index in range(40)])
        assert top == expected  # every subdir once, merged in order across pages
        assert many.count() == 1190
        assert many.count(recursively=True) == 1190
        assert many.get_size(recursively=True) == 1190
        backend = backend_of(many)
        streamed = backend.list("many/", True)
        assert next(iter(streamed)).path == "many/d00/x.bin"  # a lazy iterator
        paths = [entry.path for entry in backend.list("many/", True)]
        assert paths == sorted(paths)  # sorted_listing=True holds


# -- reading --------------------------------------------------------------------


def test_ranged_and_streamed_reads(auth: AWSAuth, s3: Any, bucket: str) -> None:
    data = os.urandom(3 * MiB + 123)
    put(s3, bucket, "big.bin", data)
    with AmazonS3File(auth, bucket, "big.bin") as file:
        assert file.get_size() == len(data)
        assert file.read_range(MiB, MiB + 10) == data[MiB : MiB + 10]
        assert file.read_range(len(data) - 5, None) == data[-5:]
        chunks = list(file.read_chunks(MiB))
        assert [len(chunk) for chunk in chunks[:3]] == [MiB] * 3
        assert b"".join(chunks) == data
        assert file.read() == data


def test_concurrent_reads_share_one_client(auth: AWSAuth, s3: Any, bucket: str) -> None:
    for index in range(32):
        put(s3, bucket, f"c/{index}", str(index).encode())
    with AmazonS3Dir(auth, bucket, "c") as directory:
        with ThreadPoolExecutor(16) as pool:
            values = list(pool.map(lambda i: directory.get_file(str(i)).read(), range(32)))
        assert values == [str(index).encode() for index in range(32)]


# -- writing: single PUT, multipart, abort ----------------------------------------


def test_small_write_is_one_put_with_md5_etag(auth: AWSAuth, s3: Any, bucket: str) -> None:
    backend = S3Backend(auth, bucket)
    try:
        with backend.open_writer("small.txt", metadata={"a": "b"}) as writer:
            writer.write(b"hello ")
            writer.write(b"world")
        checksum = backend.checksum("small.txt")
        assert checksum is not None and checksum.algorithm == "md5"
        assert checksum.value == hashlib.md5(b"hello world").hexdigest()
        head = s3.head_object(Bucket=bucket, Key="small.txt")
        assert head["Metadata"] == {"a": "b"}
        assert head["ContentType"] == "text/plain"
    finally:
        backend.close()


def test_multipart_upload_above_the_part_size(auth: AWSAuth, s3: Any, bucket: str) -> None:
    data = os.urandom(11 * MiB + 7)
    backend = S3Backend(auth, bucket)
    try:
        writer = backend.open_writer("multi.bin", metadata={"k": "v"}, part_size=5 * MiB)
        for offset in range(0, len(data), MiB):
            writer.write(data[offset : offset + MiB])
        assert writer.upload_id is not None  # type: ignore[attr-defined]
        assert "multi.bin" not in keys(s3, bucket)  # nothing visible before commit
        writer.commit()
        head = s3.head_object(Bucket=bucket, Key="multi.bin")
        assert head["ETag"].strip('"').endswith("-3")
        assert head["Metadata"] == {"k": "v"}
        checksum = backend.checksum("multi.bin")
        assert checksum is not None and checksum.algorithm == "s3-etag"
        assert s3.get_object(Bucket=bucket, Key="multi.bin")["Body"].read() == data
    finally:
        backend.close()


def test_abort_leaves_no_upload_and_no_object(auth: AWSAuth, s3: Any, bucket: str) -> None:
    backend = S3Backend(auth, bucket)
    try:
        with pytest.raises(RuntimeError, match="interrupted"):
            with backend.open_writer("aborted.bin", part_size=5 * MiB) as writer:
                writer.write(os.urandom(11 * MiB))
                assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
                raise RuntimeError("interrupted")
        assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
        assert keys(s3, bucket) == []
        small = backend.open_writer("small-aborted.txt")
        small.write(b"abc")
        small.abort()
        assert keys(s3, bucket) == []
    finally:
        backend.close()


def test_transfer_with_chunk_size_goes_multipart(
    auth: AWSAuth, s3: Any, bucket: str, tmp_path: Any
) -> None:
    data = os.urandom(6 * MiB)
    (tmp_path / "six.bin").write_bytes(data)
    with LocalDir(str(tmp_path)) as local, AmazonS3Dir(auth, bucket) as dst:
        assert local.get_file("six.bin").transfer_to(dst, chunk_size=5 * MiB, suppress_output=True)
        assert dst.get_file("six.bin").read() == data
    assert s3.head_object(Bucket=bucket, Key="six.bin")["ETag"].strip('"').endswith("-2")


def test_invalid_chunk_sizes_are_refused_before_any_request(
    auth: AWSAuth, s3: Any, bucket: str, tmp_path: Any
) -> None:
    (tmp_path / "f.bin").write_bytes(b"data")
    with LocalDir(str(tmp_path)) as local, AmazonS3Dir(auth, bucket) as dst:
        for bad in (MiB, 5 * MiB - 1, 5 * 1024 * MiB + 1):
            with pytest.raises(InvalidChunkSizeError, match=str(bad)):
                local.transfer_to(dst, chunk_size=bad, suppress_output=True)
        with pytest.raises(InvalidChunkSizeError, match=str(MiB)):
            backend_of(dst).open_writer("x", part_size=MiB)
        with pytest.raises(InvalidChunkSizeError, match="10000"):
            backend_of(dst).open_writer("x", part_size=5 * MiB, size_hint=60 * 1024**3)
    assert keys(s3, bucket) == []


# -- metadata -------------------------------------------------------------------


def test_metadata_read_and_replace(auth: AWSAuth, s3: Any, bucket: str) -> None:
    put(s3, bucket, "m.json", b"{}", Metadata={"transfer": "True"}, ContentType="application/json")
    with AmazonS3File(auth, bucket, "m.json", load_metadata=True) as file:
        assert file.get_metadata() == {"transfer": "True"}
        backend = backend_of(file)
        backend.set_metadata("m.json", {"transfer": "False", "extra": "1"})
        assert backend.get_metadata("m.json") == {"transfer": "False", "extra": "1"}
    head = s3.head_object(Bucket=bucket, Key="m.json")
    assert head["ContentType"] == "application/json"
    assert s3.get_object(Bucket=bucket, Key="m.json")["Body"].read() == b"{}"


def test_dir_load_metadata_recursively(auth: AWSAuth, s3: Any, bucket: str) -> None:
    put(s3, bucket, "d/a", Metadata={"n": "a"})
    put(s3, bucket, "d/sub/b", Metadata={"n": "b"})
    with AmazonS3Dir(auth, bucket, "d", cache=True) as directory:
        directory.load_metadata(recursively=True)
        assert directory.get_metadata("sub/b") == {"n": "b"}
        assert directory.get_file("a").get_metadata() == {"n": "a"}


# -- server-side copy -------------------------------------------------------------


def test_copy_between_buckets_is_server_side(
    auth: AWSAuth, s3: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = bucket + "-dst"
    s3.create_bucket(Bucket=other)
    put(s3, bucket, "src/a.txt", b"alpha", Metadata={"colour": "red"})
    put(s3, bucket, "src/deep/b.txt", b"beta")

    def no_streaming(*args: object, **kwargs: object) -> None:
        raise AssertionError("bytes were streamed through the client")

    monkeypatch.setattr(S3Backend, "iter_chunks", no_streaming)
    with AmazonS3Dir(auth, bucket, "src") as src, AmazonS3Dir(auth, other) as dst:
        assert backend_of(src).copy_domain() == backend_of(dst).copy_domain()
        report = src.transfer_to(dst, recursively=True, include_metadata=True, suppress_output=True)
        assert report, report.failed
        assert dst.get_contents(recursively=True) == ["a.txt", "deep/b.txt"]
        assert backend_of(dst).get_metadata("a.txt") == {"colour": "red"}
        assert s3.get_object(Bucket=other, Key="deep/b.txt")["Body"].read() == b"beta"
        assert src.get_file("a.txt").transfer_to(
            dst.get_subdir("deep"), include_metadata=False, suppress_output=True
        )
        assert backend_of(dst).get_metadata("deep/a.txt") == {}


def test_multipart_server_side_copy(auth: AWSAuth, s3: Any, bucket: str) -> None:
    data = os.urandom(12 * MiB)
    put(s3, bucket, "large.bin", data)
    src, dst = S3Backend(auth, bucket), S3Backend(auth, bucket)
    src.multipart_copy_threshold = 5 * MiB  # stands in for CopyObject's 5 GiB limit
    src.copy_part_size = 5 * MiB
    try:
        src.copy_within("large.bin", dst, "copied.bin", metadata={"m": "1"})
        head = s3.head_object(Bucket=bucket, Key="copied.bin")
        assert head["ETag"].strip('"').endswith("-3")
        assert head["Metadata"] == {"m": "1"}
        assert s3.get_object(Bucket=bucket, Key="copied.bin")["Body"].read() == data
        assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    finally:
        src.close()
        dst.close()


def test_copy_domain_differs_with_other_credentials(
    auth: AWSAuth, moto_endpoint: str, bucket: str
) -> None:
    other = AWSAuth("AKIAOTHERKEY00000002", "another-secret", endpoint_url=moto_endpoint)
    one, two, three = S3Backend(auth, bucket), S3Backend(auth, "x"), S3Backend(other, bucket)
    try:
        assert one.copy_domain() == two.copy_domain()
        assert one.copy_domain() != three.copy_domain()
        assert "secret" not in str(one.copy_domain())
    finally:
        for backend in (one, two, three):
            backend.close()


# -- errors and connections ---------------------------------------------------------


def test_missing_bucket_raises_at_construction(auth: AWSAuth) -> None:
    missing = "fluke-no-such-bucket-anywhere"
    with pytest.raises(BucketNotFoundError, match=missing):
        AmazonS3Dir(auth, missing)
    with pytest.raises(BucketNotFoundError, match=missing):
        AmazonS3Dir(auth, missing, "some/dir", create_if_missing=True)
    with pytest.raises(BucketNotFoundError, match=missing):
        AmazonS3File(auth, missing, "some/key")
    with pytest.raises(InvalidPathError, match="bad/name"):
        AmazonS3Dir(auth, "bad/name")


def test_close_and_resource_warning(auth: AWSAuth, s3: Any, bucket: str) -> None:
    put(s3, bucket, "f")
    directory = AmazonS3Dir(auth, bucket)
    assert backend_of(directory).is_connected()
    directory.close()
    assert not backend_of(directory).is_connected()
    assert directory.get_contents() == ["f"]  # reconnects lazily
    directory.close()
    leaked = AmazonS3File(auth, bucket, "f")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        leaked.__del__()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)
