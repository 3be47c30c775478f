"""Fixtures: a real OpenSSH ``sshd`` on 127.0.0.1 at a random port.

Each pytest(-xdist) worker starts its own sshd (``sshd -D -e -f <config>``)
with a host key and a config generated in a private temporary directory. When
running as root (CI), a dedicated account ``fluketest`` (no login shell; the
server forces ``internal-sftp``) logs in by password and by key; its password
is random, generated once per machine and kept in a root-only file. When not
root, sshd runs as the current user and only key login is possible (password
tests are skipped).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator

import pytest
import servers
from servers import SSHServer

from fluke._dir import Dir
from fluke._file import File
from fluke.auth import RemoteAuth
from fluke.storage import RemoteDir, RemoteFile
from fluke.testing import StorageTarget
from fluke_ssh.backend import SFTPBackend


@pytest.fixture(scope="session")
def sshd() -> Iterator[SSHServer]:
    """A real sshd for this worker, torn down at the end of the session."""
    try:
        with servers.sshd() as server:
            yield server
    except servers.ServerError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def sftp_root(sshd: SSHServer) -> Iterator[str]:
    """A private directory on the server (in the test user's home) for this worker."""
    path = os.path.join(sshd.home, f"fluke-{uuid.uuid4().hex[:12]}")
    os.makedirs(path)
    os.chown(path, sshd.uid, sshd.gid)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def area(sftp_root: str, sshd: SSHServer) -> str:
    """A fresh empty directory on the server for one test (absolute path, no '/')."""
    path = os.path.join(sftp_root, uuid.uuid4().hex[:12])
    os.mkdir(path)
    os.chown(path, sshd.uid, sshd.gid)
    return path


def make_auth(sshd: SSHServer, **overrides: object) -> RemoteAuth:
    """Key auth for the test account, host pinned to the test server's known_hosts."""
    options: dict[str, object] = {
        "port": sshd.port,
        "known_hosts": str(sshd.known_hosts),
        "ssh_config": False,
    }
    options.update(overrides)
    return RemoteAuth.from_key(
        sshd.host,
        sshd.username,
        str(sshd.client_keys["ed25519"]),
        **options,  # type: ignore[arg-type]
    )


class SFTPTarget(StorageTarget):
    """A fresh directory on the test sshd."""

    uri_scheme = "sftp"

    def __init__(self, auth: RemoteAuth, area: str) -> None:
        self._auth = auth
        self._area = area.rstrip("/") + "/"
        self._seeder: SFTPBackend | None = None

    def write(self, path: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Seed a file through one connection kept for the whole test."""
        if self._seeder is None:
            self._seeder = SFTPBackend(self._auth)
        with self._seeder.open_writer(self.full_path(path), metadata=metadata) as writer:
            writer.write(data)

    def close(self) -> None:
        if self._seeder is not None:
            self._seeder.close()

    def dir(self, path: str = "", *, cache: bool = False, create_if_missing: bool = False) -> Dir:
        return RemoteDir(
            self._auth, self._area + path, cache=cache, create_if_missing=create_if_missing
        )

    def file(self, path: str, *, cache: bool = False) -> File:
        return RemoteFile(self._auth, self._area + path, cache=cache)

    def full_path(self, path: str) -> str:
        return self._area + path

    def symlink(self, path: str, target: str) -> None:
        """Create the link on the server's disk (the test sshd runs on this machine)."""
        os.symlink(target, self.full_path(path))


@pytest.fixture
def auth_factory(sshd: SSHServer) -> Callable[..., RemoteAuth]:
    """``make_auth`` bound to this worker's sshd: ``auth_factory(known_hosts=...)``."""
    return lambda **overrides: make_auth(sshd, **overrides)


@pytest.fixture
def auth(sshd: SSHServer) -> RemoteAuth:
    """Key login to the test sshd, host key checked against a temp known_hosts."""
    return make_auth(sshd)


@pytest.fixture
def sftp_target(auth: RemoteAuth, area: str) -> Iterator[SFTPTarget]:
    """A :class:`SFTPTarget` on a fresh directory."""
    target = SFTPTarget(auth, area)
    yield target
    target.close()
