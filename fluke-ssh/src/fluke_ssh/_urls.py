"""``sftp://user[:password]@host[:port]/absolute/path`` URLs (fluke-ssh's scheme)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, unquote

from fluke._urls import Kind
from fluke.exceptions import InvalidPathError
from fluke_ssh.auth import RemoteAuth
from fluke_ssh.storage import RemoteDir, RemoteFile


def auth_from_url(parts: SplitResult) -> RemoteAuth:
    """Credentials from the URL, completed by ssh-agent, ``~/.ssh/config`` and known_hosts."""
    if not parts.hostname:
        raise InvalidPathError(parts._replace(netloc="").geturl(), "names no host")
    password = unquote(parts.password) if parts.password is not None else None
    username = unquote(parts.username) if parts.username else None
    return RemoteAuth(parts.hostname, username, password=password, port=parts.port)


def open_sftp(
    parts: SplitResult, kind: Kind, auth: object | None, options: Mapping[str, Any]
) -> Any:
    """Open ``sftp://`` URLs as RemoteDir/RemoteFile (``auth`` overrides the URL's)."""
    if auth is not None and not isinstance(auth, RemoteAuth):
        raise TypeError(f"sftp:// URLs take a RemoteAuth, not {type(auth).__name__}")
    credentials = auth if auth is not None else auth_from_url(parts)
    path = unquote(parts.path) or "/"
    cache = bool(options.get("cache", False))
    if kind == "dir":
        create = bool(options.get("create_if_missing", False))
        return RemoteDir(credentials, path, cache=cache, create_if_missing=create)
    if kind == "file":
        return RemoteFile(credentials, path, cache=cache)
    raise InvalidPathError(parts._replace(netloc=parts.hostname or "").geturl(), "is not a queue")
