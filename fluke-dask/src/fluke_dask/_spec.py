"""What travels to the workers: the job (endpoints, options) and the files, all picklable.

Auth objects travel pickled inside :class:`Endpoint` (their ``repr`` hides
secrets, and so does every ``repr`` here: the Dask dashboard shows reprs and
task keys, which hold no URI, path or credential).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from fluke._urls import redact_url
from fluke.backend import Checksum, Entry, StorageBackend
from fluke.transfer._copy import CopyOptions
from fluke.transfer._retry import RetryPolicy
from fluke.transfer._sources import PlannedFile

if TYPE_CHECKING:
    from fluke._dir import Dir


@dataclass(frozen=True)
class Endpoint:
    """A place a worker reopens: a directory URL and the auth to reach it with.

    :param uri: the directory's URL (``s3://bucket/prefix/``, ``file:///...``).
    :param auth: the auth object the Dir was opened with (``None``: none needed).
    """

    uri: str
    auth: object | None = field(default=None)

    @classmethod
    def of(cls, backend: StorageBackend, directory: str) -> Endpoint:
        """The endpoint of ``directory`` on ``backend`` (its auth found on the backend)."""
        auth = getattr(backend, "auth", None) or getattr(backend, "_auth", None)
        return cls(backend.uri(directory), auth)

    def open(self) -> Dir:
        """The directory, opened in this process."""
        import fluke

        return fluke.dir(self.uri, auth=self.auth)

    def __repr__(self) -> str:
        return f"Endpoint({redact_url(self.uri)})"


@dataclass(frozen=True)
class JobSpec:
    """One transfer as a worker needs it; sent once per worker (scattered).

    :param token: tells the jobs apart in a worker's cache of opened Dirs.
    :param threads: files one task copies at once on a worker.
    """

    token: str
    source: Endpoint
    destination: Endpoint
    options: CopyOptions
    memory_budget: int
    retry: RetryPolicy
    threads: int

    def __repr__(self) -> str:
        return f"JobSpec({self.token[:8]})"


class WireFile(NamedTuple):
    """A planned file without its session: what a task carries per file."""

    path: str
    relative: str
    size: int | None
    checksum: Checksum | None
    version: str | None
    mtime: float | None
    destination: str
    existing: Entry | None
    verify_existing: bool

    @classmethod
    def of(cls, planned: PlannedFile) -> WireFile:
        """The wire form of ``planned``.

        ``verify_existing`` is always set: a task may run twice, and a file
        found at the destination identical to its source (this copy, from
        the earlier run) is then skipped instead of refused.
        """
        src = planned.source
        return cls(
            src.path,
            src.relative,
            src.size,
            src.checksum,
            src.version,
            src.mtime,
            planned.destination,
            planned.existing,
            True,
        )

    def __repr__(self) -> str:
        return "WireFile(...)"
