"""A Fluke storage backend over any fsspec filesystem.

Paths are filesystem paths: absolute, ``/``-separated (``/data/x.csv``); the
root of the filesystem is ``/``. They are mapped to the implementation's own
form with its ``root_marker`` (``/data/x.csv`` on FTP and in memory,
``data/x.csv`` under a WebDAV base URL).

Writes go to a local spool, then, at commit, to a temporary
``.<name>.<12 hex>.fluke-part`` file beside the destination, which is then
renamed onto it: nothing is visible under the destination before the
commit, and an abort leaves nothing behind. With ``overwrite=False`` the
rename is conditional on the server where the profile knows how (WebDAV
``MOVE`` with ``Overwrite: F``); elsewhere it is a check then a rename under
a process-wide lock (``atomic_no_clobber=False``: best-effort against other
clients).
"""

from __future__ import annotations

import contextlib
import ftplib
import logging
import posixpath
import tempfile
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fluke import _paths
from fluke.backend import Checksum, Entry, StorageBackend, StorageCapabilities, Writer
from fluke.exceptions import (
    InvalidPathError,
    OverwriteError,
    PermissionDeniedError,
    SourceChangedError,
)
from fluke_fsspec._profiles import Profile, profile_for

__all__ = ["FsspecBackend", "capabilities_of"]

logger = logging.getLogger("fluke.fsspec")

#: Writes up to this size stay in memory before the spool moves to disk.
SPOOL_BYTES = 8 * 1024 * 1024
_COPY_CHUNK = 1024 * 1024

#: One lock per destination URI for check-then-rename commits: shared by
#: every backend of the process on that server (each has its own connection).
_COMMIT_LOCKS: weakref.WeakValueDictionary[str, _Lock] = weakref.WeakValueDictionary()
_COMMIT_LOCKS_GUARD = threading.Lock()


