"""What a transfer copies (plan room): single sources, directory listings, planned files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fluke._session import Session
from fluke.backend import Checksum, Entry

#: ``existing`` of a :class:`PlannedFile` whose destination was not looked up yet.
UNKNOWN = Entry("", True, -1)


@dataclass
class TransferSource:
    """One file to copy: its session, full path, and path relative to the copy root.

    ``size``, ``checksum``, ``version`` and ``mtime`` are what the listing said
    (``None``: the engine asks the backend).
    """

    session: Session
    path: str
    relative: str
    size: int | None = None
    checksum: Checksum | None = None
    version: str | None = None
    mtime: float | None = None

    @classmethod
    def from_entry(cls, session: Session, entry: Entry, relative: str) -> TransferSource:
        """The source described by a listing ``entry``."""
        return cls(
            session, entry.path, relative, entry.size, entry.checksum, entry.version, entry.mtime
        )


@dataclass(frozen=True)
class DirSource:
    """The files under directory ``root`` of ``session``, listed by the engine itself.

    Handing the engine the listing (rather than an iterator of files) lets it
    list in concurrent shards, record its progress in a journal, and resume.

    :param keep: ``keep(path)`` keeps a file when true (``None``: all).
    """

    session: Session
    root: str
    recursive: bool
    keep: Callable[[str], bool] | None = None


@dataclass(slots=True)
class PlannedFile:
    """A source with its destination path, ready for the copy room.

    :param existing: the destination entry found by the destination check,
        ``None`` when the destination is free, :data:`UNKNOWN` when it was
        not looked up (the copy room asks with ``stat`` if it must).
    :param verify_existing: a destination that exists may be an earlier run's
        copy (a resumed journal): skip it when proven identical.
    :param journal_seq: the journal's number of this file's "planned" record.
    """

    source: TransferSource
    destination: str
    existing: Entry | None = UNKNOWN
    verify_existing: bool = False
    #: the journal's sequence number of the "planned" record (0: none)
    journal_seq: int = 0
