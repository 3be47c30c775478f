"""The exceptions Fluke raises (API.md's ``fluke.exceptions``).

Every message names the offending path or value and never contains a secret.
"""

from __future__ import annotations

import errno as _errno
import os
from typing import Any, TypeVar

__all__ = [
    "FlukeError",
    "InvalidPathError",
    "PathNotFoundError",
    "PermissionDeniedError",
    "AuthenticationError",
    "InvalidDirectoryError",
    "InvalidFileError",
    "NonStringMetadataKeyError",
    "NonStringMetadataValueError",
    "InvalidMetadataError",
    "BucketNotFoundError",
    "InvalidBucketNameError",
    "ContainerNotFoundError",
    "OverwriteError",
    "InvalidChunkSizeError",
    "PluginError",
    "MessageTooLargeError",
    "InvalidMessageError",
    "InvalidEventError",
    "MessageSettledError",
    "LeaseLostError",
    "PayloadNotFoundError",
    "TransferError",
    "SourceChangedError",
    "UnsafePathError",
]


_MISSING = "does not exist"
_OS_FIELDS = ("errno", "strerror", "filename")
_E = TypeVar("_E", bound=BaseException)


def _blank(cls: type[_E]) -> _E:
    """A new, uninitialised ``cls`` (built-in ``OSError`` subclasses need its ``__new__``)."""
    base: Any = OSError if issubclass(cls, OSError) else Exception
    error: _E = base.__new__(cls)
    return error


def _restore(cls: type[FlukeError], args: tuple[Any, ...], state: dict[str, Any]) -> FlukeError:
    """Rebuild a pickled :class:`FlukeError` without calling its ``__init__``."""
    error = _blank(cls)
    error.args = args
    for name, value in state.items():
        setattr(error, name, value)
    return error


class FlukeError(Exception):
    """Base class of every exception raised by Fluke.

    ``str(error)`` is always the one-line message, also for the errors that
    are built-in ``OSError`` subclasses too (``FileNotFoundError``,
    ``PermissionError``), and every error pickles (to and from worker
    processes) with its message and attributes.
    """

    def __str__(self) -> str:
        if len(self.args) == 1:
            return str(self.args[0])
        return super().__str__()

    def __reduce__(self) -> tuple[Any, ...]:
        state = dict(self.__dict__)
        if isinstance(self, OSError):
            state.update((name, getattr(self, name)) for name in _OS_FIELDS)
        return (_restore, (type(self), self.args, state))


def _as_os_error(error: OSError, code: int, path: str) -> None:
    """Give ``error`` the ``errno``/``strerror``/``filename`` of a built-in OSError."""
    error.errno = code
    error.strerror = os.strerror(code)
    error.filename = path


class InvalidPathError(FlukeError, ValueError):
    """A path does not exist, or is not acceptable where it was given.

    Constructed without a ``reason`` (``InvalidPathError(path)``: the path
    does not exist), the error is a :class:`PathNotFoundError`, which is also
    a built-in :class:`FileNotFoundError`. With a reason (a malformed URL, a
    path escaping its directory, ...) it is not.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> InvalidPathError:
        reason = args[1] if len(args) > 1 else kwargs.get("reason", _MISSING)
        chosen: type[InvalidPathError] = cls
        if cls is InvalidPathError and reason == _MISSING:
            chosen = PathNotFoundError
        return _blank(chosen)

    def __init__(self, path: str, reason: str = _MISSING) -> None:
        self.path = path
        super().__init__(f"Path {path!r} {reason}.")


class PathNotFoundError(InvalidPathError, FileNotFoundError):
    """A file or directory does not exist.

    Both an :class:`InvalidPathError` (what Fluke always raised) and a
    built-in :class:`FileNotFoundError` (``errno`` ``ENOENT``, ``filename``
    the path).
    """

    def __init__(self, path: str, reason: str = _MISSING) -> None:
        super().__init__(path, reason)
        _as_os_error(self, _errno.ENOENT, path)


class PermissionDeniedError(FlukeError, PermissionError):
    """The service refused an operation on a path: the credentials lack the right.

    Also a built-in :class:`PermissionError` (``errno`` ``EACCES``). The
    original SDK error is its ``__cause__``.

    :param path: the path, URI, bucket or container the operation was on.
    :param reason: the service's error code or a short explanation.
    """

    #: the message, formatted with ``path`` and ``detail`` (`` (reason)`` or empty)
    template = "Permission denied for {path!r}{detail}."

    def __init__(self, path: str, reason: str | None = None) -> None:
        self.path = path
        self.reason = reason
        detail = f" ({reason})" if reason else ""
        super().__init__(self.template.format(path=path, detail=detail))
        _as_os_error(self, _errno.EACCES, path)


class AuthenticationError(PermissionDeniedError):
    """The credentials were refused: wrong, expired or malformed (never shown).

    A :class:`PermissionDeniedError` (so also a :class:`PermissionError`):
    ``except PermissionError`` catches every refusal, ``except
    AuthenticationError`` only the ones that need other credentials.

    :param path: the path, URI, bucket or container the request was for.
    :param reason: the service's error code or a short explanation.
    """

    template = "Authentication failed for {path!r}{detail}: check the credentials."


class InvalidDirectoryError(FlukeError, ValueError):
    """A directory was expected, but the path points to a file."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"Path {path!r} is not a directory.")


