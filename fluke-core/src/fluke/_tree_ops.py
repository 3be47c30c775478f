"""Deleting files and directories, and creating directories (File/Dir methods).

Each call looks before it acts, so that every backend reports the same
errors: a missing file is :class:`~fluke.exceptions.InvalidPathError` even on
object stores whose delete of a missing key quietly succeeds.
"""

from __future__ import annotations

import logging

from fluke import _paths
from fluke._session import Session
from fluke.exceptions import (
    InvalidDirectoryError,
    InvalidFileError,
    InvalidPathError,
    TransferError,
)

__all__ = ["check_parents", "delete_file", "make_dir", "remove_dir"]

logger = logging.getLogger("fluke.storage")


def delete_file(session: Session, path: str) -> None:
    """Delete file ``path`` (a full backend path).

    :raises InvalidPathError: nothing is there.
    :raises InvalidFileError: it is a directory.
    """
    if path.endswith(_paths.SEP):
        raise InvalidFileError(path)
    backend = session.backend
    entry = backend.stat(path)
    if entry is None:
        raise InvalidPathError(path)
    if entry.is_dir:
        raise InvalidFileError(path)
    try:
        backend.delete(path)
    finally:
        session.purge()


def remove_dir(session: Session, path: str, *, recursively: bool) -> int:
    """Remove directory ``path`` (``""`` or ending with ``/``); the files deleted.

    Without ``recursively`` the directory must hold no file (empty
    subdirectories and markers go with it).

    :raises InvalidPathError: the directory is missing, or holds files and
        ``recursively`` is false.
    :raises InvalidDirectoryError: ``path`` is a file.
    :raises TransferError: some files could not be deleted (the others were;
        the directory is kept).
    """
    backend = session.backend
    if path not in ("", _paths.SEP):
        entry = backend.stat(path.rstrip(_paths.SEP))
        if entry is None:
            raise InvalidPathError(path)
        if not entry.is_dir:
            raise InvalidDirectoryError(path)
    files = [entry.path for entry in backend.list(path, True) if not entry.is_dir]
    if files and not recursively:
        raise InvalidPathError(
            path, f"is not empty ({len(files)} files; remove(recursively=True) deletes them)"
        )
    failed: list[str] = []
    try:
        for file in files:
            try:
                backend.delete(file)
            except Exception as error:
                logger.warning("could not delete %s: %s", backend.uri(file), error)
                failed.append(file)
        if failed:
            raise TransferError(
                f"{len(failed)} of {len(files)} files below {backend.uri(path)!r} "
                f"could not be deleted (first: {backend.uri(failed[0])!r}); the directory was kept"
            )
        backend.remove_dir(path)
    finally:
        session.purge()
    return len(files)


def check_parents(session: Session, base: str, path: str) -> None:
    """Refuse ``path`` if a file stands where one of its parents below ``base`` would be.

    Looks up the parents from the nearest one and stops at the first that
    exists (usually the first: one request).

    :raises InvalidDirectoryError: naming the file in the way.
    """
    parent = _paths.parent_of(path)
    while len(parent) > len(base):  # a file on the way would have to become a directory
        found = session.backend.stat(parent.rstrip(_paths.SEP))
        if found is not None:
            if not found.is_dir:
                raise InvalidDirectoryError(parent.rstrip(_paths.SEP))
            return
        parent = _paths.parent_of(parent)


def make_dir(session: Session, base: str, path: str) -> bool:
    """Create directory ``path`` (ending with ``/``, below directory ``base``); whether new.

    Its parents below ``base`` are created too.

    :raises InvalidDirectoryError: a file is at ``path`` or at one of those parents.
    """
    entry = session.backend.stat(path.rstrip(_paths.SEP))
    if entry is not None:
        if not entry.is_dir:
            raise InvalidDirectoryError(path.rstrip(_paths.SEP))
        return False
    check_parents(session, base, path)
    try:
        session.backend.mkdir(path)
    finally:
        session.purge()
    return True
