"""URLs → Dirs, Files and Queues, through the schemes plugins declare.

``fluke.dir("s3://bucket/prefix")``, ``fluke.file("sftp://user@host/etc/hosts")``,
``fluke.queue("sqs://queue-name")``. A plain path (no scheme) or ``file://``
is local disk; ``localq:///path/to/queues.db?queue=NAME`` is the local queue.
Credentials come from each provider's default chain unless ``auth`` is given.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from fluke.exceptions import InvalidPathError

Kind = Literal["dir", "file", "queue"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def redact_url(url: str) -> str:
    """``url`` with any password in its user-info replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<malformed URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return parts._replace(netloc=f"{user}:***@{netloc[1]}").geturl()


def split_url(url: str) -> SplitResult:
    """Split ``url``; plain paths become ``file`` URLs.

    :raises InvalidPathError: the URL is malformed (the password, if any, is hidden).
    """
    if not isinstance(url, str) or not url:
        raise InvalidPathError(repr(url), "is not a URL or path")
    if not _SCHEME.match(url):
        return SplitResult("file", "", os.path.abspath(url), "", "")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except ValueError as error:
        raise InvalidPathError(redact_url(url), f"is a malformed URL ({error})") from None
    return parts


def open_url(url: str, kind: Kind, *, auth: object | None = None, **options: Any) -> Any:
    """Open ``url`` as a ``dir``, ``file`` or ``queue`` with the scheme's plugin.

    :raises ImportError: the scheme's package is not installed (it is named).
    :raises InvalidPathError: the URL is malformed or names no scheme we know.
    """
    from fluke import _plugins

    parts = split_url(url)
    scheme = parts.scheme.lower()
    declaration = _plugins.registry().find("scheme", scheme)
    if declaration is None:
        package = _plugins.KNOWN_PROVIDERS.get(scheme)
        if package is not None:
            raise ImportError(
                f"URL scheme {scheme!r} is provided by the {package} package, which is not "
                f"installed: pip install {package}"
            )
        raise InvalidPathError(redact_url(url), f"uses scheme {scheme!r}, which no plugin provides")
    opener = declaration.load()
    if not callable(opener):
        raise TypeError(f"{declaration.target} is not callable")
    return opener(parts, kind, auth, options)


def open_local(
    parts: SplitResult, kind: Kind, auth: object | None, options: Mapping[str, Any]
) -> Any:
    """Opener of plain paths and ``file://`` URLs."""
    from fluke.local import LocalDir, LocalFile

    if parts.netloc not in ("", "localhost"):
        raise InvalidPathError(parts.geturl(), "names a remote host; file:// URLs are local")
    path = unquote(parts.path)
    if kind == "dir":
        return LocalDir(path, create_if_missing=bool(options.get("create_if_missing", False)))
    if kind == "file":
        return LocalFile(path)
    raise InvalidPathError(parts.geturl(), "is a storage URL, not a queue")


def open_local_queue(
    parts: SplitResult, kind: Kind, auth: object | None, options: Mapping[str, Any]
) -> Any:
    """Opener of ``localq:///path/to/queues.db?queue=NAME`` (``#NAME`` also works)."""
    from fluke.localqueue import LocalQueue

    if kind != "queue":
        raise InvalidPathError(parts.geturl(), "is a queue URL, not storage")
    name = parse_qs(parts.query).get("queue", [parts.fragment])[0]
    if not name:
        raise InvalidPathError(parts.geturl(), "names no queue (add ?queue=NAME)")
    return LocalQueue(unquote(parts.path), name)


DirFactory = Callable[..., Any]
FileFactory = Callable[..., Any]


def open_object_store(
    parts: SplitResult,
    kind: Kind,
    options: Mapping[str, Any],
    *,
    make_dir: DirFactory,
    make_file: FileFactory,
) -> Any:
    """Shared opener logic of ``scheme://bucket/key`` URLs.

    ``make_dir(bucket, path_or_None, create_if_missing=..., cache=...)`` and
    ``make_file(bucket, key, cache=...)`` build the provider's classes.
    """
    bucket = parts.netloc
    key = unquote(parts.path).lstrip("/")
    if not bucket:
        raise InvalidPathError(parts.geturl(), "names no bucket or container")
    cache = bool(options.get("cache", False))
    if kind == "dir":
        return make_dir(
            bucket,
            key or None,
            create_if_missing=bool(options.get("create_if_missing", False)),
            cache=cache,
        )
    if kind == "file":
        return make_file(bucket, key, cache=cache)
    raise InvalidPathError(parts.geturl(), "is a storage URL, not a queue")
