"""The SFTP storage backend: filesystem semantics over one SSH connection.

Paths are absolute POSIX paths on the server (directories end with ``/``).

* Listings use the attributes ``READDIR`` returns (``lstat`` semantics), so
  symbolic links are recognised and never followed out of the directory being
  listed: a link to a file is listed only when its target lies inside that
  directory; links to directories are never listed nor descended (no loops).
* Reads are pipelined: many read requests of up to 255 KiB in flight.
* Writes are pipelined and go to a temporary name in the destination
  directory, renamed over the final name only on :meth:`Writer.commit`; an
  interrupted or aborted write leaves nothing under the final name. With
  ``overwrite=False`` the rename is SFTP's plain ``SSH_FXP_RENAME``, which
  refuses an existing target (OpenSSH makes it a ``link`` + ``unlink``, so
  two racing writers cannot both win); the loser gets
  :class:`~fluke.exceptions.OverwriteError`. A given ``mtime`` is set on the
  temporary file before the rename (SFTP keeps whole seconds).
* :attr:`Entry.version` is ``"<whole-second mtime>:<size>"`` (weak, best
  effort: SFTP has no content token). Reads given a version compare it with
  the opened handle's ``fstat`` before reading and once all is read, and
  raise :class:`~fluke.exceptions.SourceChangedError` on a mismatch.
* SFTP has no user metadata (``user_metadata=False``); the local metadata
  dicts of the File/Dir API still work.
"""

from __future__ import annotations

import errno
import itertools
import logging
import math
import posixpath
import re
import socket
import stat as stat_module
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import paramiko
from paramiko.sftp import CMD_FSETSTAT

from fluke import _paths
from fluke.backend import Entry, StorageBackend, StorageCapabilities, Writer
from fluke.exceptions import (
    FlukeError,
    InvalidDirectoryError,
    OverwriteError,
    SourceChangedError,
)
from fluke_ssh._connection import MAX_CHANNELS, Connection
from fluke_ssh._errors import sftp_errors
from fluke_ssh.auth import DEFAULT_PORT, RemoteAuth

logger = logging.getLogger("fluke.ssh")

__all__ = ["SFTPBackend"]

#: Read requests per pipelined batch (two batches are in flight at a time).
PREFETCH_REQUESTS = 32
_MISSING = (errno.ENOENT, errno.ENOTDIR)
#: The name of a writer's temporary file (see :class:`_SFTPWriter`).
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{12}\.fluke-part")


def _is_missing(error: OSError) -> bool:
    return isinstance(error, FileNotFoundError) or error.errno in _MISSING


def _version(attrs: Any) -> str | None:
    """The :attr:`Entry.version` of a file's attributes: ``"<mtime>:<size>"``.

    SFTP (version 3) has whole-second times and no content token, so this is
    weak: a rewrite to the same size within the same second goes unnoticed.
    ``None`` when the server sends no time or size.
    """
    if attrs.st_mtime is None or attrs.st_size is None:
        return None
    return f"{int(attrs.st_mtime)}:{int(attrs.st_size)}"


def _sftp_time(mtime: float) -> int | None:
    """``mtime`` as SFTP carries it (unsigned 32-bit seconds), or ``None`` if it cannot."""
    if not math.isfinite(mtime) or not 0 <= mtime < 2**32:
        return None
    return int(mtime)


def _mkdirs(sftp: paramiko.SFTPClient, path: str) -> None:
    """``mkdir -p path`` (``path`` absolute; a trailing ``/`` is ignored)."""
    path = path.rstrip(_paths.SEP) or _paths.SEP
    try:
        attrs = sftp.stat(path)
    except OSError as error:
        if not _is_missing(error):
            raise
    else:
        if not stat_module.S_ISDIR(attrs.st_mode or 0):
            raise InvalidDirectoryError(path)
        return
    parent = posixpath.dirname(path)
    if parent != path:
        _mkdirs(sftp, parent)
    try:
        sftp.mkdir(path)
    except OSError as error:
        # created concurrently by another thread/process? then all is well
        try:
            attrs = sftp.stat(path)
        except OSError:
            raise error from None  # why mkdir failed (EACCES...), not "missing"
        if not stat_module.S_ISDIR(attrs.st_mode or 0):
            raise InvalidDirectoryError(path) from None


