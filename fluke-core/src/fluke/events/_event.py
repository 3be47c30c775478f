"""``StorageEvent``: one change to one object, whatever service reported it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

if TYPE_CHECKING:
    from fluke._file import File

__all__ = ["Source", "StorageEvent", "object_uri"]

#: Which service's notification an event was decoded from.
Source = Literal["s3", "azure", "gcs"]


def object_uri(scheme: str, authority: str, key: str) -> str:
    """The Fluke URL of object ``key``: percent-encoded, so that openers decode it back.

    ``%``, ``?``, ``#`` and spaces in keys are escaped; ``/`` is kept.
    """
    return f"{scheme}://{authority}/{quote(key, safe='/')}"


@dataclass(frozen=True)
class StorageEvent:
    """One change to one object, decoded from a storage service's notification.

    :ivar kind: what happened, in Fluke's words: ``"created"``,
        ``"deleted"``, ``"metadata_updated"``, ``"archived"``,
        ``"restored"``, ``"tier_changed"``, ``"renamed"``, or ``"other"``
        (the service's own name is in :attr:`event_type`).
    :ivar uri: the object's Fluke URL (``s3://bucket/key``,
        ``abfss://container@account.dfs.core.windows.net/path``,
        ``gs://bucket/name``), key percent-encoded as :func:`fluke.file` expects.
    :ivar source: ``"s3"``, ``"azure"`` or ``"gcs"``.
    :ivar bucket: the bucket (S3, GCS) or container (Azure).
    :ivar key: the object's key, decoded (S3's ``+`` and ``%XX`` undone).
    :ivar size: the object's size in bytes, when the event says (not on deletes).
    :ivar etag: the object's ETag as the event gives it, when it does.
    :ivar version: S3 ``versionId`` or GCS generation, when the event has one.
    :ivar event_type: the service's own event name (``ObjectCreated:Put``,
        ``Microsoft.Storage.BlobCreated``, ``OBJECT_FINALIZE``...).
    :ivar time: the event's timestamp (ISO 8601 text, as sent), if any.
    :ivar raw: the decoded JSON of this one event (an S3 record, an Event Grid
        event, a GCS notification with its attributes).
    """

    kind: str
    uri: str
    source: Source
    bucket: str
    key: str
    size: int | None = None
    etag: str | None = None
    version: str | None = None
    event_type: str = ""
    time: str | None = None
    raw: Any = field(default=None, repr=False, compare=False)

    def file(self, *, auth: object | None = None, cache: bool = False) -> File:
        """The object as a :class:`~fluke.File`, ready for ``transfer_to``.

        :param auth: credentials for the object's service (``AWSAuth``,
            ``AzureAuth``, ``GCPAuth``); the provider's default chain if ``None``.
        :raises InvalidPathError: the object does not exist (any more): a
            ``"deleted"`` event's object, or one deleted since it was created.
        :raises ImportError: the provider's package is not installed.
        """
        import fluke

        return fluke.file(self.uri, auth=auth, cache=cache)

    def to_dict(self, *, raw: bool = False) -> dict[str, Any]:
        """A JSON-ready summary (with the decoded notification under ``"raw"`` if asked)."""
        data: dict[str, Any] = {
            "kind": self.kind,
            "uri": self.uri,
            "source": self.source,
            "bucket": self.bucket,
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "version": self.version,
            "event_type": self.event_type,
            "time": self.time,
        }
        if raw:
            data["raw"] = self.raw
        return data
