"""Blob preconditions on Azurite: ETag versions, If-Match reads, If-None-Match commits, copies.

Issue 17, findings 1 and 4: a source replaced mid-transfer fails that file
(``SourceChangedError``) and nothing is written; ``overwrite=False`` is
enforced by the service at commit time (``OverwriteError``), the existing
blob is untouched and nothing else becomes visible.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fluke.exceptions import OverwriteError, SourceChangedError
from fluke_azure.auth import AzureAuth
from fluke_azure.blob import AzureBlobBackend

MiB = 1024 * 1024


@pytest.fixture
def backend(auth: AzureAuth, container: str) -> Iterator[AzureBlobBackend]:
    """Fluke's backend on the fresh container."""
    instance = AzureBlobBackend(auth, container)
    yield instance
    instance.close()


def _names(container_client: Any) -> list[str]:
    return sorted(blob.name for blob in container_client.list_blobs())


def _content(container_client: Any, name: str) -> bytes:
    data: bytes = container_client.download_blob(name).readall()
    return data


def _version(backend: AzureBlobBackend, path: str) -> str:
    entry = backend.stat(path)
    assert entry is not None
    assert entry.version is not None
    return entry.version


# -- Entry.version --------------------------------------------------------------


def test_stat_and_list_carry_the_etag(backend: AzureBlobBackend, container_client: Any) -> None:
    container_client.upload_blob("d/a.txt", b"one")
    etag = container_client.get_blob_client("d/a.txt").get_blob_properties().etag
    assert _version(backend, "d/a.txt") == etag
    for recursive in (False, True):
        (entry,) = list(backend.list("d/", recursive))
        assert entry.version == etag
    container_client.upload_blob("d/a.txt", b"two", overwrite=True)
    assert _version(backend, "d/a.txt") != etag


# -- reads with If-Match ----------------------------------------------------------


def test_read_range_with_current_version(backend: AzureBlobBackend, container_client: Any) -> None:
    container_client.upload_blob("f.txt", b"0123456789")
    assert backend.read_range("f.txt", 2, 5, version=_version(backend, "f.txt")) == b"234"


def test_read_range_with_stale_version(backend: AzureBlobBackend, container_client: Any) -> None:
    container_client.upload_blob("f.txt", b"0123456789")
    old = _version(backend, "f.txt")
    container_client.upload_blob("f.txt", b"abcdefghij", overwrite=True)
    with pytest.raises(SourceChangedError, match="f.txt"):
        backend.read_range("f.txt", 2, 5, version=old)
    assert backend.read_range("f.txt", 2, 5) == b"cde"


def test_read_range_of_vanished_blob(backend: AzureBlobBackend, container_client: Any) -> None:
    container_client.upload_blob("f.txt", b"0123456789")
    old = _version(backend, "f.txt")
    container_client.delete_blob("f.txt")
    with pytest.raises(SourceChangedError, match="f.txt"):
        backend.read_range("f.txt", 0, 5, version=old)


def test_iter_chunks_with_versions(backend: AzureBlobBackend, container_client: Any) -> None:
    container_client.upload_blob("f.txt", b"0123456789")
    old = _version(backend, "f.txt")
    assert b"".join(backend.iter_chunks("f.txt", 4, version=old)) == b"0123456789"
    container_client.upload_blob("f.txt", b"abcdefghij", overwrite=True)
    with pytest.raises(SourceChangedError, match="f.txt"):
        list(backend.iter_chunks("f.txt", 4, version=old))


def test_iter_chunks_of_empty_blob_with_stale_version(
    backend: AzureBlobBackend, container_client: Any
) -> None:
    container_client.upload_blob("e.txt", b"")
    old = _version(backend, "e.txt")
    assert list(backend.iter_chunks("e.txt", 4, version=old)) == []
    container_client.upload_blob("e.txt", b"", overwrite=True)
    with pytest.raises(SourceChangedError, match="e.txt"):
        list(backend.iter_chunks("e.txt", 4, version=old))


@pytest.mark.parametrize("with_version", [True, False])
def test_iter_chunks_source_replaced_mid_stream(
    backend: AzureBlobBackend, container_client: Any, with_version: bool
) -> None:
    # Larger than one GET (4 MiB), so the download needs further requests.
    container_client.upload_blob("big.bin", b"a" * (10 * MiB))
    version = _version(backend, "big.bin") if with_version else None
    chunks = backend.iter_chunks("big.bin", MiB, version=version)
    assert next(chunks) == b"a" * MiB
    container_client.upload_blob("big.bin", b"b" * (10 * MiB), overwrite=True)
    with pytest.raises(SourceChangedError, match="big.bin"):
        list(chunks)


# -- conditional commits ----------------------------------------------------------


@pytest.mark.parametrize("part_size", [None, MiB], ids=["put-blob", "block-list"])
def test_writer_overwrite_false_refuses_existing(
    backend: AzureBlobBackend, container_client: Any, part_size: int | None
) -> None:
    container_client.upload_blob("keep.txt", b"precious")
    writer = backend.open_writer("keep.txt", part_size=part_size, overwrite=False)
    writer.write(b"x" * (3 * MiB + 5))
    with pytest.raises(OverwriteError, match="keep.txt"):
        writer.commit()
    assert _content(container_client, "keep.txt") == b"precious"
    assert _names(container_client) == ["keep.txt"]