def _pieces(
    handle: paramiko.SFTPFile, start: int, end: int, request: int, batch: int
) -> Iterator[bytes]:
    """Bytes ``[start, end)`` as pieces of ``request`` bytes, pipelined.

    Reads are asked for in batches of ``batch`` requests with ``readv`` and
    the next batch is always in flight while one is consumed, so the server
    never waits for us and at most two batches are buffered. Every request of
    a batch is sent before we wait for data: no helper thread is left running
    if the caller stops early.
    """
    offsets = [(offset, min(request, end - offset)) for offset in range(start, end, request)]
    batches = [offsets[i : i + batch] for i in range(0, len(offsets), batch)]

    def begin(index: int) -> tuple[bytes, Iterator[bytes]] | None:
        if index >= len(batches):
            return None
        reads = iter(handle.readv(batches[index]))
        return next(reads), reads

    current = begin(0)
    following = begin(1)
    index = 1
    while current is not None:
        first, rest = current
        yield first
        yield from rest
        index += 1
        current, following = following, begin(index)


def _tune(handle: paramiko.SFTPFile, request_size: int) -> None:
    """Use ``request_size`` for this file's read/write requests."""
    handle.MAX_REQUEST_SIZE = request_size


class _SFTPWriter(Writer):
    """Pipelined writes to a temporary file, renamed into place on commit.

    :param uri: the destination's URI (for :class:`OverwriteError`).
    :param overwrite: ``False``: commit with a non-overwriting rename.
    :param mtime: the modification (and access) time to give the file.
    """

    def __init__(
        self,
        connection: Connection,
        path: str,
        known_dirs: set[str],
        *,
        uri: str,
        overwrite: bool = True,
        mtime: float | None = None,
    ) -> None:
        self._path = path
        self._uri = uri
        self._overwrite = overwrite
        self._mtime = mtime
        parent, name = posixpath.split(path)
        self._tmp = posixpath.join(parent, f".{name}.{uuid.uuid4().hex[:12]}.fluke-part")
        self._context = connection.sftp()
        self._sftp = self._context.__enter__()
        self._finished = False
        try:
            with sftp_errors(uri):
                self._open(parent, known_dirs, connection.request_size)
        except BaseException:
            self._release()
            raise

    def _open(self, parent: str, known_dirs: set[str], request_size: int) -> None:
        """Create the parent directories (once) and open the temporary file."""
        if parent not in known_dirs:
            _mkdirs(self._sftp, parent)
            known_dirs.add(parent)
        try:
            self._file = self._sftp.open(self._tmp, "wb", bufsize=0)
        except OSError as error:
            if not _is_missing(error):
                raise
            known_dirs.discard(parent)  # removed behind our back: create it again
            _mkdirs(self._sftp, parent)
            self._file = self._sftp.open(self._tmp, "wb", bufsize=0)
        _tune(self._file, request_size)
        self._file.set_pipelined(True)

    def _release(self) -> None:
        if not self._finished:
            self._finished = True
            self._context.__exit__(None, None, None)

    def write(self, data: bytes) -> int:
        """Send ``data`` (pipelined: errors may surface at :meth:`commit`)."""
        with sftp_errors(self._uri):
            self._file.write(data)
        return len(data)

    def commit(self) -> None:
        """Flush, close, set the time, and rename the temporary file into place.

        :raises OverwriteError: opened with ``overwrite=False`` and a file
            exists at the destination (it is left untouched; the temporary
            file is removed).
        """
        try:
            with sftp_errors(self._uri):
                self._set_time()
                self._file.close()  # collects every pipelined write's status
                if self._overwrite:
                    self._replace()
                else:
                    self._rename_new()
        except BaseException:
            self._discard()
            raise
        finally:
            self._release()

    def _set_time(self) -> None:
        """Give the temporary file the requested atime/mtime (before it is visible).

        Sent on the open handle (``FSETSTAT``) right behind the pipelined
        writes, before the close: the server handles a channel's requests in
        order, so the time is set after the last write, and waiting for this
        one answer also collects the writes' (one round trip, not two).
        """
        if self._mtime is None:
            return
        seconds = _sftp_time(self._mtime)
        if seconds is None:
            logger.debug("mtime %r cannot be sent over SFTP; not set on %s", self._mtime, self._uri)
            return
        attributes = paramiko.SFTPAttributes()
        attributes.st_atime, attributes.st_mtime = seconds, seconds
        sftp: Any = self._sftp  # paramiko's request primitives (not in its stubs)
        number = sftp._async_request(type(None), CMD_FSETSTAT, self._file.handle, attributes)
        sftp._read_response(number)  # raises if the server refused it

    def _replace(self) -> None:
        """Rename over the destination (an existing file is replaced atomically)."""
        try:
            self._sftp.posix_rename(self._tmp, self._path)
        except OSError as error:
            if _is_missing(error):
                raise
            # server without posix-rename@openssh.com: SFTPv3 rename
            # refuses an existing target, so remove it first
            logger.debug("posix_rename unavailable (%s); using rename", error)
            try:
                self._sftp.remove(self._path)
            except OSError:
                pass
            self._sftp.rename(self._tmp, self._path)

    def _rename_new(self) -> None:
        """Rename to the destination only if nothing is there (``SSH_FXP_RENAME``).

        SFTP's plain rename fails when the target exists (OpenSSH does a
        ``link`` then ``unlink``: atomic, so of two racing writers exactly
        one succeeds). On failure, an existing target means OverwriteError.
        """
        try:
            self._sftp.rename(self._tmp, self._path)
        except OSError as error:
            if _is_missing(error):
                raise
            try:
                self._sftp.lstat(self._path)
            except OSError:
                raise error from None
            raise OverwriteError(self._uri) from None

    def abort(self) -> None:
        """Close and delete the temporary file."""
        try:
            self._discard()
        finally:
            self._release()

    def _discard(self) -> None:
        try:
            self._file.close()
        except Exception:
            logger.debug("closing %s after a failure failed", self._tmp, exc_info=True)
        try:
            self._sftp.remove(self._tmp)
        except Exception:
            logger.debug("removing %s failed", self._tmp, exc_info=True)


