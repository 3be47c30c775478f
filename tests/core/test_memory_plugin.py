"""The example third-party plugin: discovered by entry point, passes the suite."""

from __future__ import annotations

import uuid

import pytest

import fluke
from fluke.testing import StorageBackendSuite, StorageSuite, StorageTarget


class MemoryTarget(StorageTarget):
    """A fresh prefix of a fresh in-memory store, built through ``fluke.storage``."""

    uri_scheme = "memory"

    def __init__(self) -> None:
        self.store = uuid.uuid4().hex
        self.prefix = "area/"

    def dir(self, path: str = "", *, cache: bool = False, create_if_missing: bool = False):  # type: ignore[no-untyped-def]
        from fluke.storage import MemoryDir  # type: ignore[attr-defined]

        return MemoryDir(
            self.store, self.prefix + path, cache=cache, create_if_missing=create_if_missing
        )

    def file(self, path: str, *, cache: bool = False):  # type: ignore[no-untyped-def]
        from fluke.storage import MemoryFile  # type: ignore[attr-defined]

        return MemoryFile(self.store, self.prefix + path, cache=cache)

    def full_path(self, path: str) -> str:
        return self.prefix + path


def test_plugin_is_discovered_through_its_entry_point() -> None:
    plugins = {plugin.name: plugin for plugin in fluke.plugins()}
    assert "memory" in plugins
    memory = plugins["memory"]
    assert memory.distribution == "fluke-memory" and memory.version == "0.1.0"
    assert memory.names["storage"] == ["MemoryFile", "MemoryDir"]


class TestMemoryStorage(StorageSuite):
    @pytest.fixture
    def target(self) -> StorageTarget:
        return MemoryTarget()


class TestMemoryBackend(StorageBackendSuite):
    """The StorageBackend protocol, on the example plugin's in-memory store."""

    @pytest.fixture
    def target(self) -> StorageTarget:
        return MemoryTarget()
