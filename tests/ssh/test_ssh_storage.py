"""SFTP-specific storage behaviour against a real sshd."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fluke.auth import RemoteAuth
from fluke.storage import LocalDir, LocalFile, RemoteDir, RemoteFile
from fluke_ssh.backend import SFTPBackend

if TYPE_CHECKING:
    from servers import SSHServer


def _backend(directory: RemoteDir) -> SFTPBackend:
    backend = directory._session.backend
    assert isinstance(backend, SFTPBackend)
    return backend


def _leftovers(path: str) -> list[str]:
    return sorted(name for name in os.listdir(path) if "fluke-part" in name)


# -- identity -----------------------------------------------------------------------


def test_uri_and_hostname(auth: RemoteAuth, area: str, sshd: SSHServer) -> None:
    Path(area, "f.txt").write_bytes(b"x")
    with RemoteDir(auth, area) as directory:
        assert directory.get_uri() == f"sftp://{sshd.host}:{sshd.port}{area}/"
        assert directory.get_hostname() == sshd.host
        file = directory.get_file("f.txt")
        assert file.get_uri() == f"sftp://{sshd.host}:{sshd.port}{area}/f.txt"
    plain = RemoteAuth.from_password("example.org", "me", "pw")
    assert SFTPBackend(plain).uri("/srv/data/x.csv") == "sftp://example.org/srv/data/x.csv"


def test_relative_paths_start_at_home(auth: RemoteAuth, area: str, sshd: SSHServer) -> None:
    Path(area, "f.txt").write_bytes(b"hello")
    relative = os.path.relpath(area, sshd.home)
    with RemoteDir(auth, relative) as directory:
        assert directory.get_path() == area + "/"
    with RemoteFile(auth, relative + "/f.txt") as file:
        assert file.get_path() == area + "/f.txt" and file.read() == b"hello"


def test_files_and_subdirs_share_the_connection(auth: RemoteAuth, area: str) -> None:
    os.makedirs(os.path.join(area, "sub"))
    Path(area, "sub", "f.txt").write_bytes(b"x")
    with RemoteDir(auth, area) as directory:
        sub = directory.get_subdir("sub")
        file = sub.get_file("f.txt")
        assert file._session.backend is directory._session.backend
        file.close()  # borrowed: does not close the owner's connection
        assert directory._session.backend.is_connected()
    assert not directory._session.backend.is_connected()


# -- writes ---------------------------------------------------------------------------


def test_aborted_write_leaves_nothing(auth: RemoteAuth, area: str) -> None:
    with RemoteDir(auth, area) as directory:
        backend = _backend(directory)
        writer = backend.open_writer(area + "/new.bin")
        writer.write(b"x" * 1_000_000)
        writer.abort()
        assert not directory.path_exists("new.bin")
        with pytest.raises(RuntimeError), backend.open_writer(area + "/ctx.bin") as failing:
            failing.write(b"partial")
            raise RuntimeError("interrupted")
        assert directory.get_contents() == []
    assert _leftovers(area) == []


def test_interrupted_overwrite_keeps_the_old_file(auth: RemoteAuth, area: str) -> None:
    Path(area, "keep.txt").write_bytes(b"old content")
    with RemoteDir(auth, area) as directory:
        writer = _backend(directory).open_writer(area + "/keep.txt")
        writer.write(b"new content that never completes" * 1000)
        writer.abort()
        assert directory.get_file("keep.txt").read() == b"old content"
    assert _leftovers(area) == []


def test_dropped_connection_mid_write_leaves_no_final_file(auth: RemoteAuth, area: str) -> None:
    with RemoteDir(auth, area) as directory:
        backend = _backend(directory)
        writer = backend.open_writer(area + "/dropped.bin")
        writer.write(os.urandom(3 * 1024 * 1024))
        backend.close()  # the connection goes away mid-transfer
        writer.abort()
        assert not directory.path_exists("dropped.bin")  # reconnects lazily
    assert not os.path.exists(os.path.join(area, "dropped.bin"))


def test_failed_transfer_leaves_no_file(auth: RemoteAuth, area: str, tmp_path: Path) -> None:
    """A source that fails mid-stream: the destination name never appears."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "big.bin").write_bytes(os.urandom(1024 * 1024))
    with LocalDir(str(source)) as local, RemoteDir(auth, area) as remote:
        entries = local._entries(False)
        (source / "big.bin").write_bytes(b"shrunk")  # size no longer matches the plan
        from fluke.transfer import TransferSource, transfer

        report = transfer(
            [TransferSource(local._session, entries[0].path, "big.bin", entries[0].size)],
            remote,
            suppress_output=True,
        )
        assert not report
        assert not remote.path_exists("big.bin")
    assert _leftovers(area) == []


def test_write_creates_parents_and_delete(auth: RemoteAuth, area: str) -> None:
    with RemoteDir(auth, area) as directory:
        backend = _backend(directory)
        with backend.open_writer(area + "/a/b/c/file.txt") as writer:
            writer.write(b"deep")
        assert directory.get_file("a/b/c/file.txt").read() == b"deep"
        backend.delete(area + "/a/b/c/file.txt")
        assert not directory.path_exists("a/b/c/file.txt")
        assert directory.path_exists("a/b/c/")


