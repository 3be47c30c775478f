"""Fluke: one File/Dir API over every storage system, one Queue API over every queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fluke.hookspecs import hookimpl

if TYPE_CHECKING:
    from fluke._plugins import PluginInfo

__all__ = ["hookimpl", "plugins"]


def plugins() -> list[PluginInfo]:
    """The installed plugins: name, distribution version and declared names."""
    from fluke import _plugins

    return _plugins.registry().plugins
