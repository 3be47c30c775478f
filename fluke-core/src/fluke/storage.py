"""Files and directories on every backend (API.md's ``fluke.storage``).

``LocalFile`` and ``LocalDir`` come with fluke-core; other names
(``AmazonS3Dir``, ``RemoteFile``, ...) are provided by installed plugins and
resolved on first access.
"""

from fluke._dir import Dir
from fluke._file import File
from fluke.local import LocalDir, LocalFile

__all__ = ["Dir", "File", "LocalDir", "LocalFile"]


def __getattr__(name: str) -> object:
    # Plugin names resolve on first access; pluggy is imported only then.
    if name.startswith("__"):  # importlib probes __path__ etc.: no plugin discovery for that
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from fluke import _plugins

    return _plugins.module_getattr("storage", __name__)(name)
