"""The plan of a transfer: plain, picklable work items.

A plan holds only strings and numbers, so a scheduler other than the local
thread pool (Dask, a process pool) can run its items later.
"""

from __future__ import annotations

from dataclasses import dataclass

from fluke.backend import Checksum


@dataclass(frozen=True)
class FileTask:
    """Copy one file.

    :param source: the source backend path.
    :param destination: the destination backend path.
    :param source_uri: the source URI (for reports and logs).
    :param destination_uri: the destination URI.
    :param size: the size the source had when planned.
    :param metadata: user metadata to set on the copy (``None``: none).
    :param source_checksum: the source's native checksum, when its listing had one.
    :param source_version: the source's :attr:`~fluke.backend.Entry.version`
        when planned: every read and server-side copy is conditional on it.
    :param source_mtime: the source's modification time (kept by
        destinations that preserve times).
    :param overwrite: whether the commit may replace an existing file; when
        false the commit itself is conditional on the destination being absent.
    """

    source: str
    destination: str
    source_uri: str
    destination_uri: str
    size: int
    metadata: dict[str, str] | None = None
    source_checksum: Checksum | None = None
    source_version: str | None = None
    source_mtime: float | None = None
    overwrite: bool = False


@dataclass(frozen=True)
class PartTask:
    """Copy bytes ``[start, end)`` of a file as part ``number`` (1-based)."""

    file: FileTask
    number: int
    start: int
    end: int


def split(task: FileTask, part_size: int) -> list[PartTask]:
    """The parts of ``task`` in order."""
    parts = []
    for number, start in enumerate(range(0, task.size, part_size), start=1):
        parts.append(PartTask(task, number, start, min(start + part_size, task.size)))
    return parts
