"""Amazon S3 event notifications (``{"Records": [...]}``), as S3 sends them to SQS.

Format: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html

* One message holds one or more ``Records``; each becomes one event.
* Keys are URL-encoded the way HTML forms are (``+`` for a space, ``%2B`` for
  a ``+``): :func:`urllib.parse.unquote_plus` gives the real key back.
* When a notification configuration is saved, S3 sends one
  ``{"Event": "s3:TestEvent", ...}`` message: it holds no event (``[]``).
* Through SNS (S3 -> SNS -> SQS without raw delivery) the notification is the
  ``Message`` string of an SNS envelope; :mod:`fluke.events._parse` unwraps it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

from fluke.events._event import StorageEvent, object_uri

__all__ = ["is_s3", "is_test_event", "s3_events"]

logger = logging.getLogger("fluke.events")

#: S3 event-name families (``ObjectCreated:Put`` -> ``ObjectCreated``) and Fluke's kind.
KINDS = {
    "ObjectCreated": "created",
    "ObjectRemoved": "deleted",
    "LifecycleExpiration": "deleted",
    "ObjectRestore": "restored",
    "LifecycleTransition": "archived",
    "IntelligentTiering": "archived",
    "ObjectTagging": "metadata_updated",
    "ObjectAcl": "metadata_updated",
}


def is_test_event(doc: Mapping[str, Any]) -> bool:
    """Whether ``doc`` is the ``s3:TestEvent`` S3 sends when notifications are set up."""
    return doc.get("Event") == "s3:TestEvent"


def is_s3(doc: Mapping[str, Any]) -> bool:
    """Whether ``doc`` looks like an S3 notification (a ``Records`` list)."""
    return isinstance(doc.get("Records"), list)


def _record(record: Any) -> StorageEvent:
    """One record; ``ValueError`` (the reason) if it is not an S3 object record."""
    if not isinstance(record, Mapping):
        raise ValueError("a record is not a JSON object")
    if record.get("eventSource") != "aws:s3":
        raise ValueError(f"record eventSource {record.get('eventSource')!r} is not 'aws:s3'")
    s3 = record.get("s3")
    bucket = s3.get("bucket") if isinstance(s3, Mapping) else None
    obj = s3.get("object") if isinstance(s3, Mapping) else None
    if not isinstance(bucket, Mapping) or not isinstance(obj, Mapping):
        raise ValueError("a record has no s3.bucket or s3.object")
    name, encoded = bucket.get("name"), obj.get("key")
    if not isinstance(name, str) or not name or not isinstance(encoded, str) or not encoded:
        raise ValueError("a record has no bucket name or object key")
    key = unquote_plus(encoded)
    event_name = str(record.get("eventName", ""))
    size = obj.get("size")
    etag = obj.get("eTag")
    version = obj.get("versionId")
    return StorageEvent(
        kind=KINDS.get(event_name.split(":", 1)[0], "other"),
        uri=object_uri("s3", name, key),
        source="s3",
        bucket=name,
        key=key,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        etag=etag if isinstance(etag, str) and etag else None,
        version=version if isinstance(version, str) and version else None,
        event_type=event_name,
        time=record.get("eventTime") if isinstance(record.get("eventTime"), str) else None,
        raw=record,
    )


def s3_events(doc: Mapping[str, Any]) -> list[StorageEvent]:
    """The events of an S3 notification: one per record.

    :raises ValueError: a record is not an S3 object record (the reason).
    """
    records = doc["Records"]
    if not records:
        raise ValueError("its Records list is empty")
    return [_record(record) for record in records]
