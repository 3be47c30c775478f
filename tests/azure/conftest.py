"""Fixtures for fluke-azure: a real Azurite (Blob + Queue) on 127.0.0.1, random ports.

Azurite is the npm package ``azurite``. It is found, in order, in
``$FLUKE_AZURITE_BIN`` (the nox session sets it), on ``PATH``, or in
``~/.cache/fluke-azurite`` — where this module installs it with npm when it
is missing. Each pytest-xdist worker starts its own Azurite with a fresh
temporary data directory; containers and queues get unique names.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fluke.testing import QueueTarget, StorageTarget
from fluke_azure.auth import AzureAuth
from fluke_azure.queue import AzureStorageQueue
from fluke_azure.storage import AzureBlobDir, AzureBlobFile

ACCOUNT = "devstoreaccount1"
#: The emulator's well-known, public key (not a secret, but never printed either).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CACHE = Path(os.environ.get("FLUKE_AZURITE_HOME", Path.home() / ".cache" / "fluke-azurite"))


def unique(prefix: str) -> str:
    """A unique name valid for containers and queues."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def _azurite_binary() -> str:
    env_dir = os.environ.get("FLUKE_AZURITE_BIN")
    if env_dir and (Path(env_dir) / "azurite").exists():
        return str(Path(env_dir) / "azurite")
    found = shutil.which("azurite")
    if found:
        return found
    cached = CACHE / "node_modules" / ".bin" / "azurite"
    if not cached.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("Azurite is missing and npm is not installed to fetch it")
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--silent", "--prefix", str(CACHE), "azurite@3"],
            check=True,
            timeout=600,
        )
    return str(cached)


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Start Azurite for this worker; yield its Blob and Queue endpoints."""
    binary = _azurite_binary()
    location = tmp_path_factory.mktemp("azurite")
    blob_port, queue_port, table_port = _free_ports(3)
    log = open(location / "azurite.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            binary,
            "--silent",
            "--location", str(location),
            "--blobHost", "127.0.0.1", "--blobPort", str(blob_port),
            "--queueHost", "127.0.0.1", "--queuePort", str(queue_port),
            "--tableHost", "127.0.0.1", "--tablePort", str(table_port),
            "--skipApiVersionCheck", "--loose",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (_answers(blob_port) and _answers(queue_port)):
            if process.poll() is not None:
                log.flush()
                output = (location / "azurite.log").read_text(errors="replace")
                pytest.fail(f"Azurite exited with {process.returncode}: {output[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("Azurite did not start within 60 s")
            time.sleep(0.1)
        yield {
            "blob": f"http://127.0.0.1:{blob_port}/{ACCOUNT}",
            "queue": f"http://127.0.0.1:{queue_port}/{ACCOUNT}",
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def conn_string(azurite: dict[str, str]) -> str:
    """An explicit-endpoint connection string for this worker's Azurite."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
        f"BlobEndpoint={azurite['blob']};QueueEndpoint={azurite['queue']};"
    )


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


@pytest.fixture
def queue_target(auth: AzureAuth, queue_name: str) -> AzureQueueTarget:
    """The fresh queue as a conformance-suite target."""
    return AzureQueueTarget(auth, queue_name)
