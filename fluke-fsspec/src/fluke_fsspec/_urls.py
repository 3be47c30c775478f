"""The fallback URL opener: schemes no Fluke plugin claims go to fsspec.

``fluke.dir("ftp://user:pw@host/path")``, ``fluke.dir("memory:///area")``,
``fluke.dir("webdav://host:8080/path")`` (``webdavs://`` for HTTPS): Fluke's
URL entry points (and so the CLI) open them through fsspec when
fluke-fsspec is installed. Native plugins always win: ``s3://`` is fluke-aws
(or an error naming it), never s3fs.

``auth=`` is a mapping of the implementation's storage options
(``{"username": ..., "password": ...}``); it overrides what the URL says.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import SplitResult, unquote

from fluke._urls import Kind, redact_url
from fluke.exceptions import InvalidPathError
from fluke_fsspec.backend import FsspecBackend
from fluke_fsspec.storage import FsspecDir, FsspecFile

__all__ = ["backend_for_url", "open_fsspec"]

#: URL schemes that name a WebDAV server (fsspec's webdav4 needs a base URL).
_WEBDAV = {"webdav": "http", "webdavs": "https", "dav": "http", "davs": "https"}


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One default TLS context for every WebDAV client of the process."""
    return ssl.create_default_context()


def _filesystem_class(scheme: str, shown: str) -> Any:
    import fsspec  # type: ignore[import-untyped]

    try:
        return fsspec.get_filesystem_class(scheme)
    except ValueError:
        raise InvalidPathError(
            shown, f"uses scheme {scheme!r}, which neither a Fluke plugin nor fsspec provides"
        ) from None
    except ImportError as error:
        raise ImportError(
            f"URL scheme {scheme!r} is opened through fsspec, whose implementation needs a "
            f"package that is not installed: {error}"
        ) from None


def backend_for_url(
    parts: SplitResult, auth: Mapping[str, Any] | None = None
) -> tuple[FsspecBackend, str]:
    """An :class:`FsspecBackend` for URL ``parts`` and the Fluke path it names.

    The backend builds its filesystem lazily (on first use, with
    ``skip_instance_cache`` and no listings cache, so that it owns it).

    :raises InvalidPathError: fsspec knows no such scheme.
    :raises TypeError: ``auth`` is not a mapping of storage options.
    """
    # geturl() would drop an empty authority ("memory:///x" -> "memory:/x")
    url = f"{parts.scheme}://{parts.netloc}{parts.path}" + (
        f"?{parts.query}" if parts.query else ""
    )
    shown = redact_url(url)
    if auth is not None and not isinstance(auth, Mapping):
        raise TypeError(
            f"{parts.scheme}:// URLs (opened through fsspec) take auth= as a mapping of "
            f"storage options, not {type(auth).__name__}"
        )
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    options: dict[str, Any] = {}
    if scheme in _WEBDAV:
        cls = _filesystem_class("webdav", shown)
        options["base_url"] = f"{_WEBDAV[scheme]}://{netloc}/"
        if parts.username:
            options["auth"] = (unquote(parts.username), unquote(parts.password or ""))
        options["verify"] = _tls_context()  # loading the CA store per client costs ~0.2 s
        path = unquote(parts.path)
        protocol = "webdav"
    else:
        cls = _filesystem_class(scheme, shown)
        options.update(cls._get_kwargs_from_urls(url))
        path = unquote(str(cls._strip_protocol(url)))
        if netloc and path.startswith(netloc):  # implementations that keep the host
            path = path[len(netloc) :]
        protocol = scheme
    options.update(auth or {})
    options["skip_instance_cache"] = True
    factory: Callable[[], Any] = lambda: cls(**options)  # noqa: E731
    backend = FsspecBackend(factory, uri_base=f"{scheme}://{netloc}", protocol=protocol)
    return backend, "/" + path.strip("/")


def open_fsspec(
    parts: SplitResult, kind: Kind, auth: object | None, options: Mapping[str, Any]
) -> Any:
    """Open any scheme no Fluke plugin claims as an FsspecDir/FsspecFile."""
    backend, path = backend_for_url(parts, auth)  # type: ignore[arg-type]
    cache = bool(options.get("cache", False))
    if kind == "dir":
        create = bool(options.get("create_if_missing", False))
        return FsspecDir(backend, path, cache=cache, create_if_missing=create)
    if kind == "file":
        return FsspecFile(backend, path, cache=cache)
    raise InvalidPathError(redact_url(parts.geturl()), "is a storage URL, not a queue")
