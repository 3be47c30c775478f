"""The plugin module named by the ``fluke`` entry point: declarations only."""

from __future__ import annotations

from collections.abc import Mapping

from fluke import hookimpl


@hookimpl
def fluke_storage_classes() -> Mapping[str, str]:
    """Declare ``MemoryFile`` and ``MemoryDir`` in :mod:`fluke.storage`."""
    return {
        "MemoryFile": "fluke_memory.storage:MemoryFile",
        "MemoryDir": "fluke_memory.storage:MemoryDir",
    }
