"""Message queues on every backend (API.md's ``fluke.queues``).

``LocalQueue`` comes with fluke-core; other names (``AmazonSQSQueue``,
``AzureStorageQueue``, ...) are provided by installed plugins and resolved on
first access.
"""

from fluke._message import Lease, Message
from fluke._queue import Queue
from fluke.localqueue import LocalQueue

__all__ = ["Lease", "LocalQueue", "Message", "Queue"]


def __getattr__(name: str) -> object:
    # Plugin names resolve on first access; pluggy is imported only then.
    if name.startswith("__"):  # importlib probes __path__ etc.: no plugin discovery for that
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from fluke import _plugins

    return _plugins.module_getattr("queue", __name__)(name)
