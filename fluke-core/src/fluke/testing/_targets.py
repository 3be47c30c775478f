"""What a backend package provides to run the conformance suites."""

from __future__ import annotations

import abc
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from fluke._dir import Dir
from fluke._file import File
from fluke._node import Node
from fluke._queue import Queue
from fluke.backend import StorageBackend, StorageCapabilities


def backend_of(node: Node) -> StorageBackend:
    """The :class:`~fluke.backend.StorageBackend` a File or Dir speaks to.

    The one place the conformance suites look behind the user API; tests
    use :meth:`StorageTarget.open_backend` or the suites' ``backend`` fixture.
    """
    return node._session.backend


class StorageTarget(abc.ABC):
    """A fresh, empty area of a real storage server (a dir, a bucket prefix...).

    Paths given to these methods are relative to that area and use ``/``.
    """

    #: the scheme :meth:`File.get_uri` starts with (``"s3"``, ``"file"``...)
    uri_scheme: str = "file"

    @abc.abstractmethod
    def dir(self, path: str = "", *, cache: bool = False, create_if_missing: bool = False) -> Dir:
        """Construct this backend's Dir class for ``path`` (``""``: the area itself)."""

    @abc.abstractmethod
    def file(self, path: str, *, cache: bool = False) -> File:
        """Construct this backend's File class for ``path``."""

    @abc.abstractmethod
    def full_path(self, path: str) -> str:
        """The backend path (what ``get_path()`` returns) of relative ``path``."""

    def write(self, path: str, data: bytes, metadata: dict[str, str] | None = None) -> None:
        """Create file ``path`` with ``data`` (and user metadata) on the server.

        The default writes through the backend's own writer; override it to
        seed through the SDK directly.
        """
        with self.open_backend() as backend:
            with backend.open_writer(self.full_path(path), metadata=metadata) as writer:
                writer.write(data)

    @contextmanager
    def open_backend(self) -> Iterator[StorageBackend]:
        """The backend on this area (created), connected for the ``with`` block.

        Paths given to it are backend paths: :meth:`full_path` of a relative
        path. The default opens the area as a Dir and uses its backend;
        override it to build the backend directly.
        """
        root = self.dir("", create_if_missing=True)
        try:
            yield backend_of(root)
        finally:
            root.close()

    @functools.cached_property
    def capabilities(self) -> StorageCapabilities:
        """What the backend declares it can do (the suites skip on it).

        The default asks the backend once; a target may override it (a
        class attribute) to test a backend as if it could do less.
        """
        with self.open_backend() as backend:
            return backend.capabilities

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release whatever the target holds."""

    def symlink(self, path: str, target: str) -> None:
        """Create symbolic link ``path`` pointing at ``target`` (kept as given).

        Backends with symbolic links (local disk, SFTP) override it; the
        default skips the calling test.
        """
        pytest.skip("this backend has no symbolic links")


class QueueTarget(abc.ABC):
    """A fresh, empty queue on a real server."""

    @abc.abstractmethod
    def queue(self) -> Queue:
        """Construct this backend's Queue class for the fresh queue."""

    def queue_with(self, **options: Any) -> Queue:
        """The fresh queue built with constructor keyword ``options``.

        ``max_deliveries``, ``dead_letter`` and ``large_payloads`` (issue 13).
        The default skips the calling test.
        """
        pytest.skip("this target cannot build a queue with options")

    def other_queue(self, suffix: str) -> Queue:
        """Another fresh, empty queue on the same server (named with ``suffix``).

        The default skips the calling test.
        """
        pytest.skip("this target cannot make a second queue")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release whatever the target holds."""
