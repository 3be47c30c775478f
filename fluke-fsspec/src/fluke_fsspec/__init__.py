"""Fluke's fsspec bridge, both ways.

* :class:`FlukeFileSystem`: an ``fsspec`` filesystem over any Fluke location,
  so pandas, pyarrow and Dask read and write through Fluke's auth objects
  (``pandas.read_csv("fluke://s3://bucket/key.csv", storage_options={"auth": aws})``).
* :class:`FsspecDir` / :class:`FsspecFile`: any fsspec filesystem as a Fluke
  backend; ``fluke.dir("ftp://...")`` routes schemes no native plugin claims
  to fsspec.

Names are imported lazily: the plugin's discovery imports no fsspec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fluke_fsspec.backend import FsspecBackend
    from fluke_fsspec.filesystem import FlukeFileSystem
    from fluke_fsspec.storage import FsspecDir, FsspecFile

__all__ = ["FlukeFileSystem", "FsspecBackend", "FsspecDir", "FsspecFile"]

_WHERE = {
    "FlukeFileSystem": "fluke_fsspec.filesystem",
    "FsspecBackend": "fluke_fsspec.backend",
    "FsspecDir": "fluke_fsspec.storage",
    "FsspecFile": "fluke_fsspec.storage",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'fluke_fsspec' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
