"""Fixtures for fluke-azure: a real Azurite (Blob + Queue) on 127.0.0.1, random ports.

Azurite is the npm package ``azurite``. It is found, in order, in
``$FLUKE_AZURITE_BIN`` (the nox session sets it), on ``PATH``, or in
``~/.cache/fluke-azurite`` — where this module installs it with npm when it
is missing. Each pytest-xdist worker starts its own Azurite with a fresh
temporary data directory; containers and queues get unique names.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import servers

from fluke.testing import QueueTarget, StorageTarget
from fluke_azure.auth import AzureAuth
from fluke_azure.queue import AzureStorageQueue
from fluke_azure.storage import AzureBlobDir, AzureBlobFile

ACCOUNT = servers.AZURITE_ACCOUNT
#: The emulator's well-known, public key (not a secret, but never printed either).
KEY = servers.AZURITE_KEY


def unique(prefix: str) -> str:
    """A unique name valid for containers and queues."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Start Azurite for this worker; yield its Blob and Queue endpoints."""
    try:
        with servers.azurite(tmp_path_factory.mktemp("azurite")) as server:
            yield {"blob": server.blob, "queue": server.queue}
    except servers.ServerError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def conn_string(azurite: dict[str, str]) -> str:
    """An explicit-endpoint connection string for this worker's Azurite."""
    return servers.Azurite(azurite["blob"], azurite["queue"]).connection_string


@pytest.fixture(scope="session")
def auth(conn_string: str) -> AzureAuth:
    """Fluke's auth for the emulator."""
    return AzureAuth.from_conn_string(conn_string)


@pytest.fixture(scope="session")
def blob_service(auth: AzureAuth) -> Iterator[Any]:
    """A raw SDK Blob service client (to seed and inspect independently of Fluke)."""
    client = auth.blob_service_client()
    yield client
    client.close()


@pytest.fixture
def container(blob_service: Any) -> Iterator[str]:
    """A fresh, empty container (deleted afterwards)."""
    name = unique("fluke")
    blob_service.create_container(name)
    yield name
    blob_service.delete_container(name)


@pytest.fixture
def container_client(blob_service: Any, container: str) -> Any:
    """The raw SDK client of the fresh container."""
    return blob_service.get_container_client(container)


class AzureTarget(StorageTarget):
    """A fresh container, used whole (``prefix=""``) or under a prefix."""

    uri_scheme = "abfss"

    def __init__(self, auth: AzureAuth, client: Any, container: str, prefix: str) -> None:
        self.auth = auth
        self.client = client
        self.container = container
        self.prefix = prefix

    def dir(
        self, path: str = "", *, cache: bool = False, create_if_missing: bool = False
    ) -> AzureBlobDir:
        full = self.full_path(path)
        return AzureBlobDir(
            self.auth,
            self.container,
            full or None,
            cache=cache,
            create_if_missing=create_if_missing,
        )

    def file(self, path: str, *, cache: bool = False) -> AzureBlobFile:
        return AzureBlobFile(self.auth, self.container, self.full_path(path), cache=cache)

    def full_path(self, path: str) -> str:
        return self.prefix + path

    def write(self, path: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Seed through the SDK directly, independently of the backend's writer."""
        self.client.upload_blob(self.full_path(path), data, overwrite=True, metadata=metadata)


@pytest.fixture(params=["container-root", "prefix", "hdi-folder"])
def azure_target(
    request: pytest.FixtureRequest, auth: AzureAuth, container_client: Any, container: str
) -> AzureTarget:
    """The whole fresh container, or an area inside it: a ``dir/`` marker or a folder blob."""
    if request.param == "container-root":
        return AzureTarget(auth, container_client, container, "")
    area = unique("area")
    if request.param == "prefix":
        container_client.upload_blob(area + "/", b"")
    else:
        container_client.upload_blob(area, b"", metadata={"hdi_isfolder": "true"})
    return AzureTarget(auth, container_client, container, area + "/")


@pytest.fixture
def queue_name(auth: AzureAuth) -> Iterator[str]:
    """A fresh, empty queue (deleted afterwards)."""
    name = unique("fluke")
    client = auth.queue_client(name)
    client.create_queue()
    yield name
    client.delete_queue()
    client.close()


class AzureQueueTarget(QueueTarget):
    """A fresh Azure Storage queue."""

    def __init__(self, auth: AzureAuth, name: str) -> None:
        self.auth = auth
        self.name = name

    def queue(self) -> AzureStorageQueue:
        return AzureStorageQueue(self.auth, self.name)

    def queue_with(self, **options: Any) -> AzureStorageQueue:
        return AzureStorageQueue(self.auth, self.name, **options)

    def other_queue(self, suffix: str) -> AzureStorageQueue:
        return AzureStorageQueue(self.auth, f"{self.name}-{suffix}", create_if_missing=True)


@pytest.fixture
def queue_target(auth: AzureAuth, queue_name: str) -> AzureQueueTarget:
    """The fresh queue as a conformance-suite target."""
    return AzureQueueTarget(auth, queue_name)
