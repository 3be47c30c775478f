"""The core's storage conformance suite against fake-gcs-server."""

from __future__ import annotations

import pytest

from fluke.testing import StorageBackendSuite, StorageSuite, StorageTarget


class TestGCSConformance(StorageSuite):
    """Every suite test, on a bucket root and on a prefix."""

    @pytest.fixture
    def target(self, gcs_target: StorageTarget) -> StorageTarget:
        return gcs_target


class TestGCSBackend(StorageBackendSuite):
    """The StorageBackend protocol itself: GCS (on fake-gcs-server)."""

    @pytest.fixture
    def target(self, gcs_target: StorageTarget) -> StorageTarget:
        return gcs_target
