"""The core's conformance suites on fsspec filesystems, against real servers.

FTP (pyftpdlib) and WebDAV (wsgidav) are opened by URL through Fluke's
fallback route (``fluke.dir("ftp://...")``); fsspec's in-memory filesystem
through :class:`~fluke_fsspec.FsspecDir`. Tests that need a capability these
backends lack (user metadata, server-side copy, kept modification times, part
writers) skip on the declared capability.
"""

from __future__ import annotations

import pytest

from fluke.testing import StorageBackendSuite, StorageSuite, StorageTarget


class TestFTPStorage(StorageSuite):
    """Every storage behaviour on a real FTP server."""

    @pytest.fixture
    def target(self, ftp_target: StorageTarget) -> StorageTarget:
        return ftp_target


class TestFTPBackend(StorageBackendSuite):
    """The StorageBackend protocol itself on a real FTP server."""

    @pytest.fixture
    def target(self, ftp_target: StorageTarget) -> StorageTarget:
        return ftp_target


class TestWebDAVStorage(StorageSuite):
    """Every storage behaviour on a real WebDAV server (fsspec's webdav4)."""

    @pytest.fixture
    def target(self, webdav_target: StorageTarget) -> StorageTarget:
        return webdav_target


class TestWebDAVBackend(StorageBackendSuite):
    """The StorageBackend protocol itself on a real WebDAV server."""

    @pytest.fixture
    def target(self, webdav_target: StorageTarget) -> StorageTarget:
        return webdav_target


class TestMemoryStorage(StorageSuite):
    """Every storage behaviour on fsspec's in-memory filesystem."""

    @pytest.fixture
    def target(self, memory_target: StorageTarget) -> StorageTarget:
        return memory_target


class TestMemoryBackend(StorageBackendSuite):
    """The StorageBackend protocol itself on fsspec's in-memory filesystem."""

    @pytest.fixture
    def target(self, memory_target: StorageTarget) -> StorageTarget:
        return memory_target
