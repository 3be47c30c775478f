"""The conformance suites every backend package runs against its real server.

A backend package subclasses the suites in its tests and provides one
fixture, ``target``, that returns a :class:`StorageTarget` (or
:class:`QueueTarget`) pointing at a fresh, empty area of a real server
started by its own fixtures::

    from fluke.testing import StorageBackendSuite, StorageSuite, StorageTarget

    class TestS3(StorageSuite):
        @pytest.fixture
        def target(self, moto_server) -> StorageTarget:
            return S3Target(...)

    class TestS3Backend(StorageBackendSuite):  # the protocol itself
        @pytest.fixture
        def target(self, moto_server) -> StorageTarget:
            return S3Target(...)

The layers:

* :class:`StorageBackendSuite` drives the :class:`~fluke.backend.StorageBackend`
  directly (writers, part writers, ranged reads, ``copy_within``,
  ``is_transient``, concurrency);
* :class:`StorageSuite` tests the user API, and is the sum of one mixin per
  capability: :class:`ListingSuite`, :class:`ReadingSuite`,
  :class:`MetadataSuite`, :class:`WritingSuite`, :class:`TransferSuite`,
  :class:`SafetySuite`, :class:`CompatSuite` and :class:`WriteSuite`. A
  backend with only some capabilities subclasses those it has; every mixin
  carries the shared fixtures (:class:`StorageFixtures`) and skips on the
  ``capabilities`` fixture (:attr:`StorageTarget.capabilities`);
* :class:`QueueSuite` for queues (message lifecycle included).

This module needs pytest (``pip install fluke-core[testing]``).
"""

from fluke.testing._backend_suite import StorageBackendSuite
from fluke.testing._compat_suite import CompatSuite
from fluke.testing._fixtures import TREE, StorageFixtures
from fluke.testing._listing_suite import ListingSuite
from fluke.testing._metadata_suite import MetadataSuite
from fluke.testing._queue_suite import QueueSuite
from fluke.testing._reading_suite import ReadingSuite
from fluke.testing._safety_suite import SafetySuite
from fluke.testing._storage_suite import StorageSuite
from fluke.testing._targets import QueueTarget, StorageTarget
from fluke.testing._transfer_suite import TransferSuite
from fluke.testing._write_suite import WriteSuite
from fluke.testing._writing_suite import WritingSuite

__all__ = [
    "TREE",
    "CompatSuite",
    "ListingSuite",
    "MetadataSuite",
    "QueueSuite",
    "QueueTarget",
    "ReadingSuite",
    "SafetySuite",
    "StorageBackendSuite",
    "StorageFixtures",
    "StorageSuite",
    "StorageTarget",
    "TransferSuite",
    "WriteSuite",
    "WritingSuite",
]
