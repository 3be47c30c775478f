"""Azure Blob specifics on Azurite: markers, block commits, metadata, copies, big listings."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from fluke.exceptions import (
    ContainerNotFoundError,
    InvalidChunkSizeError,
    InvalidDirectoryError,
    InvalidFileError,
    InvalidPathError,
)
from fluke.local import LocalBackend, LocalDir
from fluke_azure.auth import AzureAuth
from fluke_azure.blob import AzureBlobBackend, InvalidMetadataError
from fluke_azure.storage import AzureBlobDir, AzureBlobFile

MiB = 1024 * 1024
ACCOUNT = "devstoreaccount1"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


@pytest.fixture
def backend(auth: AzureAuth, container: str) -> Iterator[AzureBlobBackend]:
    """Fluke's backend on the fresh container."""
    instance = AzureBlobBackend(auth, container)
    yield instance
    instance.close()


@pytest.fixture
def local(tmp_path: Path) -> Iterator[LocalDir]:
    with LocalDir(str(tmp_path / "local"), create_if_missing=True) as directory:
        yield directory


def _names(container_client: Any) -> list[str]:
    return sorted(blob.name for blob in container_client.list_blobs())


# -- construction -------------------------------------------------------------


def test_missing_container(auth: AzureAuth) -> None:
    missing = unique("missing")
    with pytest.raises(ContainerNotFoundError, match=missing):
        AzureBlobDir(auth, missing)
    with pytest.raises(ContainerNotFoundError, match=missing):
        AzureBlobDir(auth, missing, "some/dir", create_if_missing=True)
    with pytest.raises(ContainerNotFoundError, match=missing):
        AzureBlobFile(auth, missing, "file.txt")


def test_invalid_container_name(auth: AzureAuth) -> None:
    with pytest.raises(ContainerNotFoundError, match="Bad_Name"):
        AzureBlobDir(auth, "Bad_Name")


def test_leading_slash_and_wrong_auth(auth: AzureAuth, container: str) -> None:
    with pytest.raises(InvalidPathError, match="/abs"):
        AzureBlobDir(auth, container, "/abs")
    with pytest.raises(TypeError, match="AzureAuth"):
        AzureBlobDir("not an auth", container)  # type: ignore[arg-type]


def test_getters_and_uri(auth: AzureAuth, container: str, container_client: Any) -> None:
    container_client.upload_blob("d/f.txt", b"x")
    with AzureBlobDir(auth, container) as root:
        assert root.get_container_name() == container
        assert root.get_uri() == f"abfss://{container}@{ACCOUNT}.dfs.core.windows.net/"
        assert root.get_name() is None
        file = root.get_file("d/f.txt")
        assert file.get_uri() == f"abfss://{container}@{ACCOUNT}.dfs.core.windows.net/d/f.txt"
    with AzureBlobFile(auth, container, "d/f.txt", load_metadata=True) as direct:
        assert direct.get_container_name() == container
        assert direct.get_metadata() == {}


# -- directory markers --------------------------------------------------------


def test_markers_and_folder_blobs(auth: AzureAuth, container: str, container_client: Any) -> None:
    container_client.upload_blob("marked/", b"")
    container_client.upload_blob("folder", b"", metadata={"hdi_isfolder": "true"})
    container_client.upload_blob("folder/inner.txt", b"inner")
    container_client.upload_blob("emptyfolder", b"", metadata={"hdi_isfolder": "true"})
    container_client.upload_blob("marked/sub/", b"")
    container_client.upload_blob("plain.txt", b"plain")
    with AzureBlobDir(auth, container) as root:
        assert root.get_contents() == ["emptyfolder/", "folder/", "marked/", "plain.txt"]
        assert root.get_contents(recursively=True) == ["folder/inner.txt", "plain.txt"]
        assert root.count(recursively=True) == 2
        for name in ("marked", "folder", "emptyfolder", "marked/sub"):
            assert root.path_exists(name) and not root.is_file(name)
            with pytest.raises(InvalidFileError):
                root.get_file(name)
        assert root.get_subdir("emptyfolder").get_contents() == []
        assert root.get_subdir("marked").get_contents() == ["sub/"]
        assert root.get_subdir("folder").get_contents() == ["inner.txt"]
    with AzureBlobDir(auth, container, "emptyfolder") as folder:
        assert folder.get_path() == "emptyfolder/"
    with pytest.raises(InvalidFileError):
        AzureBlobFile(auth, container, "emptyfolder")
    with pytest.raises(InvalidDirectoryError):
        AzureBlobDir(auth, container, "plain.txt")


def test_create_if_missing_makes_a_marker(
    auth: AzureAuth, container: str, container_client: Any
) -> None:
    with AzureBlobDir(auth, container, "new/dir", create_if_missing=True) as made:
        assert made.get_path() == "new/dir/"
    assert _names(container_client) == ["new/dir/"]
    with AzureBlobDir(auth, container) as root:
        assert root.get_contents() == ["new/"]
        assert root.get_contents(recursively=True) == []


