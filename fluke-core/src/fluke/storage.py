"""Files and directories on every backend (API.md's ``fluke.storage``).

``LocalFile`` and ``LocalDir`` come with fluke-core; other names
(``AmazonS3Dir``, ``RemoteFile``, ...) are provided by installed plugins and
resolved on first access.
"""

from fluke import _plugins
from fluke._dir import Dir
from fluke._file import File
from fluke.local import LocalDir, LocalFile

__all__ = ["Dir", "File", "LocalDir", "LocalFile"]

__getattr__ = _plugins.module_getattr("storage", __name__)
