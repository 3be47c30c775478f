"""Real readers over ``File.reader()`` on SFTP: zipfile and tarfile."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Iterator

import pytest

from fluke.auth import RemoteAuth
from fluke.storage import RemoteDir

MEMBERS = {f"dir/member-{i}.txt": f"member {i}\n".encode() * (i + 1) for i in range(5)}
MEMBERS["big.bin"] = bytes(range(256)) * 40_000  # ~10 MiB: spans several reader blocks


@pytest.fixture
def directory(auth: RemoteAuth, area: str) -> Iterator[RemoteDir]:
    with RemoteDir(auth, area) as root:
        yield root


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in MEMBERS.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar_bytes(mode: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in MEMBERS.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_zipfile_over_a_reader(directory: RemoteDir) -> None:
    directory.write_file("archive.zip", _zip_bytes())
    with directory.get_file("archive.zip").reader() as reader:
        with zipfile.ZipFile(reader) as archive:
            assert archive.namelist() == list(MEMBERS)
            assert archive.read("dir/member-3.txt") == MEMBERS["dir/member-3.txt"]
            assert archive.read("big.bin") == MEMBERS["big.bin"]
            assert archive.testzip() is None
        assert reader.stats.bytes < 3 * len(MEMBERS["big.bin"])


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_tarfile_over_a_reader(directory: RemoteDir, mode: str) -> None:
    directory.write_file("archive.tar", _tar_bytes(mode))
    with directory.get_file("archive.tar").reader() as reader:
        with tarfile.open(fileobj=reader, mode="r:*") as archive:
            assert archive.getnames() == list(MEMBERS)
            member = archive.extractfile("big.bin")
            assert member is not None and member.read() == MEMBERS["big.bin"]