# -- writes: blocks committed only at the end ---------------------------------


def test_writer_commits_blocks_only_at_commit(
    backend: AzureBlobBackend, container_client: Any
) -> None:
    data = os.urandom(5000)
    writer = backend.open_writer("big.bin", part_size=1024, metadata={"k": "v"})
    writer.write(data)
    blob = container_client.get_blob_client("big.bin")
    assert backend.stat("big.bin") is None  # staged, not visible
    writer.commit()
    assert blob.download_blob().readall() == data
    committed, uncommitted = blob.get_block_list("all")
    assert len(committed) == 5 and not uncommitted
    props = blob.get_blob_properties()
    assert props.metadata == {"k": "v"}
    assert bytes(props.content_settings.content_md5) == hashlib.md5(data).digest()
    checksum = backend.checksum("big.bin")
    assert checksum is not None and checksum.algorithm == "md5"
    assert checksum.value == hashlib.md5(data).hexdigest()


def test_abort_leaves_nothing(backend: AzureBlobBackend, container_client: Any) -> None:
    writer = backend.open_writer("aborted.bin", part_size=1024)
    writer.write(os.urandom(4096))
    writer.abort()
    assert backend.stat("aborted.bin") is None
    assert _names(container_client) == []


def test_abort_keeps_the_existing_blob(backend: AzureBlobBackend, container_client: Any) -> None:
    container_client.upload_blob("keep.bin", b"original")
    with pytest.raises(RuntimeError), backend.open_writer("keep.bin", part_size=1024) as writer:
        writer.write(os.urandom(3000))
        raise RuntimeError("source failed mid-way")
    assert container_client.get_blob_client("keep.bin").download_blob().readall() == b"original"


class _FailingDisk(LocalBackend):
    """Local disk whose reads fail after the first MiB (a source dying mid-copy)."""

    def read_range(self, path: str, start: int, end: int, *, version: str | None = None) -> bytes:
        if start >= MiB:
            raise RuntimeError("disk failed")
        return super().read_range(path, start, end, version=version)

    def iter_chunks(
        self, path: str, chunk_size: int, size: int | None = None, *, version: str | None = None
    ) -> Iterator[bytes]:
        chunks = super().iter_chunks(path, chunk_size, size, version=version)
        yield next(chunks)
        raise RuntimeError("disk failed")


@pytest.mark.parametrize("chunk_size", [MiB, None], ids=["in-parts", "streamed"])
def test_failed_transfer_commits_nothing(
    auth: AzureAuth, container: str, container_client: Any, tmp_path: Path, chunk_size: int | None
) -> None:
    """A source failing mid-transfer: nothing appears at the destination."""
    (tmp_path / "big.bin").write_bytes(os.urandom(3 * MiB))
    container_client.upload_blob("old.bin", b"old")
    (tmp_path / "old.bin").write_bytes(os.urandom(3 * MiB))
    with LocalDir(str(tmp_path)) as src, AzureBlobDir(auth, container) as dst:
        src._session.backend = _FailingDisk()
        report = src.transfer_to(dst, overwrite=True, chunk_size=chunk_size, suppress_output=True)
        assert not report and len(report.failed) == 2
    assert _names(container_client) == ["old.bin"]
    assert container_client.get_blob_client("old.bin").download_blob().readall() == b"old"


def test_transfer_in_parts(
    auth: AzureAuth, container: str, container_client: Any, local: LocalDir
) -> None:
    data = os.urandom(5 * MiB + 123)
    container_client.upload_blob("src/large.bin", data)
    with AzureBlobDir(auth, container, "src") as src:
        assert src.transfer_to(local, chunk_size=MiB, suppress_output=True)
        assert local.get_file("large.bin").read() == data
        with AzureBlobDir(auth, container, "up", create_if_missing=True) as up:
            assert local.transfer_to(up, chunk_size=MiB, suppress_output=True)
            assert up.get_file("large.bin").read() == data
    committed, _ = container_client.get_blob_client("up/large.bin").get_block_list("committed")
    assert len(committed) == 6


def test_chunk_size_over_the_block_limit(auth: AzureAuth, container: str, local: LocalDir) -> None:
    Path(local.get_path(), "f.txt").write_bytes(b"x")
    with AzureBlobDir(auth, container) as dst:
        with pytest.raises(InvalidChunkSizeError, match=str(4000 * MiB + 1)):
            local.transfer_to(dst, chunk_size=4000 * MiB + 1, suppress_output=True)
        assert dst.count(recursively=True) == 0
        with pytest.raises(InvalidChunkSizeError, match="memory budget"):
            local.transfer_to(dst, chunk_size=4000 * MiB, suppress_output=True)
        assert local.transfer_to(
            dst, chunk_size=4000 * MiB, memory_budget=4000 * MiB, suppress_output=True
        )


