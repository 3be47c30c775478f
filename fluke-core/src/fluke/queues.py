"""Message queues on every backend (API.md's ``fluke.queues``).

``LocalQueue`` comes with fluke-core; other names (``AmazonSQSQueue``,
``AzureStorageQueue``, ...) are provided by installed plugins and resolved on
first access.
"""

from fluke import _plugins
from fluke._queue import Queue
from fluke.localqueue import LocalQueue

__all__ = ["LocalQueue", "Queue"]

__getattr__ = _plugins.module_getattr("queue", __name__)
