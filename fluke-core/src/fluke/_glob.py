"""``Dir.glob()``: shell-style patterns over a listing.

``*`` matches within one path component, ``?`` one character of a
component, ``[abc]``/``[!abc]``/``[a-z]`` one character of a set, and a
component that is exactly ``**`` any number of components (zero included).
Only the directory named by the pattern's leading literal components is
listed (recursively only if the rest of the pattern needs more than one
level), so on object stores the literal prefix bounds the listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from fluke import _paths
from fluke.exceptions import InvalidPathError, UnsafePathError

if TYPE_CHECKING:
    from fluke._dir import Dir

__all__ = ["check_pattern", "compile_pattern", "glob", "split_literal"]

_MAGIC = re.compile(r"[*?\[]")


def _component(part: str) -> str:
    """The regular expression of one path component (no ``**`` inside)."""
    out: list[str] = []
    index = 0
    while index < len(part):
        char = part[index]
        index += 1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            close = part.find("]", index + 1 if part[index : index + 1] in ("!", "]") else index)
            if close < 0:
                out.append(re.escape(char))
                continue
            body = part[index:close]
            index = close + 1
            negate = body.startswith("!")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\").replace("]", "\\]")
            if body.startswith("^"):
                body = "\\" + body
            out.append(f"[^/{body}]" if negate else f"[{body}]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The regular expression matching the relative paths ``pattern`` names."""
    parts = pattern.split(_paths.SEP)
    regex = ""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            regex += ".*" if last else "(?:[^/]+/)*"
        else:
            regex += _component(part) + ("" if last else "/")
    return re.compile(regex + r"\Z", re.DOTALL)


def check_pattern(pattern: object) -> str:
    """``pattern`` if usable: a relative ``str`` that does not climb out with ``..``.

    :raises InvalidPathError: not a string, or empty.
    :raises UnsafePathError: absolute, or holding a ``..`` component, a NUL or a backslash.
    """
    if not isinstance(pattern, str) or not pattern:
        raise InvalidPathError(repr(pattern), "is not a usable glob pattern")
    if pattern.startswith(_paths.SEP) or "\x00" in pattern or "\\" in pattern:
        raise UnsafePathError(pattern)
    if ".." in pattern.split(_paths.SEP):
        raise UnsafePathError(pattern)
    return pattern


def split_literal(pattern: str) -> tuple[str, str]:
    """``(literal_dir, rest)``: the leading components without wildcards, and the others.

    ``literal_dir`` is ``""`` or ends with ``/``; ``rest`` is never empty.
    """
    parts = [part for part in pattern.split(_paths.SEP) if part not in ("", ".")]
    literal: list[str] = []
    while len(parts) > 1 and not _MAGIC.search(parts[0]):
        literal.append(parts.pop(0))
    prefix = _paths.SEP.join(literal) + _paths.SEP if literal else ""
    return prefix, _paths.SEP.join(parts)


def needs_recursion(rest: str) -> bool:
    """Whether matching ``rest`` needs a listing deeper than one level."""
    return _paths.SEP in rest or "**" in rest


def filter_paths(paths: Iterator[str], rest: str) -> Iterator[str]:
    """The paths (relative to the listed dir) that ``rest`` matches."""
    regex = compile_pattern(rest)
    return (path for path in paths if regex.match(path))


def glob(directory: Dir, pattern: str) -> Iterator[str]:
    """The files below ``directory`` that ``pattern`` matches, relative, sorted.

    The pattern is checked at once; the listing happens on iteration.
    """
    literal, rest = split_literal(check_pattern(pattern))
    return _matches(directory, literal, rest)


def _matches(directory: Dir, literal: str, rest: str) -> Iterator[str]:
    session = directory._session
    base = directory.get_path()
    top = base + literal
    if literal:
        entry = session.stat(top.rstrip(_paths.SEP))
        if entry is None or not entry.is_dir:
            return
    recursive = needs_recursion(rest)
    listing = session.backend.list(top, recursive)
    paths = sorted(entry.path[len(top) :] for entry in listing if not entry.is_dir)
    for path in filter_paths(iter(paths), rest):
        yield literal + path
