"""The fixtures every storage conformance mixin shares.

A mixin of :mod:`fluke.testing` inherits :class:`StorageFixtures`, so it can
be used alone: a backend's test class provides ``target`` and gets the rest.
Mixins skip on the ``capabilities`` fixture (what the backend declares),
never on private attributes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fluke._dir import Dir
from fluke.backend import StorageBackend, StorageCapabilities
from fluke.local import LocalDir
from fluke.testing._targets import StorageTarget

__all__ = ["TREE", "StorageFixtures"]

#: The files the ``tree`` fixture writes (relative path -> content).
TREE = {
    "a.txt": b"alpha\n",
    "b.bin": bytes(range(256)) * 4,
    "sub/c.txt": b"charlie",
    "sub/deeper/d.txt": b"delta delta",
    "sub2/e.txt": "ε-psilon: ünïcödé\n".encode(),
}


class StorageFixtures:
    """``target`` (provided by the backend's test class) and what derives from it."""

    @pytest.fixture
    def target(self) -> StorageTarget:
        """A :class:`StorageTarget` on a fresh area of a real server."""
        raise NotImplementedError("a backend's test class provides this fixture")

    @pytest.fixture
    def capabilities(self, target: StorageTarget) -> StorageCapabilities:
        """What the backend under test declares it can do (tests skip on it)."""
        return target.capabilities

    @pytest.fixture
    def backend(self, target: StorageTarget) -> Iterator[StorageBackend]:
        """The backend on the target's area, for tests of the protocol itself."""
        with target.open_backend() as backend:
            yield backend

    @pytest.fixture
    def root(self, target: StorageTarget) -> Iterator[Dir]:
        """The target's area as a Dir (created)."""
        with target.dir("", create_if_missing=True) as directory:
            yield directory

    @pytest.fixture
    def tree(self, target: StorageTarget) -> Iterator[Dir]:
        """``TREE`` written under the target; yields a Dir on it."""
        for path, data in TREE.items():
            target.write(path, data)
        with target.dir("") as root:
            yield root

    @pytest.fixture
    def local(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDir]:
        """An empty local directory."""
        path = tmp_path_factory.mktemp("local")
        with LocalDir(str(path), create_if_missing=True) as directory:
            yield directory
