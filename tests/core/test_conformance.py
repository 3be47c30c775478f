"""The conformance suites against local disk and the local SQLite queue."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from fluke.local import LocalDir, LocalFile
from fluke.localqueue import LocalQueue
from fluke.testing import (
    QueueSuite,
    QueueTarget,
    StorageBackendSuite,
    StorageSuite,
    StorageTarget,
)


class LocalTarget(StorageTarget):
    """A fresh temporary directory."""

    uri_scheme = "file"

    def __init__(self, root: Path) -> None:
        self.root = str(root.resolve()) + "/"

    def dir(
        self, path: str = "", *, cache: bool = False, create_if_missing: bool = False
    ) -> LocalDir:
        return LocalDir(self.root + path, create_if_missing=create_if_missing)

    def file(self, path: str, *, cache: bool = False) -> LocalFile:
        return LocalFile(self.root + path)

    def full_path(self, path: str) -> str:
        return self.root + path

    def symlink(self, path: str, target: str) -> None:
        os.symlink(target, self.root + path)


class LocalQueueTarget(QueueTarget):
    """A fresh queue in a temporary SQLite file."""

    def __init__(self, root: Path) -> None:
        self.path = str(root / "queue.db")

    def queue(self) -> LocalQueue:
        return LocalQueue(self.path, "test-queue")

    def queue_with(self, **options: Any) -> LocalQueue:
        return LocalQueue(self.path, "test-queue", **options)

    def other_queue(self, suffix: str) -> LocalQueue:
        return LocalQueue(self.path, f"test-queue-{suffix}")


class TestLocalStorage(StorageSuite):
    @pytest.fixture
    def target(self, tmp_path: Path) -> StorageTarget:
        area = tmp_path / "area"
        area.mkdir()
        return LocalTarget(area)


class TestLocalBackend(StorageBackendSuite):
    """The StorageBackend protocol, on local disk."""

    @pytest.fixture
    def target(self, tmp_path: Path) -> StorageTarget:
        area = tmp_path / "area"
        area.mkdir()
        return LocalTarget(area)


class TestLocalQueue(QueueSuite):
    @pytest.fixture
    def target(self, tmp_path: Path) -> QueueTarget:
        return LocalQueueTarget(tmp_path)
