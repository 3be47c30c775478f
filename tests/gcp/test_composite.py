"""Parallel composite uploads (issue 15) against fake-gcs-server.

Parts become temporary objects next to the destination, uploaded
concurrently and CRC32C-checked; the commit composes them (in rounds of 32)
and always deletes them; ``overwrite=False`` keeps an existing object.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from fluke.exceptions import OverwriteError, TransferError
from fluke.storage import GCPStorageDir, LocalDir
from fluke_gcp import _crc
from fluke_gcp._backend import GCSBackend
from fluke_gcp._composite import GCSPartWriter
from fluke_gcp._writer import CHUNK_MULTIPLE
from fluke_gcp.auth import GCPAuth

PART = CHUNK_MULTIPLE


@pytest.fixture
def backend(gcp_auth: GCPAuth, bucket: str) -> Iterator[GCSBackend]:
    gcs = GCSBackend(gcp_auth, bucket)
    gcs.composite_upload_threshold = 0
    yield gcs
    gcs.close()


def _names(sdk_client: Any, bucket: str) -> list[str]:
    return sorted(blob.name for blob in sdk_client.list_blobs(bucket))


def _get(sdk_client: Any, bucket: str, name: str) -> bytes:
    return bytes(sdk_client.bucket(bucket).blob(name).download_as_bytes())


def _parts(data: bytes, part: int) -> list[tuple[int, int, bytes]]:
    return [
        (number, start, data[start : start + part])
        for number, start in enumerate(range(0, len(data), part), start=1)
    ]


def _open(backend: GCSBackend, path: str, size: int, **options: Any) -> GCSPartWriter:
    writer = backend.open_part_writer(path, size=size, part_size=PART, **options)
    assert isinstance(writer, GCSPartWriter)
    return writer


@pytest.mark.parametrize("count", [2, 33, 70])  # one compose, two rounds, three groups
def test_parts_in_any_order_compose_into_the_object(
    backend: GCSBackend, sdk_client: Any, bucket: str, count: int
) -> None:
    data = os.urandom(PART * (count - 1) + 1234)
    writer = _open(backend, "dir/big.bin", len(data), metadata={"k": "v"})
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda part: writer.write_part(*part), reversed(_parts(data, PART))))
    checksum = writer.commit()
    assert _get(sdk_client, bucket, "dir/big.bin") == data
    assert _names(sdk_client, bucket) == ["dir/big.bin"]  # no temporary part left
    crc = _crc.Crc32c()
    crc.update(data)
    assert checksum is not None and checksum.value == _crc.to_hex(crc.value)
    assert backend.get_metadata("dir/big.bin") == {"k": "v"}


def test_abort_deletes_every_part(backend: GCSBackend, sdk_client: Any, bucket: str) -> None:
    data = os.urandom(PART * 3)
    writer = _open(backend, "big.bin", len(data))
    for part in _parts(data, PART)[:2]:
        writer.write_part(*part)
    assert len(_names(sdk_client, bucket)) == 2
    writer.abort()
    assert _names(sdk_client, bucket) == []


def test_missing_part_fails_the_commit_and_cleans_up(
    backend: GCSBackend, sdk_client: Any, bucket: str
) -> None:
    data = os.urandom(PART * 3)
    writer = _open(backend, "big.bin", len(data))
    for part in _parts(data, PART)[:2]:
        writer.write_part(*part)
    with pytest.raises(TransferError, match="2 of 3 parts"):
        writer.commit()
    assert _names(sdk_client, bucket) == []


def test_without_overwrite_an_existing_object_is_kept(
    backend: GCSBackend, sdk_client: Any, bucket: str
) -> None:
    sdk_client.bucket(bucket).blob("big.bin").upload_from_string(b"keep me")
    data = os.urandom(PART * 2)
    writer = _open(backend, "big.bin", len(data), overwrite=False)
    for part in _parts(data, PART):
        writer.write_part(*part)
    with pytest.raises(OverwriteError, match="big.bin"):
        writer.commit()
    assert _get(sdk_client, bucket, "big.bin") == b"keep me"
    assert _names(sdk_client, bucket) == ["big.bin"]


def test_corrupted_part_is_refused(
    backend: GCSBackend, sdk_client: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_crc, "local_digest_hook", lambda value: value ^ 1)
    data = os.urandom(PART * 2)
    writer = _open(backend, "big.bin", len(data))
    with pytest.raises(TransferError, match="crc32c mismatch after uploading part 1"):
        writer.write_part(1, 0, data[:PART])
    writer.abort()
    assert _names(sdk_client, bucket) == []


def test_below_the_threshold_no_part_writer(backend: GCSBackend) -> None:
    backend.composite_upload_threshold = 64 * PART
    assert backend.open_part_writer("a.bin", size=63 * PART, part_size=PART) is None
    backend.composite_upload_threshold = None
    assert backend.open_part_writer("a.bin", size=1 << 30, part_size=PART) is None


def test_transfer_of_a_large_file_is_composed(
    gcp_auth: GCPAuth, sdk_client: Any, bucket: str, tmp_path: Any
) -> None:
    data = os.urandom(40 * 1024 * 1024 + 5)  # above the default threshold: parts of 8 MiB
    (tmp_path / "big.bin").write_bytes(data)
    with (
        LocalDir(str(tmp_path)) as src,
        GCPStorageDir(gcp_auth, bucket, "up/", create_if_missing=True) as dst,
    ):
        report = src.transfer_to(dst, suppress_output=True)
    assert report, [str(outcome.error) for outcome in report.failed]
    assert _get(sdk_client, bucket, "up/big.bin") == data
    assert [name for name in _names(sdk_client, bucket) if "fluke-tmp" in name] == []
