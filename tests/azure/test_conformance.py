"""The core's conformance suites, run against Blob storage and Storage Queues on Azurite."""

from __future__ import annotations

import pytest

from fluke.testing import QueueSuite, QueueTarget, StorageBackendSuite, StorageSuite, StorageTarget


class TestAzureBlobStorage(StorageSuite):
    """Every storage behaviour: whole container, a ``dir/`` marker area, a folder blob area."""

    @pytest.fixture
    def target(self, azure_target: StorageTarget) -> StorageTarget:
        return azure_target


class TestAzureStorageQueue(QueueSuite):
    """Every queue behaviour, on a fresh Azure Storage queue."""

    soak_messages = 200  # Azurite takes a few messages a second on CI's two cores

    @pytest.fixture
    def target(self, queue_target: QueueTarget) -> QueueTarget:
        return queue_target


class TestAzureBlobBackend(StorageBackendSuite):
    """The StorageBackend protocol itself: Azure Blob (on Azurite)."""

    @pytest.fixture
    def target(self, azure_target: StorageTarget) -> StorageTarget:
        return azure_target
