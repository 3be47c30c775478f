"""What Fluke knows about particular fsspec implementations.

An fsspec filesystem says little about itself: whether it may be used from
several threads, what in its ``info()`` answer changes with the content (a
*version*), and whether the server can refuse to replace a file. A
:class:`Profile` holds those answers for one protocol; protocols not listed
get the conservative :data:`GENERIC` profile (calls serialised, versions only
from an ETag-like field, no-clobber commits best-effort).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("fluke.fsspec")

__all__ = ["GENERIC", "Profile", "profile_for"]

Info = Mapping[str, Any]

#: ``info()`` keys that hold a content version (an ETag, a GCS generation...).
_VERSION_KEYS = ("etag", "ETag", "generation", "version_id", "VersionId", "md5")
#: ``info()`` keys that hold a modification time.
_MTIME_KEYS = ("mtime", "modified", "LastModified", "last_modified", "updated", "modify")


def to_timestamp(value: object) -> float | None:
    """A POSIX timestamp from what fsspec implementations put in ``info()``.

    Accepts numbers, :class:`datetime.datetime` and FTP's ``YYYYMMDDHHMMSS[.fff]``
    (UTC); anything else is ``None``.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, str) and len(value) >= 14 and value[:14].isdigit():
        whole = datetime.datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(
            tzinfo=datetime.timezone.utc
        )
        fraction = float("0" + value[14:]) if value[14:].startswith(".") else 0.0
        return whole.timestamp() + fraction
    return None


def generic_mtime(info: Info) -> float | None:
    """The first modification time found in ``info``."""
    for key in _MTIME_KEYS:
        if info.get(key) is not None:
            stamp = to_timestamp(info[key])
            if stamp is not None:
                return stamp
    return None


def generic_version(info: Info) -> str | None:
    """An ETag-like field of ``info``, or ``None`` (no version known)."""
    for key in _VERSION_KEYS:
        value = info.get(key)
        if value:
            return str(value).strip('"')
    return None


def _memory_version(info: Info) -> str | None:
    # every write of fsspec's memory filesystem makes a new object with a new
    # creation time (microseconds); with the size it identifies the content
    created = to_timestamp(info.get("created"))
    return None if created is None else f"{created:.6f}:{info.get('size', 0)}"


def _memory_mtime(info: Info) -> float | None:
    return to_timestamp(info.get("created"))


def _ftp_version(info: Info) -> str | None:
    # MLSD facts: "unique" (device and inode), "modify" (seconds) and the size.
    # Fluke commits by rename, so each commit has a new inode; an in-place
    # same-size edit by another client within the same second goes unseen.
    facts = [str(info.get(key, "")) for key in ("unique", "modify", "size")]
    return ":".join(facts) if any(facts[:2]) else None


def _webdav_commit(fs: Any, tmp: str, dst: str, overwrite: bool) -> None:
    # MOVE with "Overwrite: F" is refused by the server if dst exists (RFC 4918)
    fs.client.move(tmp, dst, overwrite=overwrite)


@dataclass(frozen=True)
class Profile:
    """What Fluke assumes about one fsspec protocol.

    :param thread_safe: the filesystem object may be used from several
        threads at once (else Fluke serialises every call on it).
    :param atomic_no_clobber: ``overwrite=False`` commits are refused by the
        server itself; else they are a check then a rename under a process-wide
        lock (atomic between Fluke writers of this process only).
    :param remote: the filesystem talks over a network.
    :param version: the content version of a file from its ``info()``.
    :param mtime: the modification time of a file from its ``info()``.
    :param commit: ``commit(fs, tmp, dst, overwrite)``: a server-side
        conditional rename, when ``atomic_no_clobber``.
    :param version_note: how far the versions can be trusted (for the docs).
    """

    thread_safe: bool = False
    atomic_no_clobber: bool = False
    remote: bool = True
    version: Callable[[Info], str | None] = generic_version
    mtime: Callable[[Info], float | None] = generic_mtime
    commit: Callable[[Any, str, str, bool], None] | None = None
    version_note: str = "an ETag-like field of info(), when the implementation gives one"


GENERIC = Profile()

PROFILES: dict[str, Profile] = {
    "memory": Profile(
        thread_safe=True,
        atomic_no_clobber=True,  # the store lives in this process: the lock covers every writer
        remote=False,
        version=_memory_version,
        mtime=_memory_mtime,
        version_note="creation time (microseconds) and size of the stored object",
    ),
    "ftp": Profile(
        thread_safe=False,  # one control connection per filesystem object
        atomic_no_clobber=False,  # RNTO replaces an existing file: best-effort
        version=_ftp_version,
        version_note=(
            "MLSD 'unique' (inode), 'modify' (seconds) and size: an in-place same-size "
            "edit within one second by another client is not seen"
        ),
    ),
    "webdav": Profile(
        thread_safe=True,
        # MOVE with "Overwrite: F" is sent, but wsgidav was seen to let two racing
        # MOVEs both succeed: only the in-process lock is guaranteed
        atomic_no_clobber=False,
        commit=_webdav_commit,
        version_note="the server's ETag",
    ),
}


def profile_for(protocol: str) -> Profile:
    """The profile of ``protocol`` (:data:`GENERIC` when Fluke knows nothing of it)."""
    return PROFILES.get(protocol, GENERIC)
