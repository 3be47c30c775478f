"""End-to-end fixtures: every real local server at once (moto, Azurite, fake-gcs-server, sshd)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import servers


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """S3 + SQS."""
    with servers.moto() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Azurite]:
    """Azure Blob + Queue."""
    with servers.azurite(tmp_path_factory.mktemp("azurite")) as server:
        yield server


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    """Google Cloud Storage."""
    with servers.fake_gcs() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def sshd() -> Iterator[servers.SSHServer]:
    """SFTP."""
    with servers.sshd() as server:
        yield server


@pytest.fixture
def sftp_area(sshd: servers.SSHServer) -> Iterator[str]:
    """A fresh directory on the SFTP server (absolute path)."""
    import os

    path = os.path.join(sshd.home, f"e2e-{uuid.uuid4().hex[:10]}")
    os.mkdir(path)
    os.chown(path, sshd.uid, sshd.gid)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def ssh_home(tmp_path: Path, sshd: servers.SSHServer) -> Path:
    """A HOME whose ~/.ssh knows the test sshd and holds a key for it."""
    home = tmp_path / "home"
    ssh = home / ".ssh"
    ssh.mkdir(parents=True, mode=0o700)
    shutil.copy(sshd.known_hosts, ssh / "known_hosts")
    (ssh / "config").write_text(
        f"Host 127.0.0.1\n  IdentityFile {sshd.client_keys['ed25519']}\n  User {sshd.username}\n"
    )
    return home