class SFTPBackend(StorageBackend):
    """One SFTP server reached through :class:`~fluke_ssh.auth.RemoteAuth`."""

    capabilities = StorageCapabilities(
        user_metadata=False, remote=True, max_concurrency=MAX_CHANNELS, preserves_mtime=True
    )

    def __init__(self, auth: RemoteAuth) -> None:
        self._auth = auth
        self.connection = Connection(auth)
        #: directories this backend created or saw, so writers skip ``mkdir -p``
        self._known_dirs: set[str] = set()

    # -- identity ------------------------------------------------------------

    def uri(self, path: str) -> str:
        host = self._auth.get_hostname()
        if ":" in host:  # IPv6 literal
            host = f"[{host}]"
        port = self._auth.get_port()
        netloc = host if port == DEFAULT_PORT else f"{host}:{port}"
        return f"sftp://{netloc}{path or _paths.SEP}"

    def is_transient(self, error: BaseException) -> bool:
        """A dropped or reset connection is retried (the connection reconnects).

        Refused logins and host-key problems are permanent.
        """
        if isinstance(
            error, (paramiko.AuthenticationException, paramiko.BadHostKeyException, FlukeError)
        ):
            return False
        if isinstance(error, (paramiko.SSHException, EOFError, socket.timeout)):
            return True
        return super().is_transient(error)

    # -- lifecycle -----------------------------------------------------------

    def connect(self) -> None:
        self.connection.connect()

    def close(self) -> None:
        self.connection.close()

    def is_connected(self) -> bool:
        return self.connection.is_connected()

    # -- paths ---------------------------------------------------------------

    @staticmethod
    def _entry(path: str, attrs: Any) -> Entry:
        mtime = float(attrs.st_mtime) if attrs.st_mtime is not None else None
        if stat_module.S_ISDIR(attrs.st_mode or 0):
            return Entry(_paths.as_dir_path(path), True, 0, mtime)
        return Entry(path, False, int(attrs.st_size or 0), mtime, version=_version(attrs))

    def stat(self, path: str) -> Entry | None:
        real = path.rstrip(_paths.SEP) or _paths.SEP
        with sftp_errors(self.uri(path)), self.connection.sftp() as sftp:
            try:
                attrs = sftp.stat(real)
            except OSError as error:
                if _is_missing(error):
                    return None
                raise
        return self._entry(real, attrs)

    def _link_target(self, sftp: paramiko.SFTPClient, path: str, root: str) -> Any | None:
        """Attributes of the file a link at ``path`` points to, if it is inside ``root``.

        ``None`` for dangling links, links to directories, and links whose
        target (fully resolved) lies outside ``root``.
        """
        try:
            real = sftp.normalize(path)
            attrs = sftp.stat(real)
        except OSError as error:
            logger.warning("skipping symbolic link %s: %s", path, error)
            return None
        if not real.startswith(root):
            logger.warning(
                "skipping symbolic link %s: its target %s is outside %s", path, real, root
            )
            return None
        if stat_module.S_ISDIR(attrs.st_mode or 0):
            logger.debug("not following symbolic link %s to directory %s", path, real)
            return None
        return attrs

    def _listdir(self, directory: str, root: str) -> list[tuple[str, Any]]:
        """``(full path, attrs)`` of the entries of ``directory`` (links resolved)."""
        with sftp_errors(self.uri(directory)), self.connection.sftp() as sftp:
            items = sftp.listdir_attr(directory)
            result = []
            for attrs in items:
                name = attrs.filename
                if name in (".", "..") or not name:
                    continue
                full = directory + name
                resolved: Any = attrs
                if stat_module.S_ISLNK(attrs.st_mode or 0):
                    resolved = self._link_target(sftp, full, root)
                    if resolved is None:
                        continue
                result.append((full, resolved))
        return result

    def list(self, path: str, recursive: bool) -> Iterator[Entry]:
        top = _paths.as_dir_path(path) or _paths.SEP
        with sftp_errors(self.uri(top)), self.connection.sftp() as sftp:
            root = _paths.as_dir_path(sftp.normalize(top))
        stack = [top]
        while stack:
            directory = stack.pop()
            for full, attrs in self._listdir(directory, root):
                entry = self._entry(full, attrs)
                if entry.is_dir:
                    if recursive:
                        stack.append(entry.path)
                        continue
                yield entry

    # -- reading -------------------------------------------------------------

    def _open_read(
        self, sftp: paramiko.SFTPClient, path: str, version: str | None, *, check: bool = True
    ) -> tuple[paramiko.SFTPFile, Any]:
        """Open ``path`` for reading; with ``version`` (and ``check``), check it on the handle.

        Return the handle and, when it was checked, its attributes. Callers
        reading no more than one request pass ``check=False`` and rely on
        their check after the read alone (one round trip less per small file).

        :raises SourceChangedError: ``version`` is given and the file is gone
            or no longer has it.
        """
        try:
            handle = sftp.open(path, "rb", bufsize=0)
        except OSError as error:
            if version is not None and _is_missing(error):
                raise SourceChangedError(self.uri(path), "vanished during the transfer") from None
            raise
        if version is None or not check:
            return handle, None
        try:
            attrs = self._check_version(handle, path, version)
        except BaseException:
            handle.close()
            raise
        return handle, attrs

    def _check_version(self, handle: paramiko.SFTPFile, path: str, version: str) -> Any:
        """``fstat`` the open ``handle``; raise SourceChangedError unless it has ``version``."""
        attrs = handle.stat()
        found = _version(attrs)
        if found != version:
            logger.debug("%s: version %s, expected %s", self.uri(path), found, version)
            raise SourceChangedError(self.uri(path))
        return attrs

    def read_range(self, path: str, start: int, end: int, *, version: str | None = None) -> bytes:
        """Bytes ``[start, end)``; with ``version``, checked after reading (and before, if long)."""
        size = self.connection.request_size
        pieces = [(offset, min(size, end - offset)) for offset in range(start, end, size)]
        with sftp_errors(self.uri(path)), self.connection.sftp() as sftp:
            handle, _ = self._open_read(sftp, path, version, check=len(pieces) > 1)
            complete = False
            try:
                _tune(handle, size)
                if len(pieces) == 1:
                    handle.seek(start)
                    data = handle.read(end - start)
                else:
                    data = b"".join(_pieces(handle, start, end, size, PREFETCH_REQUESTS))
                if version is not None:
                    self._check_version(handle, path, version)
                complete = True
            finally:
                self._finish(sftp, handle, complete)
        return data

    def iter_chunks(
        self, path: str, chunk_size: int, size: int | None = None, *, version: str | None = None
    ) -> Iterator[bytes]:
        """Stream the file; with ``version``, checked before reading and before the last chunk.

        The check before the last chunk is yielded means a consumer never
        holds the whole content of a file that changed while it was read. A
        file of known size that fits in one request is checked only then.
        """
        request = self.connection.request_size
        small = size is not None and size <= request
        with sftp_errors(self.uri(path)), self.connection.sftp() as sftp:
            handle, attrs = self._open_read(sftp, path, version, check=not small)
            complete = False
            try:
                _tune(handle, request)
                size_known = size is not None or version is not None
                if size is None:
                    size = int((attrs if attrs is not None else handle.stat()).st_size or 0)
                verified = False
                sent = 0
                stream: Iterator[bytes] = _pieces(handle, 0, size, request, PREFETCH_REQUESTS)
                if not size_known:  # then read on to the end, whatever the size now
                    stream = itertools.chain(stream, iter(lambda: handle.read(request), b""))
                parts: list[bytes] = []
                buffered = 0
                for piece in stream:
                    if not piece:
                        break
                    parts.append(piece)
                    buffered += len(piece)
                    if buffered >= chunk_size:
                        data = parts[0] if len(parts) == 1 else b"".join(parts)
                        offset = 0
                        while buffered - offset >= chunk_size:
                            chunk = data[offset : offset + chunk_size]
                            offset += chunk_size
                            sent += chunk_size
                            if version is not None and not verified and sent >= size:
                                self._check_version(handle, path, version)
                                verified = True
                            yield chunk
                        parts = [data[offset:]] if offset < buffered else []
                        buffered -= offset
                if version is not None and not verified:
                    self._check_version(handle, path, version)
                if parts:
                    yield b"".join(parts)
                complete = True
            finally:
                self._finish(sftp, handle, complete)

    @staticmethod
    def _finish(sftp: paramiko.SFTPClient, handle: paramiko.SFTPFile, complete: bool) -> None:
        """Close ``handle``; after an incomplete read, drop the whole channel.

        Prefetch requests may still be in flight: closing the channel stops
        them and keeps their answers away from the channel's next user.
        """
        if complete:
            handle.close()
            return
        try:
            sftp.close()
        except Exception:  # pragma: no cover - best effort
            logger.debug("closing an SFTP channel failed", exc_info=True)

    # -- writing -------------------------------------------------------------

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
        return _SFTPWriter(
            self.connection,
            path,
            self._known_dirs,
            uri=self.uri(path),
            overwrite=overwrite,
            mtime=mtime,
        )

    def mkdir(self, path: str) -> None:
        with sftp_errors(self.uri(path)), self.connection.sftp() as sftp:
            _mkdirs(sftp, path or _paths.SEP)

    def delete(self, path: str) -> None:
        with sftp_errors(self.uri(path)), self.connection.sftp() as sftp:
            sftp.remove(path)

    def cleanup_leftovers(self, prefix: str, *, since: float, owned: Callable[[str], bool]) -> int:
        """Remove the ``.fluke-part`` files under ``prefix`` (see the base class).

        They are what a writer killed before its commit or abort leaves
        (``.<name>.<12 hex>.fluke-part`` beside the destination); nothing else
        is touched and links are not followed. ``since`` allows a minute of
        clock skew between this machine and the server.
        """
        removed = 0
        stack = [prefix.rstrip(_paths.SEP) or _paths.SEP]
        with self.connection.sftp() as sftp:
            while stack:
                directory = stack.pop()
                try:
                    items = sftp.listdir_attr(directory)
                except OSError as error:
                    if _is_missing(error):
                        continue
                    raise
                for attrs in items:
                    full = posixpath.join(directory, attrs.filename)
                    if stat_module.S_ISDIR(attrs.st_mode or 0):
                        stack.append(full)
                    elif (
                        (found := _TEMPORARY.fullmatch(attrs.filename))
                        and owned(posixpath.join(directory, found["name"]))
                        and (attrs.st_mtime or 0) >= since - 60
                    ):
                        sftp.remove(full)
                        removed += 1
        return removed

    def remove_dir(self, path: str) -> None:
        """Remove ``path`` and the (now empty) directories below it; links are not followed."""
        with sftp_errors(self.uri(path)), self.connection.sftp() as sftp:
            self._remove_empty_tree(sftp, path.rstrip("/") or "/")

    def _remove_empty_tree(self, sftp: Any, path: str) -> None:
        for attributes in sftp.listdir_attr(path):
            if stat_module.S_ISDIR(attributes.st_mode or 0):
                self._remove_empty_tree(sftp, f"{path}/{attributes.filename}")
        try:
            sftp.rmdir(path)
        except OSError:
            logger.debug("not removing %s: not empty", path)
