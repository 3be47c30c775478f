"""The exceptions Fluke raises (API.md's ``fluke.exceptions``).

Every message names the offending path or value and never contains a secret.
"""

from __future__ import annotations

__all__ = [
    "FlukeError",
    "InvalidPathError",
    "InvalidDirectoryError",
    "InvalidFileError",
    "NonStringMetadataKeyError",
    "NonStringMetadataValueError",
    "InvalidMetadataError",
    "BucketNotFoundError",
    "ContainerNotFoundError",
    "OverwriteError",
    "InvalidChunkSizeError",
    "PluginError",
    "MessageTooLargeError",
    "InvalidMessageError",
    "InvalidEventError",
    "TransferError",
    "SourceChangedError",
    "UnsafePathError",
]


class FlukeError(Exception):
    """Base class of every exception raised by Fluke."""


class InvalidPathError(FlukeError, ValueError):
    """A path does not exist, or is not acceptable where it was given."""

    def __init__(self, path: str, reason: str = "does not exist") -> None:
        self.path = path
        super().__init__(f"Path {path!r} {reason}.")


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


class BucketNotFoundError(FlukeError, LookupError):
    """A bucket (S3, GCS) does not exist or cannot be accessed."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket
        super().__init__(f"Bucket {bucket!r} does not exist or cannot be accessed.")


class ContainerNotFoundError(FlukeError, LookupError):
    """An Azure Blob container does not exist or cannot be accessed."""

    def __init__(self, container: str) -> None:
        self.container = container
        super().__init__(f"Container {container!r} does not exist or cannot be accessed.")


class OverwriteError(FlukeError, FileExistsError):
    """A transfer would overwrite an existing file while ``overwrite=False``."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"File {path!r} already exists and overwrite is False.")


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
