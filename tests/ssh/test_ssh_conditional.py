"""SFTP side of issue 17: versions, read preconditions, no-clobber commits, mtimes.

Everything runs against the real OpenSSH sshd of ``conftest.py``; files are
prepared and inspected directly on the server's disk.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from fluke.auth import RemoteAuth
from fluke.backend import Writer
from fluke.exceptions import OverwriteError, SourceChangedError, UnsafePathError
from fluke.storage import RemoteDir
from fluke_ssh.backend import SFTPBackend

CHUNK = 100_000


def _leftovers(path: str) -> list[str]:
    return sorted(name for name in os.listdir(path) if "fluke-part" in name)


def _file(area: str, name: str, data: bytes, mtime: int = 1_600_000_000) -> str:
    """A file on the server's disk with a known mtime; its server path."""
    path = os.path.join(area, name)
    Path(path).write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def backend(auth: RemoteAuth) -> Iterator[SFTPBackend]:
    """A backend of its own connection to the test server."""
    backend = SFTPBackend(auth)
    yield backend
    backend.close()


# -- Entry.version -----------------------------------------------------------------


def test_version_is_mtime_and_size_in_stat_and_list(backend: SFTPBackend, area: str) -> None:
    path = _file(area, "v.txt", b"12345", mtime=1_600_000_123)
    os.mkdir(os.path.join(area, "sub"))
    entry = backend.stat(path)
    assert entry is not None and entry.version == "1600000123:5"
    listed = {e.path: e for e in backend.list(area + "/", recursive=False)}
    assert listed[path].version == "1600000123:5"
    assert listed[area + "/sub/"].version is None  # directories have none
    assert [e.version for e in backend.list(area + "/", recursive=True)] == ["1600000123:5"]
    os.utime(path, (1_600_000_124, 1_600_000_124))
    entry = backend.stat(path)
    assert entry is not None and entry.version == "1600000124:5"


# -- read preconditions ------------------------------------------------------------


def test_read_range_checks_the_version(backend: SFTPBackend, area: str) -> None:
    data = os.urandom(3 * CHUNK)
    path = _file(area, "r.bin", data)
    version = f"1600000000:{len(data)}"
    assert backend.read_range(path, 10, 2 * CHUNK, version=version) == data[10 : 2 * CHUNK]
    assert backend.read_range(path, 0, 5, version=version) == data[:5]
    with pytest.raises(SourceChangedError) as caught:
        backend.read_range(path, 0, 5, version=f"1600000001:{len(data)}")
    assert caught.value.path == backend.uri(path)
    Path(path).write_bytes(data + b"more")  # grown (and a new mtime)
    with pytest.raises(SourceChangedError):
        backend.read_range(path, 0, 5, version=version)
    assert backend.read_range(path, 0, 5) == data[:5]  # no version: no check
    os.remove(path)
    with pytest.raises(SourceChangedError, match="vanished"):
        backend.read_range(path, 0, 5, version=version)
    with pytest.raises(FileNotFoundError):
        backend.read_range(path, 0, 5)


@pytest.mark.parametrize("size", [None, 3 * CHUNK + 7])
def test_iter_chunks_checks_the_version(backend: SFTPBackend, area: str, size: int | None) -> None:
    data = os.urandom(3 * CHUNK + 7)
    path = _file(area, "c.bin", data)
    version = f"1600000000:{len(data)}"
    chunks = list(backend.iter_chunks(path, CHUNK, size, version=version))
    assert b"".join(chunks) == data and len(chunks) == 4
    with pytest.raises(SourceChangedError):
        next(backend.iter_chunks(path, CHUNK, size, version="1599999999:" + str(len(data))))
    # exactly chunk-aligned content: the check precedes the last full chunk
    aligned = _file(area, "aligned.bin", data[: 2 * CHUNK])
    aligned_version = f"1600000000:{2 * CHUNK}"
    assert len(list(backend.iter_chunks(aligned, CHUNK, version=aligned_version))) == 2
    empty = _file(area, "empty.bin", b"")
    assert list(backend.iter_chunks(empty, CHUNK, version="1600000000:0")) == []
    with pytest.raises(SourceChangedError):
        list(backend.iter_chunks(empty, CHUNK, version="1600000001:0"))


@pytest.mark.parametrize("total", [3 * CHUNK + 7, 3 * CHUNK])
def test_iter_chunks_changed_mid_read_never_yields_the_last_chunk(
    backend: SFTPBackend, area: str, total: int
) -> None:
    data = os.urandom(total)
    path = _file(area, "mid.bin", data)
    chunks = backend.iter_chunks(path, CHUNK, total, version=f"1600000000:{total}")
    received = [next(chunks)]
    os.utime(path, (1_600_000_050, 1_600_000_050))  # touched while being read
    with pytest.raises(SourceChangedError):
        for chunk in chunks:
            received.append(chunk)
    assert sum(map(len, received)) < total  # the consumer never had it all
    os.utime(path, (1_600_000_000, 1_600_000_000))
    assert backend.read_range(path, 0, 1, version=f"1600000000:{total}") == data[:1]


@pytest.mark.parametrize("new_size", [0, 10, 100, 150])
def test_small_reads_check_the_version_after_reading(
    backend: SFTPBackend, area: str, new_size: int
) -> None:
    """Reads of one request skip the check before reading; the one after still holds."""
    path = _file(area, "small.txt", b"s" * 100)
    version = "1600000000:100"
    assert backend.read_range(path, 0, 100, version=version) == b"s" * 100
    assert list(backend.iter_chunks(path, 64, 100, version=version)) == [b"s" * 64, b"s" * 36]
    _file(area, "small.txt", b"n" * new_size, mtime=1_600_000_001)  # shrunk, grown, touched
    with pytest.raises(SourceChangedError):
        backend.read_range(path, 0, 100, version=version)
    with pytest.raises(SourceChangedError):
        list(backend.iter_chunks(path, 64, 100, version=version))
    with pytest.raises(SourceChangedError):
        list(backend.iter_chunks(path, 64, version=version))


