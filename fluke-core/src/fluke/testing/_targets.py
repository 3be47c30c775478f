"""What a backend package provides to run the conformance suites."""

from __future__ import annotations

import abc
from typing import Any

import pytest

from fluke._dir import Dir
from fluke._file import File
from fluke._queue import Queue


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
        root = self.dir("", create_if_missing=True)
        try:
            backend = root._session.backend
            with backend.open_writer(self.full_path(path), metadata=metadata) as writer:
                writer.write(data)
        finally:
            root.close()

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
