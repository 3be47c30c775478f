"""The backend protocols: the few primitives a plugin implements.

A storage backend speaks to *one* storage location (a local filesystem, one
bucket, one container, one SFTP host). A queue backend speaks to one queue.
Everything users see (the File/Dir/Queue API, caching, metadata sharing,
listing semantics, transfers) is written once in the core on top of these.

Paths handed to a storage backend are already normalised by the core:

* the separator is always ``/``;
* a file path never ends with ``/``;
* a directory path is ``""`` (the root of a bucket/container) or ends with ``/``;
* object stores use keys without a leading ``/``; filesystems use absolute paths.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import NamedTuple

__all__ = [
    "Checksum",
    "Entry",
    "StorageCapabilities",
    "StorageBackend",
    "Writer",
    "PartWriter",
    "QueueCapabilities",
    "QueueBackend",
    "ReceivedMessage",
]


class Checksum(NamedTuple):
    """A content checksum as a backend knows it natively.

    :param algorithm: ``"md5"``, ``"crc32c"``, ``"sha256"``, or an opaque
        backend-specific name such as ``"s3-etag"``.
    :param value: the checksum in lower-case hexadecimal.
    """

    algorithm: str
    value: str


class Entry(NamedTuple):
    """One item of a listing or the answer of :meth:`StorageBackend.stat`.

    :param path: full backend path (directories end with ``/``).
    :param is_dir: whether this is a directory (prefix, marker, or real dir).
    :param size: size in bytes (``0`` for directories).
    :param mtime: modification time as a POSIX timestamp, when known.
    :param checksum: native checksum, when the listing carries one.
    :param version: an opaque token that changes whenever the file's content
        changes (an S3/Azure ETag, a GCS generation), when the backend has
        one. The transfer engine hands it back as a precondition
        (:meth:`StorageBackend.read_range`, :meth:`StorageBackend.copy_within`)
        so that a source replaced mid-transfer fails that file instead of
        producing a mixed or unverified copy.
    """

    path: str
    is_dir: bool
    size: int = 0
    mtime: float | None = None
    checksum: Checksum | None = None
    version: str | None = None


class StorageCapabilities(NamedTuple):
    """What a storage backend can do beyond the required primitives.

    :param user_metadata: objects carry user metadata (``get_metadata`` returns it
        and writers store what they are given).
    :param server_side_copy: :meth:`StorageBackend.copy_within` is implemented.
    :param native_checksum: algorithm of :meth:`StorageBackend.checksum`, or ``None``.
    :param directory_markers: an object store where directories are prefixes
        and optional zero-byte ``dir/`` markers.
    :param remote: the backend talks over a network (caching, ``open``/``close``
        and ``ResourceWarning`` apply).
    :param sorted_listing: :meth:`StorageBackend.list` yields entries already
        sorted by path, so the core does not need to sort.
    :param max_concurrency: how many concurrent operations are sensible.
    :param min_part_size: smallest part a chunked write accepts (``None``: any).
    :param max_part_size: largest part a chunked write accepts (``None``: any).
    :param part_size_multiple: parts must be a multiple of this (``None``: any).
    :param preserves_mtime: writers set the new file's modification time to
        the ``mtime`` they are given, so that a later ``skip_identical`` can
        compare times (filesystems: local disk, SFTP).
    :param atomic_no_clobber: ``overwrite=False`` commits are enforced by the
        service against every client (a no-clobber rename, ``If-None-Match``).
        ``False``: the commit is a check then a rename, atomic only between
        Fluke writers of one process; another client may write in between
        (fluke-fsspec declares it for FTP and fsspec filesystems it does not know).
    """

    user_metadata: bool = False
    server_side_copy: bool = False
    native_checksum: str | None = None
    directory_markers: bool = False
    remote: bool = True
    sorted_listing: bool = False
    max_concurrency: int = 8
    min_part_size: int | None = None
    max_part_size: int | None = None
    part_size_multiple: int | None = None
    preserves_mtime: bool = False
    atomic_no_clobber: bool = True


class Writer(abc.ABC):
    """A streaming write to one destination path.

    Nothing is visible under the destination path until :meth:`commit`
    returns; :meth:`abort` discards everything written so far (temporary
    file, uncommitted blocks, multipart upload). Exactly one of ``commit`` and
    ``abort`` is called. As a context manager, it commits on success and
    aborts on an exception.

    A writer opened with ``overwrite=False`` commits *conditionally*: when a
    file already exists at the destination at commit time, ``commit`` raises
    :class:`~fluke.exceptions.OverwriteError`, leaves that file untouched and
    discards what was written (a no-clobber link/rename on filesystems,
    ``If-None-Match: *`` or ``ifGenerationMatch=0`` on object stores).
    """

    @property
    def buffer_size(self) -> int:
        """Most bytes this writer keeps in memory at once, beyond the ``data`` of a call.

        What it holds between calls and while sending: a chunk it fills
        before uploading, the copy it sends, blocks or parts it uploads in
        the background. The transfer engine reserves this much of its memory
        budget for the writer's whole life, so declare the true peak (bounded
        by the ``size_hint`` the writer was opened with, when that is smaller).
        The default, ``0``, fits a writer that passes what it is given
        straight through (a file, a pipelined channel).
        """
        return 0

    @abc.abstractmethod
    def write(self, data: bytes) -> int:
        """Append ``data``; return the number of bytes accepted."""

    @abc.abstractmethod
    def commit(self) -> Checksum | None:
        """Make the written content visible under the destination path.

        Return the stored object's native checksum when the service's answer
        carries it (an ETag, a Content-MD5, a crc32c), so the engine can verify
        the upload without another request; else ``None``.

        :raises OverwriteError: opened with ``overwrite=False`` and a file
            exists at the destination (nothing was replaced).
        """

    @abc.abstractmethod
    def abort(self) -> None:
        """Discard the written content; leave nothing behind."""

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


class PartWriter(abc.ABC):
    """A write of one file in parts sent concurrently, in any order.

    Used by the transfer engine for large files (multipart uploads, staged
    blocks, positional writes to a temporary file). As with :class:`Writer`,
    nothing is visible under the destination path until :meth:`commit`, and
    :meth:`abort` leaves nothing behind; ``overwrite=False`` makes the commit
    conditional in the same way. ``write_part`` must be thread-safe.
    """

    @property
    def buffer_per_part(self) -> int:
        """Bytes this writer holds in memory for each part in flight, beyond the part.

        A copy of the part it sends (re-encoded, encrypted, joined), for
        instance. The transfer engine reserves each part's size plus this
        from its memory budget while the part is read and written. The
        default, ``0``, fits a writer that sends the part's bytes as given.
        """
        return 0

    @abc.abstractmethod
    def write_part(self, number: int, offset: int, data: bytes) -> None:
        """Store part ``number`` (1-based) holding bytes ``[offset, offset+len(data))``."""

    @abc.abstractmethod
    def commit(self) -> Checksum | None:
        """Assemble the parts and make the file visible under its path.

        Return the stored object's native checksum if the answer carries it.

        :raises OverwriteError: opened with ``overwrite=False`` and a file
            exists at the destination (nothing was replaced).
        """

    @abc.abstractmethod
    def abort(self) -> None:
        """Discard every part; leave nothing behind."""


class StorageBackend(abc.ABC):
    """Primitive operations on one storage location.

    Implementations must be safe to call from several threads at once (the
    transfer engine does), connect lazily on first use, and raise the
    exceptions of :mod:`fluke.exceptions` where they apply.
    """

    capabilities: StorageCapabilities = StorageCapabilities()

    # -- identity ----------------------------------------------------------

    @abc.abstractmethod
    def uri(self, path: str) -> str:
        """The URI of ``path`` (``s3://bucket/key``, ``file:///abs``, ...)."""

    def copy_domain(self) -> str | None:
        """A key equal for two backends iff :meth:`copy_within` works between them.

        ``None`` (the default) disables server-side copy.
        """
        return None

    # -- lifecycle ---------------------------------------------------------

    def connect(self) -> None:  # noqa: B027 - optional hook
        """Open the connection now (backends also connect lazily)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the connection; a later call reconnects."""

    def is_connected(self) -> bool:
        """Whether a connection is currently held."""
        return False

    # -- metadata about paths ---------------------------------------------

    @abc.abstractmethod
    def stat(self, path: str) -> Entry | None:
        """Describe ``path`` (given without a trailing ``/``), or ``None``.

        Returns a file entry if a file exists there, else a directory entry if
        a directory exists there (on object stores: a marker or any key under
        ``path + "/"``), else ``None``. ``stat("")`` is the root.
        """

    @abc.abstractmethod
    def list(self, path: str, recursive: bool) -> Iterator[Entry]:
        """Stream the entries under directory ``path``.

        Not recursive: the files and subdirectories directly inside (each
        subdirectory once, its path ending with ``/``). Recursive: every file
        below, at any depth, and no directory entries. Object stores never
        yield their own ``dir/`` markers as files.
        """

    def list_paths(self, path: str, recursive: bool) -> Iterator[str]:
        """Like :meth:`list` but only paths; override when that is cheaper."""
        return (entry.path for entry in self.list(path, recursive))

    # -- reading -----------------------------------------------------------

    @abc.abstractmethod
    def read_range(self, path: str, start: int, end: int, *, version: str | None = None) -> bytes:
        """Bytes ``[start, end)`` of file ``path`` (``0 <= start < end <= size``).

        :param version: when given (an :attr:`Entry.version` this backend
            listed), read only if the file still has that version (``If-Match``,
            ``ifGenerationMatch``) and raise
            :class:`~fluke.exceptions.SourceChangedError` otherwise.
        """

    def iter_chunks(
        self, path: str, chunk_size: int, size: int | None = None, *, version: str | None = None
    ) -> Iterator[bytes]:
        """Stream the whole file in chunks of at most ``chunk_size`` bytes.

        The default issues ranged reads; backends override it with a single
        streaming download. ``version`` is a precondition as for
        :meth:`read_range`.
        """
        if size is None:
            entry = self.stat(path)
            size = entry.size if entry is not None else 0
        offset = 0
        while offset < size:
            end = min(offset + chunk_size, size)
            yield self.read_range(path, offset, end, version=version)
            offset = end

    # -- writing -----------------------------------------------------------

    @abc.abstractmethod
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
        """Start a write to file ``path`` (its parent directories are created).

        :param metadata: user metadata to store with the file (ignored when
            the backend has no ``user_metadata`` capability).
        :param part_size: the size of the parts/blocks/chunks to upload in;
            already validated by :meth:`validate_part_size`.
        :param size_hint: total size, when known, to choose single-shot vs.
            multipart uploads.
        :param overwrite: ``False`` makes :meth:`Writer.commit` conditional:
            it raises :class:`~fluke.exceptions.OverwriteError` instead of
            replacing a file that exists at commit time.
        :param mtime: the modification time to give the new file, on backends
            with the ``preserves_mtime`` capability (ignored elsewhere).
        """

    def open_part_writer(
        self,
        path: str,
        *,
        size: int,
        part_size: int,
        metadata: Mapping[str, str] | None = None,
        overwrite: bool = True,
        mtime: float | None = None,
    ) -> PartWriter | None:
        """Start a concurrent write of ``size`` bytes in parts of ``part_size``.

        Return ``None`` (the default) when the backend cannot accept parts
        out of order; the engine then streams the file through :meth:`open_writer`.
        ``overwrite`` and ``mtime`` are as for :meth:`open_writer`.
        """
        return None

    def is_transient(self, error: BaseException) -> bool:
        """Whether ``error`` is worth retrying (timeouts, resets, 5xx, throttling).

        The default recognises the standard library's connection and timeout
        errors; backends add their SDK's transient errors.
        """
        return isinstance(error, (ConnectionError, TimeoutError))

    def validate_part_size(self, part_size: int) -> None:
        """Raise :class:`~fluke.exceptions.InvalidChunkSizeError` if unacceptable.

        The default checks the limits in :attr:`capabilities`.
        """
        from fluke._paths import check_part_size

        check_part_size(part_size, self.capabilities)

    @abc.abstractmethod
    def mkdir(self, path: str) -> None:
        """Create directory ``path`` (and parents); a marker on object stores."""

    @abc.abstractmethod
    def delete(self, path: str) -> None:
        """Delete file ``path`` (not a directory)."""

    def remove_dir(self, path: str) -> None:
        """Remove directory ``path`` once its files are gone (a marker, an empty dir).

        The default does nothing (object stores whose prefixes vanish by themselves).
        """

    def set_metadata(self, path: str, metadata: Mapping[str, str]) -> None:
        """Replace the user metadata of existing file ``path``.

        The default does nothing (backends without user metadata).
        """

    def cleanup_leftovers(self, prefix: str, *, since: float, owned: Callable[[str], bool]) -> int:
        """Remove what interrupted writes under directory ``prefix`` left behind.

        A transfer killed mid-copy may leave its writers' temporary state:
        ``.fluke-part`` files on SFTP and local disk, unfinished multipart
        uploads on S3. A resumed journal calls this for its destination:
        remove only leftovers of writes to a destination path for which
        ``owned(path)`` is true (a file the killed job planned and did not
        commit) and, where the backend knows when they were started, started
        at or after ``since`` (POSIX time; allow for clock skew). Never a
        finished file. Return how many were removed. The default does nothing
        (backends whose writers leave nothing, or whose leftovers expire).
        """
        return 0

    # -- optional extras ---------------------------------------------------

    def get_metadata(self, path: str) -> dict[str, str]:
        """The user metadata stored with file ``path`` (``{}`` when none)."""
        return {}

    def checksum(self, path: str) -> Checksum | None:
        """The native checksum of file ``path``, if the backend has one."""
        return None

    def copy_within(
        self,
        src_path: str,
        dst: StorageBackend,
        dst_path: str,
        *,
        metadata: Mapping[str, str] | None = None,
        size: int | None = None,
        version: str | None = None,
        overwrite: bool = True,
        mtime: float | None = None,
    ) -> Checksum | None:
        """Server-side copy to ``dst`` (same :meth:`copy_domain`); no bytes via us.

        The copy must be all or nothing: the destination is either untouched
        or holds the whole source.

        :param metadata: the copy's user metadata (none when ``None``, as for
            a streamed copy).
        :param size: the source's size when the caller knows it (saves a request).
        :param version: copy only if the source still has this
            :attr:`Entry.version` (``CopySourceIfMatch``,
            ``ifSourceGenerationMatch``, source ``If-Match``); else raise
            :class:`~fluke.exceptions.SourceChangedError` and copy nothing.
        :param overwrite: ``False``: raise
            :class:`~fluke.exceptions.OverwriteError` rather than replace an
            existing destination file (conditionally, on the service).
        :param mtime: as for :meth:`open_writer`.
        :return: the copy's native checksum when the service's answer carries
            it (the engine then verifies without another request), else ``None``.
        """
        raise NotImplementedError


class QueueCapabilities(NamedTuple):
    """What a queue service can do.

    :param max_receive: most messages one receive call may return.
    :param long_polling: receive can wait server-side for messages.
    :param max_message_bytes: largest message accepted, or ``None``.
    """

    max_receive: int = 10
    long_polling: bool = False
    max_message_bytes: int | None = None


class ReceivedMessage(NamedTuple):
    """A message handed out by :meth:`QueueBackend.receive`.

    :param body: the message text.
    :param receipt: opaque handle needed to delete it or change its visibility.
    :param message_id: the service's id of the message.
    :param extra: service-specific message attributes (SQS message attributes).
    :param delivery_count: how many times the message was received, this
        delivery included (SQS ``ApproximateReceiveCount``, Azure
        ``dequeue_count``); ``0`` when the service does not say.
    """

    body: str
    receipt: str
    message_id: str = ""
    extra: Mapping[str, str] | None = None
    delivery_count: int = 0


class QueueBackend(abc.ABC):
    """Primitive operations on one message queue."""

    capabilities: QueueCapabilities = QueueCapabilities()

    @abc.abstractmethod
    def name(self) -> str:
        """The queue's name."""

    def connect(self) -> None:  # noqa: B027 - optional hook
        """Open the connection now (backends also connect lazily)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the connection."""

    def max_message_bytes(self) -> int | None:
        """The largest message this queue accepts, in encoded bytes."""
        return self.capabilities.max_message_bytes

    def encoded_size(self, body: str) -> int:
        """The size ``body`` will have on the wire (for the size check)."""
        return len(body.encode("utf-8"))

    @abc.abstractmethod
    def send(self, body: str) -> None:
        """Send one message; raise on failure."""

    @abc.abstractmethod
    def receive(
        self, max_messages: int, *, wait_seconds: float, visibility_timeout: int | None
    ) -> list[ReceivedMessage]:
        """Receive up to ``max_messages`` (at most ``capabilities.max_receive``).

        Received messages are hidden from other receivers until deleted or
        until their visibility timeout expires. ``wait_seconds`` is how long
        a service with long polling may wait for messages to arrive.
        """

    @abc.abstractmethod
    def delete(self, messages: Sequence[ReceivedMessage]) -> list[ReceivedMessage]:
        """Delete received messages; return those that could *not* be deleted."""

    @abc.abstractmethod
    def change_visibility(self, message: ReceivedMessage, timeout: int) -> None:
        """Hide ``message`` for another ``timeout`` seconds (``0``: release it)."""

    @abc.abstractmethod
    def peek(self, max_messages: int) -> list[str]:
        """Up to ``max_messages`` visible messages, without hiding or deleting them."""

    @abc.abstractmethod
    def count(self) -> int:
        """Approximate number of messages, visible and in flight."""

    @abc.abstractmethod
    def purge(self) -> None:
        """Delete every message."""

    # -- optional: message lifecycle, dead letters, claim-check (issue 13) ---

    def default_visibility_timeout(self) -> int:
        """Seconds a message received without ``visibility_timeout`` stays hidden."""
        return 30

    def send_pointer(self, pointer: str, payload_size: int) -> None:
        """Send a claim-check pointer to a payload of ``payload_size`` bytes.

        The default sends ``pointer`` as a plain message; SQS adds the
        ``ExtendedPayloadSize`` attribute the AWS extended clients look for.
        """
        self.send(pointer)

    def offload_threshold(self) -> int | None:
        """The encoded size above which a message goes through the claim-check.

        The default is :meth:`max_message_bytes`; ``None`` never offloads.
        """
        return self.max_message_bytes()

    def forget(self, message: ReceivedMessage) -> None:  # noqa: B027 - optional hook
        """Drop any state kept for ``message`` (called once it is nacked)."""

    def native_dead_letter(self) -> str | None:
        """The dead-letter queue the *service* enforces (SQS ``RedrivePolicy``), if any."""
        return None

    def sibling(self, name: str) -> QueueBackend:
        """A backend for queue ``name`` on the same service and account, created if missing.

        Used for the default dead-letter queue ``<queue>-poison``.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot open other queues")