class InvalidFileError(FlukeError, ValueError):
    """A file was expected, but the path points to a directory."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"Path {path!r} is not a file.")


class NonStringMetadataKeyError(FlukeError, TypeError):
    """A metadata key is not a ``str``."""

    def __init__(self, key: object) -> None:
        self.key = key
        super().__init__(f"Metadata key {key!r} is of type {type(key).__name__}, not str.")


class NonStringMetadataValueError(FlukeError, TypeError):
    """A metadata value is not a ``str``."""

    def __init__(self, value: object, key: str | None = None) -> None:
        self.value = value
        where = f" (key {key!r})" if key is not None else ""
        super().__init__(
            f"Metadata value {value!r}{where} is of type {type(value).__name__}, not str."
        )


class InvalidMetadataError(FlukeError, ValueError):
    """A metadata key or value the destination cannot store (checked before sending)."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        super().__init__(f"Metadata key {key!r} {reason}.")


class BucketNotFoundError(FlukeError, LookupError, FileNotFoundError):
    """A bucket (S3, GCS) does not exist.

    Also a built-in :class:`FileNotFoundError`. A bucket the credentials may
    not access is a :class:`PermissionDeniedError` instead.
    """

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        super().__init__(f"Bucket {bucket!r} does not exist.")
        _as_os_error(self, _errno.ENOENT, bucket)


class InvalidBucketNameError(BucketNotFoundError, InvalidPathError):
    """A bucket name the service does not allow, so no such bucket can exist.

    Raised by each provider's own name check (S3 and GCS rules differ) before
    any request is sent. Both a :class:`BucketNotFoundError` (so a
    :class:`FileNotFoundError`) and an :class:`InvalidPathError` (the CLI
    exits with 2 either way).

    :param bucket: the name given (shown by its ``repr``; need not be a ``str``).
    :param rule: the naming rule it breaks, e.g. ``"GCS bucket names are ..."``.
    """

    def __init__(self, bucket: object, rule: str) -> None:
        self.bucket = self.path = str(bucket)
        self.rule = rule
        Exception.__init__(self, f"Bucket {bucket!r} cannot exist: {rule}.")
        _as_os_error(self, _errno.ENOENT, self.bucket)


class ContainerNotFoundError(FlukeError, LookupError, FileNotFoundError):
    """An Azure Blob container does not exist.

    Also a built-in :class:`FileNotFoundError`. A container the credentials
    may not access is a :class:`PermissionDeniedError` instead.
    """

    def __init__(self, container: str) -> None:
        self.container = container
        super().__init__(f"Container {container!r} does not exist.")
        _as_os_error(self, _errno.ENOENT, container)


class OverwriteError(FlukeError, FileExistsError):
    """A transfer would overwrite an existing file while ``overwrite=False``."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"File {path!r} already exists and overwrite is False.")
        _as_os_error(self, _errno.EEXIST, path)


class InvalidChunkSizeError(FlukeError, ValueError):
    """A chunk size the destination cannot accept."""

    def __init__(self, chunk_size: object, requirement: str) -> None:
        self.chunk_size = chunk_size
        super().__init__(f"Invalid chunk size {chunk_size!r}: {requirement}.")


class PluginError(FlukeError, RuntimeError):
    """Plugins are in conflict (two claim the same name) or malformed."""


class MessageTooLargeError(FlukeError, ValueError):
    """A queue message exceeds the size the queue accepts."""

    def __init__(self, size: int, limit: int, queue: str) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"Message of {size} bytes exceeds the limit of {limit} bytes of queue {queue!r}."
        )


class InvalidMessageError(FlukeError, ValueError):
    """A queue message is not text a queue can carry (e.g. not valid UTF-8)."""

    def __init__(self, message: str, reason: str) -> None:
        shown = message if len(message) <= 60 else message[:57] + "..."
        super().__init__(f"Message {shown!r} {reason}.")


class InvalidEventError(FlukeError, ValueError):
    """A queue message is not a storage event ``fluke.events`` can decode."""

    def __init__(self, body: str, reason: str) -> None:
        self.body = body
        shown = body if len(body) <= 80 else body[:77] + "..."
        super().__init__(f"Message {shown!r} is not a storage event: {reason}.")


class MessageSettledError(FlukeError, RuntimeError):
    """A received message was already acked or nacked; it cannot be settled again."""

    def __init__(self, message_id: str, how: str) -> None:
        self.message_id = message_id
        super().__init__(f"Message {message_id!r} was already {how}.")


class LeaseLostError(FlukeError, RuntimeError):
    """A received message's lease is gone (its visibility timeout expired and
    the queue handed it out again, or it was deleted): it cannot be acked,
    nacked or extended, and will be (or was) delivered again."""

    def __init__(self, message_id: str, queue: str, what: str) -> None:
        self.message_id = message_id
        super().__init__(
            f"Cannot {what} message {message_id!r} of queue {queue!r}: its lease is lost "
            "(the visibility timeout expired or it was settled elsewhere)."
        )


class PayloadNotFoundError(FlukeError, LookupError):
    """A claim-check message points at a stored payload that cannot be read."""

    def __init__(self, message_id: str, where: str, reason: str = "does not exist") -> None:
        self.message_id = message_id
        self.where = where
        super().__init__(f"Payload {where!r} of message {message_id!r} {reason}.")


class TransferError(FlukeError, RuntimeError):
    """A single file could not be transferred (size/checksum mismatch, ...)."""


class SourceChangedError(TransferError):
    """A source file changed (was replaced, grew, shrank) while it was being copied.

    The copy is abandoned before anything becomes visible at the destination.
    """

    def __init__(self, path: str, detail: str = "changed during the transfer") -> None:
        self.path = path
        super().__init__(f"Source {path!r} {detail}; nothing was written.")


class UnsafePathError(InvalidPathError):
    """A relative path would escape the directory it is relative to."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "escapes its directory")
