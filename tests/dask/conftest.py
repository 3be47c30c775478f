"""Fixtures for fluke-dask: a real moto server and a real LocalCluster of worker processes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import servers
from distributed import Client, LocalCluster

from fluke_aws.auth import AWSAuth

REGION = "us-east-1"
KEY_ID = "AKIAFLUKEDASKKEY0001"
SECRET = "fluke-dask-secret-key-never-shown"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's server on a free port of 127.0.0.1 (the workers reach it over HTTP)."""
    with servers.moto_in_process() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def auth(moto_endpoint: str) -> AWSAuth:
    """Dummy credentials pointed at the moto server."""
    return AWSAuth(KEY_ID, SECRET, region=REGION, endpoint_url=moto_endpoint)


@pytest.fixture(scope="session")
def s3(auth: AWSAuth) -> Iterator[Any]:
    """A raw boto3 client, to inspect the bucket independently."""
    client = auth._client("s3")
    yield client
    client.close()


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh, empty bucket."""
    name = f"fluke-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """A LocalCluster of two worker processes (restarted by their nannies when killed)."""
    scratch = Path(tmp_path_factory.mktemp("dask"))
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=2,
            processes=True,
            dashboard_address=None,
            local_directory=str(scratch),
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client
