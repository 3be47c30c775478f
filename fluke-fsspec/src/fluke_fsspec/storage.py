"""``FsspecFile`` and ``FsspecDir``: Fluke's File/Dir API on any fsspec filesystem.

>>> import fsspec
>>> from fluke_fsspec import FsspecDir
>>> memory = fsspec.filesystem("memory")
>>> with FsspecDir(memory, "/docs-example", create_if_missing=True) as folder:
...     _ = folder.write_file("hello.txt", b"hello", overwrite=True)
...     folder.get_contents()
['hello.txt']
"""

from __future__ import annotations

from typing import Any

from fluke import _paths
from fluke._dir import Dir
from fluke._file import File
from fluke_fsspec.backend import FsspecBackend

__all__ = ["FsspecDir", "FsspecFile"]


def _backend(filesystem: Any) -> FsspecBackend:
    if isinstance(filesystem, FsspecBackend):
        return filesystem
    if not hasattr(filesystem, "info") or not hasattr(filesystem, "protocol"):
        raise TypeError(
            f"expected an fsspec filesystem or an FsspecBackend, not {type(filesystem).__name__}"
        )
    return FsspecBackend(filesystem)


class FsspecFile(File):
    """A file on an fsspec filesystem.

    :param filesystem: an ``fsspec.AbstractFileSystem`` (or an
        :class:`~fluke_fsspec.backend.FsspecBackend`).
    :param path: the file's absolute path (``/data/x.csv``).
    :param cache: cache sizes and metadata (see the core's caching rules).
    """

    def __init__(self, filesystem: Any, path: str, cache: bool = False) -> None:
        full = _paths.normalise_fs_path(path, is_dir=False, cwd=_paths.SEP)
        self._attach(_backend(filesystem), full, cache=cache)


class FsspecDir(Dir):
    """A directory on an fsspec filesystem.

    :param filesystem: an ``fsspec.AbstractFileSystem`` (or an
        :class:`~fluke_fsspec.backend.FsspecBackend`).
    :param path: the directory's absolute path (default: the root, ``/``).
    :param cache: cache listings, sizes and metadata.
    :param create_if_missing: create the directory (and its parents).
    """

    file_class = FsspecFile

    def __init__(
        self,
        filesystem: Any,
        path: str | None = None,
        cache: bool = False,
        create_if_missing: bool = False,
    ) -> None:
        full = _paths.normalise_fs_path(path or _paths.SEP, is_dir=True, cwd=_paths.SEP)
        self._attach(_backend(filesystem), full, cache=cache, create_if_missing=create_if_missing)
