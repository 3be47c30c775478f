"""The storage conformance suite: behaviour every storage backend shares.

:class:`StorageSuite` is every mixin at once. A backend with only some
capabilities may subclass the mixins it supports instead (each provides the
shared fixtures of :class:`~fluke.testing.StorageFixtures`); tests that need
a capability skip on the ``capabilities`` fixture.
"""

from __future__ import annotations

from fluke.testing._compat_suite import CompatSuite
from fluke.testing._fixtures import TREE
from fluke.testing._listing_suite import ListingSuite
from fluke.testing._metadata_suite import MetadataSuite
from fluke.testing._reading_suite import ReadingSuite
from fluke.testing._safety_suite import SafetySuite
from fluke.testing._transfer_suite import TransferSuite
from fluke.testing._write_suite import WriteSuite
from fluke.testing._writing_suite import WritingSuite

__all__ = ["TREE", "StorageSuite"]


class StorageSuite(
    ListingSuite,
    ReadingSuite,
    MetadataSuite,
    WritingSuite,
    TransferSuite,
    SafetySuite,
    CompatSuite,
    WriteSuite,
):
    """Subclass in a backend package and provide the ``target`` fixture.

    The mixins: :class:`~fluke.testing.ListingSuite`,
    :class:`~fluke.testing.ReadingSuite`, :class:`~fluke.testing.MetadataSuite`,
    :class:`~fluke.testing.WritingSuite`, :class:`~fluke.testing.TransferSuite`,
    :class:`~fluke.testing.SafetySuite` (data safety),
    :class:`~fluke.testing.CompatSuite` (Fluke 0.5.0 behaviour) and
    :class:`~fluke.testing.WriteSuite` (writing, deleting, moving files).
    The protocol itself is :class:`~fluke.testing.StorageBackendSuite`.
    """
