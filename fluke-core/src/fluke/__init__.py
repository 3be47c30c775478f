"""Fluke: one File/Dir API over every storage system, one Queue API over every queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fluke._plugins import PluginInfo
    from fluke.hookspecs import hookimpl

__all__ = ["hookimpl", "plugins"]


def plugins() -> list[PluginInfo]:
    """The installed plugins: name, distribution version and declared names."""
    from fluke import _plugins

    return _plugins.registry().plugins


def __getattr__(name: str) -> Any:
    # ``hookimpl`` needs pluggy, which ``import fluke.storage`` should not pay for.
    if name == "hookimpl":
        from fluke.hookspecs import hookimpl

        return hookimpl
    raise AttributeError(f"module 'fluke' has no attribute {name!r}")
