"""The conformance suites every backend package runs against its real server.

A backend package subclasses :class:`StorageSuite` (and/or
:class:`QueueSuite`) in its tests and provides one fixture, ``target``, that
returns a :class:`StorageTarget` (or :class:`QueueTarget`) pointing at a
fresh, empty area of a real server started by its own fixtures::

    from fluke.testing import StorageSuite, StorageTarget

    class TestS3(StorageSuite):
        @pytest.fixture
        def target(self, moto_server) -> StorageTarget:
            return S3Target(...)

Every test of the suite then runs against that backend. This module needs
pytest (``pip install fluke-core[testing]``).
"""

from fluke.testing._queue_suite import QueueSuite
from fluke.testing._storage_suite import StorageSuite
from fluke.testing._targets import QueueTarget, StorageTarget

__all__ = ["QueueSuite", "QueueTarget", "StorageSuite", "StorageTarget"]
