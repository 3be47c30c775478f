"""Fixtures for fluke-aws: a real moto server (S3 + SQS) over HTTP on 127.0.0.1.

Each pytest-xdist worker starts its own ``ThreadedMotoServer`` on a free port
(no in-process mocking or patching: boto3 talks HTTP to the server). Buckets and
queues get unique names, so tests never see each other's data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import servers
from _moto_conditions import honour_copy_source_if_match

from fluke.testing import QueueTarget, StorageTarget
from fluke_aws.auth import AWSAuth
from fluke_aws.queues import AmazonSQSQueue
from fluke_aws.storage import AmazonS3Dir, AmazonS3File

REGION = "us-east-1"
KEY_ID = "AKIAFLUKETESTKEY0001"
SECRET = "fluke-test-secret-key-do-not-print"
TOKEN = "fluke-test-session-token-do-not-print"


def unique(prefix: str) -> str:
    """A unique, S3/SQS-valid name."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Start moto's server on a free port of 127.0.0.1 for this worker."""
    honour_copy_source_if_match()  # as S3 does; moto 5.2.5 ignores it
    with servers.moto_in_process() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def auth(moto_endpoint: str) -> AWSAuth:
    """Dummy credentials pointed at the moto server."""
    return AWSAuth(KEY_ID, SECRET, region=REGION, endpoint_url=moto_endpoint)


@pytest.fixture(scope="session")
def s3(auth: AWSAuth) -> Iterator[Any]:
    """A raw boto3 S3 client on the server (to seed and inspect independently)."""
    client = auth._client("s3")
    yield client
    client.close()


@pytest.fixture(scope="session")
def sqs(auth: AWSAuth) -> Iterator[Any]:
    """A raw boto3 SQS client on the server."""
    client = auth._client("sqs")
    yield client
    client.close()


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh, empty bucket."""
    name = unique("fluke")
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def queue_name(sqs: Any) -> Iterator[str]:
    """A fresh, empty queue (deleted afterwards)."""
    name = unique("fluke")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    yield name
    sqs.delete_queue(QueueUrl=url)


class S3Target(StorageTarget):
    """A fresh bucket, used whole (``prefix=""``) or under a prefix."""

    uri_scheme = "s3"

    def __init__(self, auth: AWSAuth, client: Any, bucket: str, prefix: str) -> None:
        self.auth = auth
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def dir(self, path: str = "", *, cache: bool = False, create_if_missing: bool = False) -> Any:
        full = self.full_path(path)
        return AmazonS3Dir(
            self.auth, self.bucket, full or None, cache=cache, create_if_missing=create_if_missing
        )

    def file(self, path: str, *, cache: bool = False) -> Any:
        return AmazonS3File(self.auth, self.bucket, self.full_path(path), cache=cache)

    def full_path(self, path: str) -> str:
        return self.prefix + path

    def write(self, path: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Seed through boto3 directly, independently of the backend's writer."""
        self.client.put_object(
            Bucket=self.bucket, Key=self.full_path(path), Body=data, Metadata=metadata or {}
        )


@pytest.fixture(params=["bucket-root", "prefix"])
def s3_target(request: pytest.FixtureRequest, auth: AWSAuth, s3: Any, bucket: str) -> S3Target:
    """The whole fresh bucket, or a prefix (with its own marker) inside it."""
    if request.param == "bucket-root":
        return S3Target(auth, s3, bucket, "")
    prefix = unique("area") + "/"
    s3.put_object(Bucket=bucket, Key=prefix, Body=b"")
    return S3Target(auth, s3, bucket, prefix)


class SQSTarget(QueueTarget):
    """A fresh SQS queue."""

    def __init__(self, auth: AWSAuth, name: str) -> None:
        self.auth = auth
        self.name = name

    def queue(self) -> AmazonSQSQueue:
        return AmazonSQSQueue(self.auth, self.name)

    def queue_with(self, **options: Any) -> AmazonSQSQueue:
        return AmazonSQSQueue(self.auth, self.name, **options)

    def other_queue(self, suffix: str) -> AmazonSQSQueue:
        client = self.auth._client("sqs")
        try:
            client.create_queue(QueueName=f"{self.name}-{suffix}")
        finally:
            client.close()
        return AmazonSQSQueue(self.auth, f"{self.name}-{suffix}")


@pytest.fixture
def sqs_target(auth: AWSAuth, queue_name: str) -> SQSTarget:
    """The fresh queue as a conformance-suite target."""
    return SQSTarget(auth, queue_name)
