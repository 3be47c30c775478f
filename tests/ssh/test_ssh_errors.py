"""Issue 18: SFTP refusals are PermissionErrors naming the path (a real sshd).

The SFTP user owns the test area; ``chmod`` takes its own rights away, which
binds it whether sshd runs as root (then the user is the unprivileged test
account) or as the current user.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest
from servers import SSHServer

from fluke.auth import RemoteAuth
from fluke.exceptions import (
    AuthenticationError,
    InvalidPathError,
    PathNotFoundError,
    PermissionDeniedError,
)
from fluke.storage import RemoteDir, RemoteFile
from fluke_ssh.backend import SFTPBackend


@pytest.fixture
def locked(area: str) -> Iterator[str]:
    """``area/locked/`` holding a file, with every right taken away (restored after)."""
    locked = os.path.join(area, "locked")
    os.mkdir(locked)
    with open(os.path.join(locked, "secret.txt"), "wb") as handle:
        handle.write(b"hidden")
    stat = os.stat(area)
    os.chown(locked, stat.st_uid, stat.st_gid)
    os.chown(os.path.join(locked, "secret.txt"), stat.st_uid, stat.st_gid)
    os.chmod(locked, 0)
    try:
        yield locked
    finally:
        os.chmod(locked, 0o755)


def test_listing_a_directory_the_user_may_not_read_is_a_permission_error(
    auth: RemoteAuth, locked: str
) -> None:
    with RemoteDir(auth, locked) as directory:
        with pytest.raises(PermissionError, match="locked") as caught:
            directory.get_contents()
    assert isinstance(caught.value, PermissionDeniedError)
    assert isinstance(caught.value.__cause__, OSError)
    assert caught.value.reason == "EACCES"


def test_reading_inside_a_directory_the_user_may_not_read_is_a_permission_error(
    auth: RemoteAuth, locked: str
) -> None:
    backend = SFTPBackend(auth)
    try:
        with pytest.raises(PermissionError, match="secret.txt"):
            backend.read_range(locked + "/secret.txt", 0, 3)
        with pytest.raises(PermissionError, match="secret.txt"):
            b"".join(backend.iter_chunks(locked + "/secret.txt", 1024))
        with pytest.raises(PermissionError, match="secret.txt"):
            backend.stat(locked + "/secret.txt")
    finally:
        backend.close()
    with pytest.raises(PermissionError, match="secret.txt"):
        RemoteFile(auth, locked + "/secret.txt")


def test_reading_a_file_the_user_may_not_read_is_a_permission_error(
    auth: RemoteAuth, area: str
) -> None:
    path = os.path.join(area, "mine.txt")
    with open(path, "wb") as handle:
        handle.write(b"private")
    stat = os.stat(area)
    os.chown(path, stat.st_uid, stat.st_gid)
    os.chmod(path, 0)
    with RemoteFile(auth, path) as file, pytest.raises(PermissionError, match="mine.txt"):
        file.read()


def test_writing_into_a_directory_the_user_may_not_write_is_a_permission_error(
    auth: RemoteAuth, locked: str
) -> None:
    os.chmod(locked, 0o555)  # may list and enter, may not create
    backend = SFTPBackend(auth)
    try:
        with pytest.raises(PermissionError, match="new.txt") as caught:
            with backend.open_writer(locked + "/new.txt") as writer:
                writer.write(b"refused")
        assert isinstance(caught.value, PermissionDeniedError)
        with pytest.raises(PermissionError, match="sub"):
            backend.mkdir(locked + "/sub/")
        with pytest.raises(PermissionError, match="secret.txt"):
            backend.delete(locked + "/secret.txt")
    finally:
        backend.close()
    assert sorted(os.listdir(locked)) == ["secret.txt"]  # nothing left behind


def test_a_missing_file_is_file_not_found_and_invalid_path(auth: RemoteAuth, area: str) -> None:
    with pytest.raises(FileNotFoundError, match="absent.txt") as caught:
        RemoteFile(auth, area + "/absent.txt")
    assert isinstance(caught.value, InvalidPathError)
    backend = SFTPBackend(auth)
    try:
        with pytest.raises(PathNotFoundError, match="absent.txt"):
            backend.read_range(area + "/absent.txt", 0, 1)
    finally:
        backend.close()


def test_a_refused_key_is_an_authentication_error(
    sshd: SSHServer, area: str, tmp_path: Path
) -> None:
    stranger = tmp_path / "stranger_rsa"
    paramiko.RSAKey.generate(2048).write_private_key_file(str(stranger))
    auth = RemoteAuth.from_key(
        sshd.host, sshd.username, str(stranger), port=sshd.port, known_hosts=str(sshd.known_hosts)
    )
    with pytest.raises(AuthenticationError, match=str(sshd.port)) as caught:
        RemoteDir(auth, area)
    assert isinstance(caught.value, PermissionError)
    assert isinstance(caught.value, paramiko.AuthenticationException)  # as before
