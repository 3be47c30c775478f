"""Path normalisation shared by every backend (the separator is always ``/``)."""

from __future__ import annotations

import posixpath

from fluke.backend import StorageCapabilities
from fluke.exceptions import InvalidChunkSizeError, InvalidPathError, UnsafePathError

SEP = "/"


def as_dir_path(path: str) -> str:
    """``path`` with exactly one trailing separator (``""`` stays the root)."""
    if path in ("", SEP):
        return path
    return path.rstrip(SEP) + SEP


def normalise_object_path(path: str | None, *, is_dir: bool) -> str:
    """Normalise a bucket/container key given by a user.

    ``None`` or ``""`` is the root; a leading ``/`` is refused.
    """
    if path is None or path == "":
        return ""
    if not isinstance(path, str):
        raise InvalidPathError(repr(path), "is not a string")
    if path.startswith(SEP):
        raise InvalidPathError(path, "must not start with '/' (object keys are relative)")
    if "\x00" in path:
        raise InvalidPathError(path, "contains a NUL character")
    return as_dir_path(path) if is_dir else path.rstrip(SEP)


def normalise_fs_path(path: str, *, is_dir: bool, cwd: str | None = None) -> str:
    """Normalise a filesystem path to an absolute POSIX path."""
    if not isinstance(path, str) or path == "":
        raise InvalidPathError(repr(path), "is not a usable path")
    if "\x00" in path:
        raise InvalidPathError(path, "contains a NUL character")
    if not path.startswith(SEP) and cwd is not None:
        path = posixpath.join(cwd, path)
    norm = posixpath.normpath(path)
    if norm.startswith("//"):
        norm = SEP + norm.lstrip(SEP)
    return as_dir_path(norm) if is_dir else norm


def join_relative(dir_path: str, relative: str) -> str:
    """Join ``relative`` under ``dir_path``, refusing anything that escapes it.

    Refused: absolute paths, ``..`` climbing above ``dir_path``, backslashes
    used as separators, and NUL characters. Raises
    :class:`~fluke.exceptions.UnsafePathError` naming ``relative``.
    """
    if "\x00" in relative or "\\" in relative or relative.startswith(SEP):
        raise UnsafePathError(relative)
    parts: list[str] = []
    for part in relative.split(SEP):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise UnsafePathError(relative)
            parts.pop()
            continue
        parts.append(part)
    if not parts:
        raise UnsafePathError(relative)
    joined = SEP.join(parts)
    if relative.endswith(SEP):
        joined += SEP
    return dir_path + joined


def name_of(path: str) -> str:
    """Last component of ``path`` (a trailing separator is ignored)."""
    return path.rstrip(SEP).rsplit(SEP, 1)[-1]


def parent_of(path: str) -> str:
    """Directory path (ending with ``/``, or ``""``) that contains ``path``."""
    stripped = path.rstrip(SEP)
    if SEP not in stripped:
        return SEP if path.startswith(SEP) else ""
    return stripped.rsplit(SEP, 1)[0] + SEP


def check_part_size(part_size: int, caps: StorageCapabilities) -> None:
    """Raise :class:`InvalidChunkSizeError` unless ``part_size`` fits ``caps``."""
    if isinstance(part_size, bool) or not isinstance(part_size, int) or part_size <= 0:
        raise InvalidChunkSizeError(part_size, "must be a positive integer number of bytes")
    if caps.min_part_size is not None and part_size < caps.min_part_size:
        raise InvalidChunkSizeError(part_size, f"must be at least {caps.min_part_size} bytes")
    if caps.max_part_size is not None and part_size > caps.max_part_size:
        raise InvalidChunkSizeError(part_size, f"must be at most {caps.max_part_size} bytes")
    if caps.part_size_multiple is not None and part_size % caps.part_size_multiple:
        raise InvalidChunkSizeError(
            part_size, f"must be a multiple of {caps.part_size_multiple} bytes"
        )
