"""The core's conformance suites, run against S3 and SQS on the moto server."""

from __future__ import annotations

import pytest

from fluke.testing import QueueSuite, QueueTarget, StorageBackendSuite, StorageSuite, StorageTarget


class TestS3Storage(StorageSuite):
    """Every storage behaviour, on a whole bucket and on a prefix with a marker."""

    @pytest.fixture
    def target(self, s3_target: StorageTarget) -> StorageTarget:
        return s3_target


class TestSQSQueue(QueueSuite):
    """Every queue behaviour, on a fresh SQS queue."""

    @pytest.fixture
    def target(self, sqs_target: QueueTarget) -> QueueTarget:
        return sqs_target


class TestS3Backend(StorageBackendSuite):
    """The StorageBackend protocol itself: S3 (bucket root and prefix, on moto)."""

    @pytest.fixture
    def target(self, s3_target: StorageTarget) -> StorageTarget:
        return s3_target
