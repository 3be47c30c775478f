"""Claim-check: message bodies over a queue's limit live in a Dir.

The message then carries a pointer in the wire format of the AWS SQS
extended clients (Java ``amazon-sqs-java-extended-client-lib`` and Python
``amazon-sqs-extended-client``)::

    ["software.amazon.payloadoffloading.PayloadS3Pointer",
     {"s3BucketName": "<bucket>", "s3Key": "<key>"}]

so those clients read Fluke's messages and Fluke reads theirs. The same
format is used on every queue backend. ``s3BucketName`` is the Dir's bucket
(S3, GCS) or container (Azure), or the host part of its URI elsewhere (empty
for local disk); ``s3Key`` is the payload's full path in that bucket.

For safety, Fluke reads and deletes payloads only *inside* the configured
``large_payloads`` Dir: a pointer elsewhere is a per-message
:class:`~fluke.exceptions.PayloadNotFoundError`, never a read or a delete of
an arbitrary object.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import NamedTuple
from urllib.parse import urlsplit

from fluke._dir import Dir
from fluke.backend import StorageBackend
from fluke.exceptions import OverwriteError, PayloadNotFoundError

__all__ = ["POINTER_CLASS", "PayloadStore", "Pointer", "format_pointer", "parse_pointer"]

logger = logging.getLogger("fluke.queues")

#: The first element of an extended-client pointer.
POINTER_CLASS = "software.amazon.payloadoffloading.PayloadS3Pointer"
#: The pointer class of the extended clients' legacy format (read, never written).
LEGACY_POINTER_CLASS = "com.amazon.sqs.javamessaging.MessageS3Pointer"
_POINTER_CLASSES = (POINTER_CLASS, LEGACY_POINTER_CLASS)
#: The message attribute (SQS) that carries the payload's size in bytes.
SIZE_ATTRIBUTE = "ExtendedPayloadSize"
#: Read payloads in chunks of this many bytes.
_READ_CHUNK = 1024 * 1024


class Pointer(NamedTuple):
    """Where a claim-check message's payload is stored."""

    bucket: str
    key: str


def format_pointer(pointer: Pointer) -> str:
    """The message text of ``pointer`` (the extended clients' JSON)."""
    return json.dumps([POINTER_CLASS, {"s3BucketName": pointer.bucket, "s3Key": pointer.key}])


def parse_pointer(body: str) -> Pointer | None:
    """The pointer ``body`` holds, or ``None`` if it is an ordinary message."""
    head = body[:200]
    if not any(name in head for name in _POINTER_CLASSES) or not body.lstrip().startswith("["):
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or value[0] not in _POINTER_CLASSES
        or not isinstance(value[1], dict)
    ):
        return None
    bucket, key = value[1].get("s3BucketName"), value[1].get("s3Key")
    if not isinstance(bucket, str) or not isinstance(key, str) or not key:
        return None
    return Pointer(bucket, key)


def bucket_of(directory: Dir) -> str:
    """What a pointer's ``s3BucketName`` is for payloads stored in ``directory``."""
    for getter in ("get_bucket_name", "get_container_name"):
        method = getattr(directory, getter, None)
        if callable(method):
            return str(method())
    return urlsplit(directory.get_uri()).netloc


class PayloadStore:
    """Stores, reads and deletes claim-check payloads in one Dir.

    :param directory: where payloads go (any Fluke Dir).
    """

    def __init__(self, directory: Dir) -> None:
        if not isinstance(directory, Dir):
            raise TypeError(f"large_payloads must be a Dir, not {type(directory).__name__}")
        self.directory = directory
        self._bucket = bucket_of(directory)
        self._base = directory.get_path()

    def __repr__(self) -> str:
        return f"PayloadStore({self.directory.get_uri()!r})"

    @property
    def _backend(self) -> StorageBackend:
        return self.directory._session.backend

    def put(self, body: str) -> tuple[str, int]:
        """Store ``body``; return the pointer message and the payload's size in bytes."""
        data = body.encode("utf-8")
        key = self._base + str(uuid.uuid4())
        try:
            with self._backend.open_writer(key, size_hint=len(data), overwrite=False) as writer:
                writer.write(data)
        except OverwriteError:  # a uuid4 collision: practically never; try once more
            key = self._base + str(uuid.uuid4())
            with self._backend.open_writer(key, size_hint=len(data), overwrite=False) as writer:
                writer.write(data)
        logger.debug("stored a %d-byte payload at %s", len(data), self._backend.uri(key))
        return format_pointer(Pointer(self._bucket, key)), len(data)

    def _path(self, pointer: Pointer, message_id: str) -> str:
        """The backend path of ``pointer``'s payload, checked to lie inside the Dir."""
        where = f"{pointer.bucket}/{pointer.key}" if pointer.bucket else pointer.key
        if pointer.bucket != self._bucket:
            raise PayloadNotFoundError(
                message_id,
                where,
                f"is not in the large_payloads dir {self.directory.get_uri()!r} (another bucket)",
            )
        key = pointer.key
        parts = key.split("/")
        if (
            not key.startswith(self._base)
            or key == self._base
            or ".." in parts
            or "\x00" in key
            or "\\" in key
        ):
            raise PayloadNotFoundError(
                message_id,
                where,
                f"is not inside the large_payloads dir {self.directory.get_uri()!r}",
            )
        return key

    def get(self, pointer: Pointer, message_id: str) -> str:
        """The payload ``pointer`` names.

        :raises PayloadNotFoundError: it is missing, outside the Dir, or not UTF-8.
        """
        path = self._path(pointer, message_id)
        backend = self._backend
        entry = backend.stat(path)
        if entry is None or entry.is_dir:
            raise PayloadNotFoundError(message_id, backend.uri(path))
        data = b"".join(backend.iter_chunks(path, _READ_CHUNK, entry.size))
        try:
            return str(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise PayloadNotFoundError(message_id, backend.uri(path), "is not UTF-8 text") from None

    def delete(self, pointer: Pointer, message_id: str) -> None:
        """Delete the payload (after its message was acked); a missing one is fine."""
        try:
            path = self._path(pointer, message_id)
        except PayloadNotFoundError as error:
            logger.warning("not deleting a payload: %s", error)
            return
        backend = self._backend
        try:
            if backend.stat(path) is not None:
                backend.delete(path)
        except Exception as error:  # the message is gone; a leftover payload is only litter
            logger.warning(
                "could not delete payload %s of acked message %r: %s: %s",
                backend.uri(path),
                message_id,
                type(error).__name__,
                error,
            )
