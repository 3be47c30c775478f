"""End-to-end fixtures: every real local server at once (moto, Azurite, fake-gcs-server, sshd)."""

from __future__ import annotations

import json
import shutil
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import servers
from engine_support import FaultProxy, Stores, aws_auth_for, unique


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


# -- the transfer engine's end-to-end tests -----------------------------------


@pytest.fixture(scope="session")
def s3_client(moto_endpoint: str) -> Iterator[Any]:
    """A raw boto3 client on moto, to seed and inspect independently of Fluke."""
    client = aws_auth_for(moto_endpoint)._client("s3")
    yield client
    client.close()


@pytest.fixture(scope="session")
def s3_bucket(s3_client: Any) -> str:
    """One bucket per worker; tests use unique prefixes in it."""
    name = unique("engine")
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def azure_container(azurite: servers.Azurite) -> str:
    """One container per worker."""
    from azure.storage.blob import BlobServiceClient

    name = unique("engine")
    with BlobServiceClient.from_connection_string(azurite.connection_string) as service:
        service.create_container(name)
    return name


@pytest.fixture(scope="session")
def gcs_bucket(gcs_endpoint: str) -> str:
    """One bucket per worker on fake-gcs-server."""
    name = unique("engine")
    request = urllib.request.Request(
        f"{gcs_endpoint}/storage/v1/b?project=test",
        data=json.dumps({"name": name}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()
    return name


@pytest.fixture
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """Fresh directories on demand on local disk, S3, Azure, GCS and SFTP."""
    made = Stores(request, tmp_path)
    yield made
    made.close()


@pytest.fixture
def s3_proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    """A fault-injecting HTTP proxy in front of moto (its URL: ``s3_proxy.url``)."""
    proxy = FaultProxy(moto_endpoint)
    proxy.start()
    yield proxy
    proxy.stop()
