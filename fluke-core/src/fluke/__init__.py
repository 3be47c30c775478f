"""Fluke: one File/Dir API over every storage system, one Queue API over every queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fluke._dir import Dir
    from fluke._file import File
    from fluke._plugins import PluginInfo
    from fluke._queue import Queue
    from fluke.hookspecs import hookimpl

__all__ = ["dir", "file", "hookimpl", "plugins", "queue"]


def dir(  # noqa: A001 - fluke.dir("s3://...") reads well; builtins stay untouched
    url: str, *, auth: object | None = None, create_if_missing: bool = False, cache: bool = False
) -> Dir:
    """The directory at ``url`` (``s3://bucket/prefix``, ``/local/path``, ...).

    Credentials come from the provider's default chain unless ``auth`` is given.
    """
    from fluke._urls import open_url

    result: Dir = open_url(url, "dir", auth=auth, create_if_missing=create_if_missing, cache=cache)
    return result


def file(url: str, *, auth: object | None = None, cache: bool = False) -> File:
    """The file at ``url`` (``gs://bucket/key``, ``sftp://user@host/path``, ...)."""
    from fluke._urls import open_url

    result: File = open_url(url, "file", auth=auth, cache=cache)
    return result


def queue(url: str, *, auth: object | None = None) -> Queue:
    """The queue at ``url`` (``sqs://name``, ``localq:///path.db?queue=name``, ...)."""
    from fluke._urls import open_url

    result: Queue = open_url(url, "queue", auth=auth)
    return result


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