class _Lock:
    """A lock that can be weakly referenced (``threading.Lock`` cannot)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


def _commit_lock(uri: str) -> _Lock:
    with _COMMIT_LOCKS_GUARD:
        lock = _COMMIT_LOCKS.get(uri)
        if lock is None:
            lock = _COMMIT_LOCKS[uri] = _Lock()
        return lock


def capabilities_of(profile: Profile | str) -> StorageCapabilities:
    """What an FsspecBackend declares for ``profile`` (or a protocol's profile).

    No user metadata, server-side copy, native checksum or kept mtimes (fsspec
    offers none of them uniformly); one call at a time where the
    implementation is not thread-safe; no-clobber commits as the profile says.
    """
    if isinstance(profile, str):
        profile = profile_for(profile)
    return StorageCapabilities(
        remote=profile.remote,
        max_concurrency=8 if profile.thread_safe else 1,
        atomic_no_clobber=profile.atomic_no_clobber,
    )


def _protocol_of(fs: Any) -> str:
    protocol = fs.protocol
    return str(protocol[0] if isinstance(protocol, (tuple, list)) else protocol)


class _Errors:
    """Maps what fsspec implementations raise to Fluke's typed exceptions."""

    def __init__(self, uri: str) -> None:
        self._uri = uri

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is None or isinstance(exc, (InvalidPathError, OverwriteError, SourceChangedError)):
            return
        if isinstance(exc, FileNotFoundError) or (
            isinstance(exc, ftplib.error_perm) and str(exc).startswith("550")
        ):
            raise InvalidPathError(self._uri) from exc
        if isinstance(exc, PermissionError):
            raise PermissionDeniedError(self._uri, str(exc)) from exc


class FsspecBackend(StorageBackend):
    """Fluke's storage primitives on one fsspec filesystem.

    :param filesystem: an ``fsspec.AbstractFileSystem``, or a callable that
        builds one (called on first use and again after :meth:`close`: the
        backend then owns it and connects lazily).
    :param uri_base: what :meth:`uri` puts before a path (``ftp://host:21``);
        default ``<protocol>://``.
    :param profile: what to assume of the implementation; default: by protocol.
    """

    def __init__(
        self,
        filesystem: Any,
        *,
        uri_base: str | None = None,
        profile: Profile | None = None,
        protocol: str | None = None,
    ) -> None:
        self._factory: Callable[[], Any] | None = None
        self._fs: Any = None
        if callable(filesystem) and not hasattr(filesystem, "info"):
            self._factory = filesystem
        else:
            self._fs = filesystem
            protocol = protocol or _protocol_of(filesystem)
        if protocol is None:
            raise TypeError("FsspecBackend needs protocol= when given a factory")
        self.protocol = protocol
        self.profile = profile or profile_for(protocol)
        self._uri_base = uri_base if uri_base is not None else f"{protocol}://"
        self._lock: threading.RLock | contextlib.nullcontext[None] = (
            contextlib.nullcontext() if self.profile.thread_safe else threading.RLock()
        )
        self._open_lock = threading.Lock()
        self._root_marker = ""
        self.capabilities = capabilities_of(self.profile)

    def __repr__(self) -> str:
        return f"FsspecBackend({self._uri_base!r})"

    # -- identity and lifecycle ---------------------------------------------

    def uri(self, path: str) -> str:
        return self._uri_base + (path if path.startswith(_paths.SEP) else _paths.SEP + path)

    @property
    def fs(self) -> Any:
        """The fsspec filesystem (built now if the backend owns a factory)."""
        fs = self._fs
        if fs is None:
            with self._open_lock:
                if self._fs is None:
                    assert self._factory is not None
                    with _Errors(self._uri_base):
                        self._fs = self._factory()
                fs = self._fs
        return fs

    def connect(self) -> None:
        self.fs  # noqa: B018 - builds (and so connects) the filesystem

    def is_connected(self) -> bool:
        return self._factory is not None and self._fs is not None

    def close(self) -> None:
        if self._factory is None or self._fs is None:
            return  # a filesystem the user handed us is theirs to close
        with self._open_lock:
            fs, self._fs = self._fs, None
        ftp = getattr(fs, "ftp", None)
        if ftp is not None:
            with contextlib.suppress(Exception):
                ftp.close()
        client = getattr(fs, "client", None)
        http = getattr(client, "http", None)
        if http is not None and hasattr(http, "close"):
            with contextlib.suppress(Exception):
                http.close()

    def _path(self, path: str) -> str:
        """The implementation's form of Fluke path ``path``."""
        marker = getattr(self.fs, "root_marker", "") or ""
        return marker + path.strip(_paths.SEP)

    def _fluke_path(self, name: str, is_dir: bool) -> str:
        path = _paths.SEP + str(name).strip(_paths.SEP)
        return path.rstrip(_paths.SEP) + _paths.SEP if is_dir else path

    def _entry(self, info: Mapping[str, Any]) -> Entry:
        is_dir = info.get("type") == "directory"
        path = self._fluke_path(info["name"], is_dir)
        if is_dir:
            return Entry(path, True, 0, self.profile.mtime(info))
        return Entry(
            path,
            False,
            int(info.get("size") or 0),
            self.profile.mtime(info),
            None,
            self.profile.version(info),
        )

    # -- metadata about paths ------------------------------------------------

    def stat(self, path: str) -> Entry | None:
        fs = self.fs
        target = self._path(path)
        with self._lock, _Errors(self.uri(path)):
            fs.invalidate_cache()
            try:
                info = fs.info(target)
            except FileNotFoundError:
                return None
            except ftplib.error_perm as error:
                if str(error).startswith("550"):
                    return None
                raise
        if path.strip(_paths.SEP) == "":
            return Entry(_paths.SEP, True)
        return self._entry(info)

    def list(self, path: str, recursive: bool) -> Iterator[Entry]:
        fs = self.fs
        target = self._path(path)
        with self._lock, _Errors(self.uri(path)):
            fs.invalidate_cache()
            if recursive:
                found = fs.find(target, withdirs=False, detail=True)
                infos = list(found.values())
            else:
                infos = list(fs.ls(target, detail=True))
        own = _paths.as_dir_path(self._fluke_path(target, True))
        for info in infos:
            entry = self._entry(info)
            if entry.path == own or (recursive and entry.is_dir):
                continue
            yield entry

    # -- reading --------------------------------------------------------------

    def read_range(self, path: str, start: int, end: int, *, version: str | None = None) -> bytes:
        fs = self.fs
        uri = self.uri(path)
        try:
            with self._lock, _Errors(uri):
                data = bytes(fs.cat_file(self._path(path), start=start, end=end))
        except InvalidPathError:
            if version is not None:
                raise SourceChangedError(uri, "is gone") from None
            raise
        if version is not None:
            # fsspec reads carry no precondition: check the version once the
            # bytes are in; a replacement before or during the read shows here
            entry = self.stat(path)
            if entry is None or entry.version != version or len(data) != end - start:
                raise SourceChangedError(uri)
        return data

    # -- writing ----------------------------------------------------------------

    def open_writer(
        self,
        path: str,
        *,
        metadata: Mapping[str, str] | None = None,
        part_size: int | None = None,
        size_hint: int | None = None,
        overwrite: bool = True,
        mtime: float | None = None,
    ) -> Writer:
        return _FsspecWriter(self, path, overwrite)

    def mkdir(self, path: str) -> None:
        with self._lock, _Errors(self.uri(path)):
            self._makedirs(self.fs, self._path(path))

    @staticmethod
    def _makedirs(fs: Any, target: str) -> None:
        """``makedirs(exist_ok=True)`` that tolerates a racing client creating them too."""
        for attempt in range(3):
            try:
                fs.makedirs(target, exist_ok=True)
                break
            except (OSError, ftplib.error_perm):
                fs.invalidate_cache()
                if fs.isdir(target):
                    break
                if attempt == 2:
                    raise
        fs.invalidate_cache()

    def delete(self, path: str) -> None:
        with self._lock, _Errors(self.uri(path)):
            self.fs.rm_file(self._path(path))
            self.fs.invalidate_cache()

    def remove_dir(self, path: str) -> None:
        if path.strip(_paths.SEP) == "":
            return  # the root stays
        fs = self.fs
        with self._lock, _Errors(self.uri(path)):
            fs.invalidate_cache()
            # subdirectories first (deepest first), then the directory itself
            dirs = [
                name
                for name, info in fs.find(self._path(path), withdirs=True, detail=True).items()
                if info.get("type") == "directory"
            ]
            for name in [*sorted(dirs, key=len, reverse=True), self._path(path)]:
                # fsspec's memory filesystem drops implicit directories by itself
                try:
                    fs.rmdir(name)
                except (FileNotFoundError, ftplib.error_perm):
                    fs.invalidate_cache()
                    if fs.exists(name):
                        raise
            fs.invalidate_cache()

    def is_transient(self, error: BaseException) -> bool:
        return isinstance(error, (ConnectionError, TimeoutError, EOFError, ftplib.error_temp))

    # -- used by the writer -----------------------------------------------------

    def _commit(self, spool: Any, size: int, path: str, overwrite: bool) -> None:
        fs = self.fs
        uri = self.uri(path)
        target = self._path(path)
        parent, name = posixpath.split(target)
        tmp = posixpath.join(parent, f".{name}.{uuid.uuid4().hex[:12]}.fluke-part")
        with self._lock, _Errors(uri):
            if parent.strip(_paths.SEP):
                self._makedirs(fs, parent)
            spool.seek(0)
            with fs.open(tmp, "wb") as out:
                while chunk := spool.read(_COPY_CHUNK):
                    out.write(chunk)
        try:
            self._rename(fs, tmp, target, uri, overwrite)
        except BaseException:
            with self._lock, contextlib.suppress(Exception):
                fs.rm_file(tmp)
            raise
        finally:
            with contextlib.suppress(Exception):
                fs.invalidate_cache()

    def _rename(self, fs: Any, tmp: str, target: str, uri: str, overwrite: bool) -> None:
        commit = self.profile.commit
        with self._lock, _Errors(uri):
            if commit is not None:
                try:
                    with _commit_lock(uri):  # the server's condition, and ours in-process
                        commit(fs, tmp, target, overwrite)
                except Exception as error:
                    if not overwrite and fs.exists(target):
                        raise OverwriteError(uri) from error
                    raise
                return
            with _commit_lock(uri):
                fs.invalidate_cache()
                exists = fs.exists(target)
                if exists and not overwrite:
                    raise OverwriteError(uri)
                try:
                    fs.mv(tmp, target)
                except Exception:
                    if not exists:
                        raise
                    # servers that refuse to rename onto a file: delete it first
                    logger.warning("%s: rename onto an existing file refused; replacing", uri)
                    fs.rm_file(target)
                    fs.mv(tmp, target)


class _FsspecWriter(Writer):
    """A write spooled locally (memory, then a temporary file) and sent at commit."""

    def __init__(self, backend: FsspecBackend, path: str, overwrite: bool) -> None:
        self._backend = backend
        self._path = path
        self._overwrite = overwrite
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        self._size = 0
        self._done = False

    def write(self, data: bytes) -> int:
        if self._done:
            raise ValueError("write to a committed or aborted writer")
        self._spool.write(data)
        self._size += len(data)
        return len(data)

    def commit(self) -> Checksum | None:
        if self._done:
            raise ValueError("commit of a committed or aborted writer")
        self._done = True
        try:
            self._backend._commit(self._spool, self._size, self._path, self._overwrite)
        finally:
            self._spool.close()
        return None

    def abort(self) -> None:
        self._done = True
        self._spool.close()
