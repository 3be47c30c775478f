"""The hooks through which fluke-fsspec declares its names to Fluke.

Only ``"module:attribute"`` strings: discovering this plugin imports no fsspec.
"""

from __future__ import annotations

from collections.abc import Mapping

from fluke.hookspecs import hookimpl


@hookimpl
def fluke_storage_classes() -> Mapping[str, str]:
    """Declare ``FsspecFile`` and ``FsspecDir``."""
    return {
        "FsspecFile": "fluke_fsspec.storage:FsspecFile",
        "FsspecDir": "fluke_fsspec.storage:FsspecDir",
    }


@hookimpl
def fluke_url_schemes() -> Mapping[str, str]:
    """Declare the fallback opener (``"*"``): every scheme no plugin claims, via fsspec."""
    return {"*": "fluke_fsspec._urls:open_fsspec"}