@pytest.mark.parametrize("part_size", [None, MiB], ids=["put-blob", "block-list"])
def test_writer_overwrite_false_loses_a_race(
    backend: AzureBlobBackend, container_client: Any, part_size: int | None
) -> None:
    """The blob appears after the writer was opened: the commit itself is refused."""
    writer = backend.open_writer("race.txt", part_size=part_size, overwrite=False)
    writer.write(b"x" * (2 * MiB))
    container_client.upload_blob("race.txt", b"winner")
    with pytest.raises(OverwriteError, match="race.txt"):
        writer.commit()
    assert _content(container_client, "race.txt") == b"winner"


@pytest.mark.parametrize("part_size", [None, MiB], ids=["put-blob", "block-list"])
def test_writer_overwrite_false_creates_new(
    backend: AzureBlobBackend, container_client: Any, part_size: int | None
) -> None:
    data = b"y" * (2 * MiB + 1)
    with backend.open_writer("new.txt", part_size=part_size, overwrite=False) as writer:
        writer.write(data)
    assert _content(container_client, "new.txt") == data


def test_part_writer_overwrite_false(backend: AzureBlobBackend, container_client: Any) -> None:
    container_client.upload_blob("keep.bin", b"precious")
    writer = backend.open_part_writer("keep.bin", size=2 * MiB, part_size=MiB, overwrite=False)
    assert writer is not None
    writer.write_part(2, MiB, b"b" * MiB)
    writer.write_part(1, 0, b"a" * MiB)
    with pytest.raises(OverwriteError, match="keep.bin"):
        writer.commit()
    assert _content(container_client, "keep.bin") == b"precious"
    assert _names(container_client) == ["keep.bin"]

    fresh = backend.open_part_writer("new.bin", size=2 * MiB, part_size=MiB, overwrite=False)
    assert fresh is not None
    fresh.write_part(2, MiB, b"b" * MiB)
    fresh.write_part(1, 0, b"a" * MiB)
    fresh.commit()
    assert _content(container_client, "new.bin") == b"a" * MiB + b"b" * MiB


def test_overwrite_true_still_replaces(backend: AzureBlobBackend, container_client: Any) -> None:
    container_client.upload_blob("f.txt", b"old")
    with backend.open_writer("f.txt") as writer:
        writer.write(b"new")
    assert _content(container_client, "f.txt") == b"new"


# -- conditional server-side copies -----------------------------------------------


def test_copy_with_current_version(backend: AzureBlobBackend, container_client: Any) -> None:
    container_client.upload_blob("src.txt", b"source")
    backend.copy_within(
        "src.txt", backend, "dst.txt", version=_version(backend, "src.txt"), overwrite=False
    )
    assert _content(container_client, "dst.txt") == b"source"


def test_copy_with_stale_version_copies_nothing(
    backend: AzureBlobBackend, container_client: Any
) -> None:
    container_client.upload_blob("src.txt", b"source")
    old = _version(backend, "src.txt")
    container_client.upload_blob("src.txt", b"changed", overwrite=True)
    with pytest.raises(SourceChangedError, match="src.txt"):
        backend.copy_within("src.txt", backend, "dst.txt", version=old)
    assert _names(container_client) == ["src.txt"]

    container_client.upload_blob("dst.txt", b"existing")
    with pytest.raises(SourceChangedError, match="src.txt"):
        backend.copy_within("src.txt", backend, "dst.txt", version=old)
    assert _content(container_client, "dst.txt") == b"existing"
    assert _content(container_client, "src.txt") == b"changed"


def test_copy_of_vanished_source(backend: AzureBlobBackend, container_client: Any) -> None:
    container_client.upload_blob("src.txt", b"source")
    old = _version(backend, "src.txt")
    container_client.delete_blob("src.txt")
    with pytest.raises(SourceChangedError, match="src.txt"):
        backend.copy_within("src.txt", backend, "dst.txt", version=old)
    assert _names(container_client) == []


def test_copy_overwrite_false_refuses_existing(
    backend: AzureBlobBackend, container_client: Any
) -> None:
    container_client.upload_blob("src.txt", b"source")
    container_client.upload_blob("dst.txt", b"precious")
    with pytest.raises(OverwriteError, match="dst.txt"):
        backend.copy_within("src.txt", backend, "dst.txt", overwrite=False)
    with pytest.raises(OverwriteError, match="dst.txt"):
        backend.copy_within(
            "src.txt", backend, "dst.txt", version=_version(backend, "src.txt"), overwrite=False
        )
    assert _content(container_client, "dst.txt") == b"precious"
    assert _content(container_client, "src.txt") == b"source"


def test_copy_onto_itself_with_overwrite_false(
    backend: AzureBlobBackend, container_client: Any
) -> None:
    container_client.upload_blob("same.txt", b"data", metadata={"k": "v"})
    with pytest.raises(OverwriteError, match="same.txt"):
        backend.copy_within("same.txt", backend, "same.txt", overwrite=False)
    assert _content(container_client, "same.txt") == b"data"
    props = container_client.get_blob_client("same.txt").get_blob_properties()
    assert props.metadata == {"k": "v"}


def test_copy_with_both_conditions_and_stale_source(
    backend: AzureBlobBackend, container_client: Any
) -> None:
    """Azurite reports either refusal as ConditionNotMet; the source's change is named."""
    container_client.upload_blob("src.txt", b"source")
    old = _version(backend, "src.txt")
    container_client.upload_blob("src.txt", b"changed", overwrite=True)
    with pytest.raises(SourceChangedError, match="src.txt"):
        backend.copy_within("src.txt", backend, "dst.txt", version=old, overwrite=False)
    assert _names(container_client) == ["src.txt"]