# -- conditional commits -----------------------------------------------------------


def test_no_clobber_commit_refuses_an_existing_file(backend: SFTPBackend, area: str) -> None:
    target = _file(area, "keep.txt", b"old content")
    writer = backend.open_writer(target, overwrite=False)
    writer.write(b"new content")
    with pytest.raises(OverwriteError) as caught:
        writer.commit()
    assert caught.value.path == backend.uri(target)
    assert Path(target).read_bytes() == b"old content"
    assert _leftovers(area) == []
    # a directory in the way is refused the same way
    os.mkdir(os.path.join(area, "d"))
    with pytest.raises(OverwriteError):
        with backend.open_writer(area + "/d", overwrite=False) as blocked:
            blocked.write(b"x")
    # nothing there: the commit goes through (parents created)
    with backend.open_writer(area + "/new/file.txt", overwrite=False) as writer:
        writer.write(b"fresh")
    assert Path(area, "new", "file.txt").read_bytes() == b"fresh"
    # overwrite=True (the default) still replaces
    with backend.open_writer(target) as writer:
        writer.write(b"replaced")
    assert Path(target).read_bytes() == b"replaced"
    assert _leftovers(area) == [] and _leftovers(os.path.join(area, "new")) == []


def test_a_dangling_link_in_the_way_is_not_replaced(backend: SFTPBackend, area: str) -> None:
    link = os.path.join(area, "link.txt")
    os.symlink(os.path.join(area, "nowhere"), link)
    with pytest.raises(OverwriteError):
        with backend.open_writer(link, overwrite=False) as writer:
            writer.write(b"x")
    assert os.path.islink(link) and not os.path.exists(os.path.join(area, "nowhere"))
    assert _leftovers(area) == []


def _commit_together(writers: list[Writer]) -> list[BaseException | None]:
    """Commit every writer from its own thread, released at the same moment."""
    barrier = threading.Barrier(len(writers))
    outcome: list[BaseException | None] = [None] * len(writers)

    def commit(n: int) -> None:
        barrier.wait()
        try:
            writers[n].commit()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            outcome[n] = error

    threads = [threading.Thread(target=commit, args=(n,)) for n in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


def test_racing_no_clobber_writers_exactly_one_wins(auth: RemoteAuth, area: str) -> None:
    """Two connections commit to one path at the same moment, 15 times over."""
    backends = [SFTPBackend(auth), SFTPBackend(auth)]
    try:
        for round_ in range(15):
            target = f"{area}/race-{round_}.bin"
            contents = [os.urandom(200_000) + bytes([n]) for n in range(2)]
            writers = [b.open_writer(target, overwrite=False) for b in backends]
            for writer, content in zip(writers, contents, strict=True):
                writer.write(content)
            outcome = _commit_together(writers)
            winners = [n for n in range(2) if outcome[n] is None]
            assert len(winners) == 1, outcome
            assert isinstance(outcome[1 - winners[0]], OverwriteError)
            assert Path(target).read_bytes() == contents[winners[0]]
        assert _leftovers(area) == []
    finally:
        for backend in backends:
            backend.close()


# -- mtime ---------------------------------------------------------------------------


@pytest.mark.parametrize("overwrite", [True, False])
def test_writers_set_the_mtime_before_the_file_appears(
    backend: SFTPBackend, area: str, overwrite: bool
) -> None:
    assert SFTPBackend.capabilities.preserves_mtime
    target = f"{area}/timed.txt"
    with backend.open_writer(target, overwrite=overwrite, mtime=1_234_567_890.75) as writer:
        writer.write(b"timed")
    info = os.stat(target)
    assert (info.st_mtime, info.st_atime) == (1_234_567_890, 1_234_567_890)
    entry = backend.stat(target)
    assert entry is not None and entry.mtime == 1_234_567_890.0
    assert entry.version == "1234567890:5"
    with backend.open_writer(f"{area}/untimed.txt", overwrite=overwrite) as writer:
        writer.write(b"now")
    assert os.stat(f"{area}/untimed.txt").st_mtime > 1_600_000_000
    for unusable in (float("nan"), -5.0, 2.0**40):  # not sendable: left at "now"
        with backend.open_writer(f"{area}/odd.txt", mtime=unusable) as writer:
            writer.write(b"odd")
        assert os.stat(f"{area}/odd.txt").st_mtime > 1_600_000_000


# -- finding 7: no way out of a RemoteDir ----------------------------------------------


def test_remote_dir_refuses_paths_outside_it(auth: RemoteAuth, area: str) -> None:
    inner = os.path.join(area, "inner")
    os.mkdir(inner)
    _file(area, "outside.txt", b"secret")
    _file(inner, "inside.txt", b"fine")
    with RemoteDir(auth, inner) as directory:
        for escape in (
            inner + "/../outside.txt",
            inner + "/./../outside.txt",
            inner + "//../outside.txt",
            "../outside.txt",
            area + "/outside.txt",
        ):
            with pytest.raises(UnsafePathError):
                directory.get_file(escape)
            with pytest.raises(UnsafePathError):
                directory.path_exists(escape)
        with pytest.raises(UnsafePathError):
            directory.get_subdir(inner + "/..")
        assert directory.get_file(inner + "/sub/../inside.txt").read() == b"fine"
        assert directory.get_file("inside.txt").read() == b"fine"
