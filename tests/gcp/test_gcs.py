"""GCS-specific behaviour against fake-gcs-server (beyond the conformance suite)."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import google_crc32c
import pytest

from fluke.exceptions import (
    BucketNotFoundError,
    InvalidChunkSizeError,
    InvalidPathError,
    TransferError,
)
from fluke.storage import LocalDir
from fluke_gcp import _crc
from fluke_gcp._backend import GCSBackend
from fluke_gcp._writer import CHUNK_MULTIPLE
from fluke_gcp.auth import GCPAuth
from fluke_gcp.storage import GCPStorageDir, GCPStorageFile

KIB = 1024


def _backend(gcp_auth: GCPAuth, bucket: str) -> GCSBackend:
    return GCSBackend(gcp_auth, bucket)


def _names(sdk_client: Any, bucket: str) -> list[str]:
    return sorted(blob.name for blob in sdk_client.list_blobs(bucket))


# -- construction ----------------------------------------------------------


def test_bucket_not_found(gcp_auth: GCPAuth) -> None:
    with pytest.raises(BucketNotFoundError, match="no-such-bucket"):
        GCPStorageDir(gcp_auth, "no-such-bucket")
    with pytest.raises(BucketNotFoundError, match="no-such-bucket"):
        GCPStorageFile(gcp_auth, "no-such-bucket", "a.txt")


def test_leading_slash_refused_before_any_request(gcp_auth: GCPAuth, bucket: str) -> None:
    with pytest.raises(InvalidPathError, match="/abs"):
        GCPStorageDir(gcp_auth, bucket, "/abs")
    with pytest.raises(InvalidPathError, match="/abs.txt"):
        GCPStorageFile(gcp_auth, bucket, "/abs.txt")


def test_bucket_name_and_uri(gcp_auth: GCPAuth, bucket: str, sdk_client: Any) -> None:
    sdk_client.bucket(bucket).blob("d/x.txt").upload_from_string(b"x")
    with GCPStorageDir(gcp_auth, bucket, "d") as directory:
        assert directory.get_bucket_name() == bucket
        assert directory.get_uri() == f"gs://{bucket}/d/"
        file = directory.get_file("x.txt")
        assert file.get_uri() == f"gs://{bucket}/d/x.txt"
    with GCPStorageFile(gcp_auth, bucket, "d/x.txt") as file:
        assert file.get_bucket_name() == bucket


def test_unclosed_dir_warns(gcp_auth: GCPAuth, bucket: str) -> None:
    directory = GCPStorageDir(gcp_auth, bucket)
    assert directory._session.backend.is_connected()
    with pytest.warns(ResourceWarning):
        directory.__del__()
    assert not directory._session.backend.is_connected()


# -- directories -----------------------------------------------------------


def test_markers(gcp_auth: GCPAuth, bucket: str, sdk_client: Any) -> None:
    with GCPStorageDir(gcp_auth, bucket, "made/deep/", create_if_missing=True) as made:
        assert made.get_contents() == []
    marker = sdk_client.bucket(bucket).get_blob("made/deep/")
    assert marker is not None and marker.size == 0
    assert _names(sdk_client, bucket) == ["made/deep/"]
    # a prefix implied by a key (no marker) is a directory too
    sdk_client.bucket(bucket).blob("implied/k.txt").upload_from_string(b"k")
    sdk_client.bucket(bucket).blob("made/file.txt").upload_from_string(b"f")
    with GCPStorageDir(gcp_auth, bucket) as root:
        assert root.get_contents() == ["implied/", "made/"]
        assert root.get_contents(recursively=True) == ["implied/k.txt", "made/file.txt"]
        assert root.get_subdir("made").get_contents() == ["deep/", "file.txt"]
        assert root.is_file("made/file.txt") and not root.is_file("made/deep")
        assert root.path_exists("made/deep/") and root.path_exists("implied")
        assert root.count(recursively=True) == 2


# -- reads -----------------------------------------------------------------


def test_ranged_reads_are_exclusive_at_the_end(
    gcp_auth: GCPAuth, bucket: str, sdk_client: Any
) -> None:
    data = os.urandom(3000)
    sdk_client.bucket(bucket).blob("r.bin").upload_from_string(data)
    with GCPStorageFile(gcp_auth, bucket, "r.bin") as file:
        assert file.read_range(0, 1) == data[:1]
        assert file.read_range(2999, 3000) == data[2999:]
        assert file.read_range(100, 2000) == data[100:2000]
        chunks = list(file.read_chunks(1000))
        assert [len(c) for c in chunks] == [1000, 1000, 1000]
        assert b"".join(chunks) == data


def test_checksum_is_crc32c(gcp_auth: GCPAuth, bucket: str, sdk_client: Any) -> None:
    data = b"checksum me" * 100
    sdk_client.bucket(bucket).blob("c.bin").upload_from_string(data)
    backend = _backend(gcp_auth, bucket)
    try:
        checksum = backend.checksum("c.bin")
        assert checksum is not None and checksum.algorithm == "crc32c"
        assert checksum.value == f"{google_crc32c.value(data):08x}"
        (entry,) = list(backend.list("", recursive=True))
        assert entry.checksum == checksum
        assert backend.checksum("missing") is None
    finally:
        backend.close()


# -- writes ----------------------------------------------------------------


def test_resumable_upload_in_chunks(
    gcp_auth: GCPAuth, bucket: str, sdk_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    data = os.urandom(2 * CHUNK_MULTIPLE + 12345)
    backend = _backend(gcp_auth, bucket)
    caplog.set_level(logging.DEBUG, logger="fluke.gcp")
    try:
        writer = backend.open_writer("big/file.bin", part_size=CHUNK_MULTIPLE, metadata={"k": "v"})
        writer.write(data[: CHUNK_MULTIPLE + 10])  # one full chunk goes out now
        assert "started resumable upload" in caplog.text
        assert sdk_client.bucket(bucket).get_blob("big/file.bin") is None  # not visible yet
        writer.write(data[CHUNK_MULTIPLE + 10 :])
        assert sdk_client.bucket(bucket).get_blob("big/file.bin") is None
        committed = writer.commit()
        checksum = backend.checksum("big/file.bin")
        assert committed == checksum
        assert checksum is not None and checksum.value == f"{google_crc32c.value(data):08x}"
    finally:
        backend.close()
    blob = sdk_client.bucket(bucket).get_blob("big/file.bin")
    assert blob.size == len(data) and blob.metadata == {"k": "v"}
    assert blob.download_as_bytes() == data


def test_abort_cancels_the_session(gcp_auth: GCPAuth, bucket: str, sdk_client: Any) -> None:
    backend = _backend(gcp_auth, bucket)
    try:
        with (
            pytest.raises(RuntimeError),
            backend.open_writer("gone.bin", part_size=CHUNK_MULTIPLE) as writer,
        ):
            writer.write(os.urandom(CHUNK_MULTIPLE * 2))
            raise RuntimeError("boom")
    finally:
        backend.close()
    assert _names(sdk_client, bucket) == []


def test_transfer_with_chunk_size(
    gcp_auth: GCPAuth, bucket: str, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    data = os.urandom(3 * CHUNK_MULTIPLE + 1)
    (tmp_path / "f.bin").write_bytes(data)
    caplog.set_level(logging.DEBUG, logger="fluke.gcp")
    with LocalDir(str(tmp_path)) as src, GCPStorageDir(gcp_auth, bucket) as dst:
        assert src.transfer_to(dst, chunk_size=CHUNK_MULTIPLE, suppress_output=True)
        assert dst.get_file("f.bin").read() == data
    assert "started resumable upload" in caplog.text


def test_invalid_chunk_size_before_any_request(
    gcp_auth: GCPAuth, bucket: str, sdk_client: Any, tmp_path: Any
) -> None:
    (tmp_path / "f.bin").write_bytes(b"x" * 10)
    with LocalDir(str(tmp_path)) as src, GCPStorageDir(gcp_auth, bucket) as dst:
        for bad in (CHUNK_MULTIPLE + 1, 300 * KIB, 1000, 0):
            with pytest.raises(InvalidChunkSizeError, match=str(bad)):
                src.transfer_to(dst, chunk_size=bad, suppress_output=True)
        with pytest.raises(InvalidChunkSizeError):
            dst._session.backend.open_writer("x.bin", part_size=100 * KIB)
    assert _names(sdk_client, bucket) == []


def test_crc32c_mismatch_deletes_and_raises(
    gcp_auth: GCPAuth, bucket: str, sdk_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_crc, "local_digest_hook", lambda value: value ^ 0xFFFFFFFF)
    backend = _backend(gcp_auth, bucket)
    try:
        for size, name in ((100, "small.bin"), (2 * CHUNK_MULTIPLE + 7, "large.bin")):
            writer = backend.open_writer(name, part_size=CHUNK_MULTIPLE)
            writer.write(os.urandom(size))
            with pytest.raises(TransferError, match=f"{name}: crc32c mismatch"):
                writer.commit()
    finally:
        backend.close()
    assert _names(sdk_client, bucket) == []


def test_crc32c_mismatch_is_a_reported_failure(
    gcp_auth: GCPAuth, bucket: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "f.txt").write_bytes(b"payload")
    monkeypatch.setattr(_crc, "local_digest_hook", lambda value: value + 1)
    with LocalDir(str(tmp_path)) as src, GCPStorageDir(gcp_auth, bucket) as dst:
        report = src.transfer_to(dst, suppress_output=True)
        assert not report
        assert isinstance(report.failed[0].error, TransferError)
        assert dst.get_contents() == []


# -- metadata --------------------------------------------------------------


def test_metadata_round_trip_and_replace(gcp_auth: GCPAuth, bucket: str, sdk_client: Any) -> None:
    backend = _backend(gcp_auth, bucket)
    try:
        with backend.open_writer("m.txt", metadata={"a": "1", "b": "2"}) as writer:
            writer.write(b"m")
        assert backend.get_metadata("m.txt") == {"a": "1", "b": "2"}
        backend.set_metadata("m.txt", {"b": "3", "c": "4"})
        assert backend.get_metadata("m.txt") == {"b": "3", "c": "4"}
        assert sdk_client.bucket(bucket).get_blob("m.txt").metadata == {"b": "3", "c": "4"}
        backend.set_metadata("m.txt", {})
        assert backend.get_metadata("m.txt") == {}
        backend.set_metadata("m.txt", {"b": "3", "c": "4"})
        with pytest.raises(InvalidPathError, match="missing"):
            backend.set_metadata("missing", {})
    finally:
        backend.close()
    with GCPStorageFile(gcp_auth, bucket, "m.txt", load_metadata=True) as file:
        assert file.get_metadata() == {"b": "3", "c": "4"}


# -- server-side copy ------------------------------------------------------


def test_rewrite_copy_between_buckets(
    gcp_auth: GCPAuth,
    bucket: str,
    sdk_client: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    other = bucket + "-dst"
    sdk_client.create_bucket(other)
    data = os.urandom(CHUNK_MULTIPLE + 5)
    source = sdk_client.bucket(bucket).blob("src/a.bin")
    source.metadata = {"origin": "src"}
    source.upload_from_string(data)
    caplog.set_level(logging.DEBUG, logger="fluke.gcp")
    with GCPStorageDir(gcp_auth, bucket, "src") as src, GCPStorageDir(gcp_auth, other) as dst:
        assert src.get_file("a.bin").transfer_to(dst, suppress_output=True)
        assert "rewrite of" in caplog.text and "finished" in caplog.text
        assert dst.get_file("a.bin").read() == data
        copied = sdk_client.bucket(other).get_blob("a.bin")
        assert not copied.metadata  # include_metadata=False: nothing carried
        report = src.get_file("a.bin").transfer_to(
            dst, overwrite=True, include_metadata=True, suppress_output=True
        )
        assert report
    assert sdk_client.bucket(other).get_blob("a.bin").metadata == {"origin": "src"}


def test_copy_domain(gcp_auth: GCPAuth, gcs_endpoint: str) -> None:
    same = GCPAuth.for_emulator(gcs_endpoint, project_id="test")
    other_project = GCPAuth.for_emulator(gcs_endpoint, project_id="other")
    assert GCSBackend(gcp_auth, "a").copy_domain() == GCSBackend(same, "b").copy_domain()
    assert GCSBackend(gcp_auth, "a").copy_domain() != GCSBackend(other_project, "a").copy_domain()


# -- listing ---------------------------------------------------------------


def test_listing_over_a_thousand_objects(gcp_auth: GCPAuth, bucket: str, sdk_client: Any) -> None:
    handle = sdk_client.bucket(bucket)
    names = [f"many/f{i:04d}.txt" for i in range(1100)] + [f"many/sub{i}/x.txt" for i in range(20)]

    def seed(name: str) -> None:
        handle.blob(name).upload_from_string(b"1")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(seed, names))
    with GCPStorageDir(gcp_auth, bucket, "many") as many:
        top = many.get_contents()
        assert len(top) == 1120 and top[-1] == "sub9/"
        assert many.count() == 1120
        assert many.count(recursively=True) == 1120
        assert many.get_size(recursively=True) == 1120
        assert many.get_contents(recursively=True) == sorted(n[len("many/") :] for n in names)


def test_transient_errors(gcp_auth: GCPAuth) -> None:
    from google.api_core import exceptions
    from requests.exceptions import ConnectionError as RequestsConnectionError

    backend = GCSBackend(gcp_auth, "any")
    assert backend.is_transient(exceptions.ServiceUnavailable("busy"))
    assert backend.is_transient(exceptions.TooManyRequests("slow down"))
    assert backend.is_transient(RequestsConnectionError("reset"))
    assert backend.is_transient(TimeoutError())
    assert not backend.is_transient(exceptions.NotFound("gone"))
    assert not backend.is_transient(exceptions.Forbidden("no"))
