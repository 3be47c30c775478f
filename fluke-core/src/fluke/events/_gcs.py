"""Google Cloud Storage notifications (Pub/Sub, payload format ``JSON_API_V1``).

Format: https://cloud.google.com/storage/docs/pubsub-notifications

A notification is a Pub/Sub message whose **attributes** say what happened
(``eventType``: ``OBJECT_FINALIZE``, ``OBJECT_DELETE``, ``OBJECT_ARCHIVE``,
``OBJECT_METADATA_UPDATE``; ``bucketId``, ``objectId``, ``objectGeneration``,
``eventTime``, ``payloadFormat``) and whose **data** is, with
``JSON_API_V1``, the object's JSON resource (``name``, ``bucket``, ``size``
as a string, ``generation``, ``etag``...), base64-encoded. Accepted shapes:

* a push delivery: ``{"message": {"attributes": ..., "data": ...}, "subscription": ...}``;
* a Pub/Sub message: ``{"attributes": ..., "data": ...}`` (``data`` base64 or
  already decoded);
* an Eventarc CloudEvent: ``{"specversion": "1.0", "type":
  "google.cloud.storage.object.v1.finalized", "data": {resource}}``;
* the bare object resource (``{"kind": "storage#object", ...}``), when a
  bridge forwards only the data: it carries no event type, so it is taken as
  ``"created"`` (``OBJECT_FINALIZE``, the common case).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from fluke.events._event import StorageEvent, object_uri

__all__ = ["gcs_event", "is_gcs"]

KINDS = {
    "OBJECT_FINALIZE": "created",
    "OBJECT_DELETE": "deleted",
    "OBJECT_ARCHIVE": "archived",
    "OBJECT_METADATA_UPDATE": "metadata_updated",
}
#: Eventarc (CloudEvents) types and the notification event types they stand for.
CLOUDEVENT_TYPES = {
    "google.cloud.storage.object.v1.finalized": "OBJECT_FINALIZE",
    "google.cloud.storage.object.v1.deleted": "OBJECT_DELETE",
    "google.cloud.storage.object.v1.archived": "OBJECT_ARCHIVE",
    "google.cloud.storage.object.v1.metadataUpdated": "OBJECT_METADATA_UPDATE",
}


def _message(doc: Mapping[str, Any]) -> Mapping[str, Any] | None:
    inner = doc.get("message")
    if isinstance(inner, Mapping) and isinstance(inner.get("attributes"), Mapping):
        return inner
    if isinstance(doc.get("attributes"), Mapping):
        return doc
    return None


def is_gcs(doc: Mapping[str, Any]) -> bool:
    """Whether ``doc`` looks like a GCS notification in one of the accepted shapes."""
    if doc.get("kind") == "storage#object":
        return True
    if str(doc.get("type", "")).startswith("google.cloud.storage."):
        return True
    message = _message(doc)
    return message is not None and "eventType" in message["attributes"]


def _resource(data: object) -> Mapping[str, Any]:
    """The object resource of a message's ``data`` (base64 JSON, JSON text or a dict)."""
    if data is None or data == "":
        return {}  # payloadFormat NONE: the attributes say it all
    if isinstance(data, Mapping):
        return data
    if not isinstance(data, str):
        raise ValueError("its data is neither base64 text nor a JSON object")
    try:
        text = base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        text = data
    try:
        resource = json.loads(text)
    except ValueError:
        raise ValueError("its data is not the object's JSON resource") from None
    if not isinstance(resource, Mapping):
        raise ValueError("its data is not a JSON object")
    return resource


def _int(value: object) -> int | None:
    """GCS sends sizes as decimal strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _text(value: object) -> str | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    return str(value) if isinstance(value, (str, int)) else None


def gcs_event(doc: Mapping[str, Any]) -> StorageEvent:
    """The event of one GCS notification.

    :raises ValueError: it names no bucket or object, or its event type is unknown.
    """
    attributes: Mapping[str, Any]
    if "specversion" in doc:
        cloud_type = str(doc.get("type", ""))
        if cloud_type not in CLOUDEVENT_TYPES:
            raise ValueError(f"CloudEvent type {cloud_type!r} is not a GCS object event")
        attributes = {"eventType": CLOUDEVENT_TYPES[cloud_type], "eventTime": doc.get("time")}
        resource = _resource(doc.get("data"))
    elif doc.get("kind") == "storage#object":
        attributes, resource = {"eventType": "OBJECT_FINALIZE"}, doc
    else:
        message = _message(doc)
        assert message is not None  # is_gcs() said so
        attributes = message["attributes"]
        resource = _resource(message.get("data"))
    event_type = str(attributes.get("eventType", ""))
    if event_type not in KINDS:
        raise ValueError(f"GCS eventType {event_type!r} is not an object event")
    bucket = attributes.get("bucketId") or resource.get("bucket")
    name = attributes.get("objectId") or resource.get("name")
    if not isinstance(bucket, str) or not bucket or not isinstance(name, str) or not name:
        raise ValueError("it names no bucket or object (bucketId/objectId)")
    time = attributes.get("eventTime") or resource.get("updated")
    return StorageEvent(
        kind=KINDS[event_type],
        uri=object_uri("gs", bucket, name),
        source="gcs",
        bucket=bucket,
        key=name,
        size=_int(resource.get("size")),
        etag=_text(resource.get("etag")),
        version=_text(attributes.get("objectGeneration") or resource.get("generation")),
        event_type=event_type,
        time=time if isinstance(time, str) else None,
        raw={"attributes": dict(attributes), "data": dict(resource)},
    )
