"""The core's storage conformance suite, run against a real OpenSSH sshd."""

from __future__ import annotations

import pytest

from fluke.testing import StorageBackendSuite, StorageSuite, StorageTarget


class TestSFTPStorage(StorageSuite):
    """Every storage behaviour, on a fresh directory of the test server."""

    @pytest.fixture
    def target(self, sftp_target: StorageTarget) -> StorageTarget:
        return sftp_target


class TestSFTPBackend(StorageBackendSuite):
    """The StorageBackend protocol itself: SFTP (on a real sshd)."""

    @pytest.fixture
    def target(self, sftp_target: StorageTarget) -> StorageTarget:
        return sftp_target