def test_reads(backend: AzureBlobBackend, container_client: Any) -> None:
    data = os.urandom(9 * MiB + 7)
    container_client.upload_blob("r.bin", data)
    assert backend.read_range("r.bin", 5, 20) == data[5:20]
    chunks = list(backend.iter_chunks("r.bin", 3 * MiB - 1))
    assert all(len(chunk) == 3 * MiB - 1 for chunk in chunks[:-1])
    assert b"".join(chunks) == data
    with pytest.raises(InvalidPathError, match="absent"):
        backend.read_range("absent", 0, 1)


# -- metadata ------------------------------------------------------------------


def test_metadata_round_trip_and_validation(
    auth: AzureAuth, container: str, container_client: Any, local: LocalDir
) -> None:
    Path(local.get_path(), "m.txt").write_bytes(b"meta")
    with AzureBlobDir(auth, container) as dst:
        local.set_metadata("m.txt", {"owner": "me", "Mixed_Case": "Value"})
        assert local.transfer_to(dst, include_metadata=True, suppress_output=True)
        props = container_client.get_blob_client("m.txt").get_blob_properties()
        assert props.metadata == {"owner": "me", "Mixed_Case": "Value"}
        file = dst.get_file("m.txt")
        file.load_metadata()
        assert file.get_metadata() == {"owner": "me", "Mixed_Case": "Value"}
        backend = dst._session.backend
        backend.set_metadata("m.txt", {"fresh": "1"})
        assert backend.get_metadata("m.txt") == {"fresh": "1"}
        with pytest.raises(InvalidMetadataError, match="bad-key"):
            backend.open_writer("n.txt", metadata={"bad-key": "v"})
        with pytest.raises(InvalidMetadataError, match="ünï"):
            backend.set_metadata("m.txt", {"k": "ünï"})
    assert _names(container_client) == ["m.txt"]


# -- server-side copies --------------------------------------------------------


def test_server_side_copy_between_containers(
    auth: AzureAuth, blob_service: Any, container: str, container_client: Any
) -> None:
    data = os.urandom(100_000)
    container_client.upload_blob("a/one.bin", data, metadata={"colour": "red"})
    container_client.upload_blob("a/two.bin", b"two", metadata={"colour": "blue"})
    other = unique("copy")
    blob_service.create_container(other)
    try:
        with AzureBlobDir(auth, container, "a") as src, AzureBlobDir(auth, other) as dst:
            backend = src._session.backend
            assert backend.copy_domain() == dst._session.backend.copy_domain()
            assert src.get_file("one.bin").transfer_to(
                dst, include_metadata=True, suppress_output=True
            )
            assert src.get_file("two.bin").transfer_to(dst, suppress_output=True)
        target = blob_service.get_container_client(other)
        one = target.get_blob_client("one.bin").get_blob_properties()
        assert one.copy.status == "success" and one.copy.id  # a real Copy Blob
        assert one.metadata == {"colour": "red"}
        assert target.get_blob_client("one.bin").download_blob().readall() == data
        two = target.get_blob_client("two.bin").get_blob_properties()
        assert two.copy.status == "success"
        assert two.metadata == {}  # include_metadata=False: nothing carried
    finally:
        blob_service.delete_container(other)


def test_skip_identical_uses_md5(auth: AzureAuth, container: str, local: LocalDir) -> None:
    Path(local.get_path(), "s.txt").write_bytes(b"same")
    with AzureBlobDir(auth, container) as dst:
        assert local.transfer_to(dst, suppress_output=True)
        again = local.transfer_to(dst, skip_identical=True, suppress_output=True)
        assert again and len(again.skipped) == 1
        backend = dst._session.backend
        expected = hashlib.md5(b"same").hexdigest()
        writer = backend.open_writer("t.txt")
        writer.write(b"same")
        answered = writer.commit()  # the MD5 the service computed on receipt
        assert answered == backend.checksum("t.txt") == ("md5", expected)


# -- listings over many pages ----------------------------------------------------


def test_listing_over_5000_blobs(auth: AzureAuth, container: str, container_client: Any) -> None:
    """More blobs than one List Blobs page (5,000) holds: every page is read."""
    names = [f"many/f{index:05d}" for index in range(5001)]
    names += ["many/sub0/x", "many/sub1/x"]

    def put(name: str) -> None:
        container_client.upload_blob(name, b"")

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, names))
    with AzureBlobDir(auth, container, "many") as many:
        top = many.get_contents()
        assert len(top) == 5003
        assert top[0] == "f00000" and top[-3:] == ["f05000", "sub0/", "sub1/"]
        assert many.get_contents(recursively=True) == sorted(n[len("many/") :] for n in names)
