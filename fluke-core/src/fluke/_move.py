"""``File.move_to()``: a verified copy, then the deletion of the source.

The copy goes through the transfer engine (:func:`fluke.transfer.transfer`):
a server-side copy where both ends share a copy domain (one bucket or
account, local disk), otherwise a streamed copy whose size (and checksum,
where both ends have one) is verified, pinned to the source's version. The
source is deleted only after the engine reports success, and only if it
still has the version that was copied; a source that changed meanwhile is
kept (both files then exist) and :class:`~fluke.exceptions.SourceChangedError`
is raised. The source is never deleted first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fluke import _paths
from fluke.exceptions import (
    InvalidFileError,
    InvalidPathError,
    OverwriteError,
    SourceChangedError,
    TransferError,
)

if TYPE_CHECKING:
    from fluke._dir import Dir
    from fluke._file import File

__all__ = ["move"]

logger = logging.getLogger("fluke.storage")


def _check_name(name: object) -> str:
    """``name`` if it is a plain file name (no separator, not ``.``/``..``)."""
    if not isinstance(name, str):
        raise InvalidPathError(repr(name), "is not a string")
    if name in ("", ".", "..") or _paths.SEP in name or "\\" in name or "\x00" in name:
        raise InvalidPathError(name, "is not a file name (no '/', not '.' or '..')")
    return name


def move(file: File, dst: Dir, *, new_name: str | None = None, overwrite: bool = False) -> File:
    """Move ``file`` into ``dst`` as ``new_name`` (default: its name); the new File.

    :raises InvalidPathError: the source is missing, ``new_name`` is not a
        plain name, or the destination is the source itself.
    :raises InvalidFileError: a directory is at the destination.
    :raises OverwriteError: a file is at the destination and ``overwrite`` is false.
    :raises SourceChangedError: the source changed during the move (it is kept).
    :raises TransferError: the copy failed (the source is kept).
    """
    from fluke._dir import Dir
    from fluke.transfer import TransferSource, transfer
    from fluke.transfer._execute import same_location

    if not isinstance(dst, Dir):
        raise TypeError(f"move destination must be a Dir, not {type(dst).__name__}")
    if not isinstance(overwrite, bool):
        raise TypeError(f"overwrite must be a bool, not {type(overwrite).__name__}")
    name = _check_name(file.get_name() if new_name is None else new_name)
    session = file._session
    src_backend, src_path = session.backend, file.get_path()
    dst_backend, dst_path = dst._session.backend, dst.get_path() + name
    if same_location(src_backend, src_path, dst_backend, dst_path):
        raise InvalidPathError(file.get_uri(), "is both the source and the destination of the move")
    entry = src_backend.stat(src_path)
    if entry is None:
        raise InvalidPathError(src_path)
    if entry.is_dir:
        raise InvalidFileError(src_path)
    existing = dst_backend.stat(dst_path)
    if existing is not None and existing.is_dir:
        raise InvalidFileError(dst_path)
    if existing is not None and not overwrite:
        raise OverwriteError(dst_backend.uri(dst_path))
    source = TransferSource.from_entry(session, entry, name)
    report = transfer(
        [source], dst, overwrite=overwrite, include_metadata=True, suppress_output=True
    )
    if not report:
        failures = report.failed
        error = failures[0].error if failures else None
        if isinstance(error, Exception):
            raise error
        raise TransferError(f"moving {file.get_uri()!r} failed; the source was kept")
    copy = dst_backend.stat(dst_path)  # the engine verified it; look once more before deleting
    if copy is None or copy.is_dir or copy.size != entry.size:
        raise TransferError(
            f"the copy of {file.get_uri()!r} at {dst_backend.uri(dst_path)!r} is missing or "
            "has another size; the source was kept"
        )
    now = src_backend.stat(src_path)
    copied = (entry.version, entry.size, entry.mtime)
    if now is None or (now.version, now.size, now.mtime) != copied:
        changed = SourceChangedError(file.get_uri())
        changed.args = (
            f"Source {file.get_uri()!r} changed while it was moved: the version read was "
            f"copied to {dst_backend.uri(dst_path)!r} and the source was kept.",
        )
        raise changed
    src_backend.delete(src_path)
    session.purge()
    logger.debug("moved %s to %s", file.get_uri(), dst_backend.uri(dst_path))
    return dst.file_class._from_session(dst._session, dst_path)