# -- symbolic links ---------------------------------------------------------------------


@pytest.fixture
def linked_tree(area: str) -> str:
    """A tree with loops, links out of it, a dangling link and one link inside."""
    tree = os.path.join(area, "tree")
    outside = os.path.join(area, "outside")
    os.makedirs(os.path.join(tree, "sub"))
    os.makedirs(outside)
    Path(tree, "a.txt").write_bytes(b"inside")
    Path(tree, "sub", "b.txt").write_bytes(b"below")
    Path(outside, "secret.txt").write_bytes(b"SECRET")
    os.symlink(tree, os.path.join(tree, "loop"))  # absolute link to itself
    os.symlink("..", os.path.join(tree, "sub", "up"))  # relative loop
    os.symlink("../outside/secret.txt", os.path.join(tree, "leak.txt"))
    os.symlink(outside, os.path.join(tree, "outdir"))
    os.symlink("/etc/passwd", os.path.join(tree, "passwd"))
    os.symlink("missing", os.path.join(tree, "dangling"))
    os.symlink("a.txt", os.path.join(tree, "alias.txt"))  # stays inside: followed
    return tree


def test_symlinks_are_not_followed_out_of_the_tree(auth: RemoteAuth, linked_tree: str) -> None:
    with RemoteDir(auth, linked_tree) as directory:
        assert directory.get_contents() == ["a.txt", "alias.txt", "sub/"]
        assert directory.get_contents(recursively=True) == ["a.txt", "alias.txt", "sub/b.txt"]
        assert directory.get_subdir("sub").get_contents() == ["b.txt"]
        assert directory.get_file("alias.txt").read() == b"inside"


def test_symlinks_are_not_transferred_out_of_the_tree(
    auth: RemoteAuth, linked_tree: str, tmp_path: Path
) -> None:
    with RemoteDir(auth, linked_tree) as remote, LocalDir(str(tmp_path)) as local:
        assert remote.transfer_to(local, recursively=True, suppress_output=True)
        assert local.get_contents(recursively=True) == ["a.txt", "alias.txt", "sub/b.txt"]
    copied = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    assert b"SECRET" not in copied and b"root:" not in copied


# -- large files and concurrency ----------------------------------------------------------


def test_large_file_round_trip(auth: RemoteAuth, area: str, tmp_path: Path) -> None:
    size = 101 * 1024 * 1024 + 12345
    block = os.urandom(1024 * 1024)
    source = tmp_path / "up"
    source.mkdir()
    digest = hashlib.sha256()
    with open(source / "large.bin", "wb") as handle:
        for index in range(size // len(block) + 1):
            piece = (block[index % 7 :] + block[: index % 7])[: size - index * len(block)]
            handle.write(piece)
            digest.update(piece)
    down = tmp_path / "down"
    down.mkdir()
    with RemoteDir(auth, area) as remote:
        assert LocalFile(str(source / "large.bin")).transfer_to(remote, suppress_output=True)
        assert remote.get_file("large.bin").get_size() == size
        assert remote.get_file("large.bin").transfer_to(LocalDir(str(down)), suppress_output=True)
        middle = remote.get_file("large.bin").read_range(50_000_000, 50_000_000 + 3_000_000)
    with open(source / "large.bin", "rb") as handle:
        handle.seek(50_000_000)
        assert middle == handle.read(3_000_000)
    result = hashlib.sha256()
    with open(down / "large.bin", "rb") as handle:
        while data := handle.read(8 * 1024 * 1024):
            result.update(data)
    assert result.hexdigest() == digest.hexdigest()
    assert _leftovers(area) == []


def test_many_files_use_several_channels(auth: RemoteAuth, area: str, tmp_path: Path) -> None:
    files = {f"d{i % 3}/f{i:03}.bin": os.urandom(20_000 + i) for i in range(60)}
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(data)
    with LocalDir(str(tmp_path)) as local, RemoteDir(auth, area) as remote:
        assert local.transfer_to(remote, recursively=True, suppress_output=True)
        assert len(_backend(remote).connection._idle) > 1  # channels used concurrently
        assert remote.get_contents(recursively=True) == sorted(files)
        back = tmp_path / "back"
        back.mkdir()
        with LocalDir(str(back)) as target:
            assert remote.transfer_to(target, recursively=True, suppress_output=True)
    for name, data in files.items():
        assert (back / name).read_bytes() == data


def test_read_chunks_abandoned_midway(auth: RemoteAuth, area: str) -> None:
    data = os.urandom(4 * 1024 * 1024)
    Path(area, "f.bin").write_bytes(data)
    with RemoteDir(auth, area) as directory:
        chunks = directory.get_file("f.bin").read_chunks(100_000)
        assert next(chunks) == data[:100_000]
        chunks.close()  # abandoned with reads in flight
        assert directory.get_file("f.bin").read() == data


def test_dropped_connections_are_transient_but_refusals_are_not(
    auth: RemoteAuth, area: str
) -> None:
    import paramiko

    with RemoteDir(auth, area) as directory:
        backend = _backend(directory)
        assert backend.is_transient(EOFError())
        assert backend.is_transient(paramiko.SSHException("Server connection dropped"))
        assert not backend.is_transient(paramiko.AuthenticationException("no"))
        assert not backend.is_transient(PermissionError("denied"))
