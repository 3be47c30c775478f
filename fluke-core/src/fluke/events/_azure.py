"""Azure Blob Storage events from Event Grid, in the EventGrid and CloudEvents schemas.

Format: https://learn.microsoft.com/azure/event-grid/event-schema-blob-storage

* EventGrid schema: ``topic`` (the storage account's resource id),
  ``subject`` (``/blobServices/default/containers/C/blobs/PATH``),
  ``eventType`` (``Microsoft.Storage.BlobCreated``...), ``eventTime``, ``data``.
* CloudEvents 1.0 schema: ``source``, ``subject``, ``type``, ``time``,
  ``specversion``, ``data``: the same content under other names.
* ``data`` carries ``url``, ``eTag`` and ``contentLength`` (not on deletes).

The blob's name is taken from ``subject``, where Event Grid writes it
unencoded; ``data.url`` (percent-encoded) is the fallback. The account comes
from the ``storageAccounts/NAME`` part of ``topic``/``source``, else from
``data.url``. The transport encoding (a Storage Queue message in base64 or
plain text) is undone by :mod:`fluke.events._parse` before this module runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from fluke.events._event import StorageEvent, object_uri

__all__ = ["VALIDATION_EVENT", "azure_event", "event_type"]

#: Sent by Event Grid when a webhook subscription is created: holds no blob event.
VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"

KINDS = {
    "Microsoft.Storage.BlobCreated": "created",
    "Microsoft.Storage.BlobDeleted": "deleted",
    "Microsoft.Storage.BlobTierChanged": "tier_changed",
    "Microsoft.Storage.BlobRenamed": "renamed",
}

_ACCOUNT = re.compile(r"/storageAccounts/([^/]+)", re.IGNORECASE)
_SUBJECT = re.compile(r"^/blobServices/default/containers/([^/]+)/blobs/(.+)$", re.DOTALL)


def event_type(doc: Mapping[str, Any]) -> str | None:
    """The event type of an Event Grid event (EventGrid or CloudEvents schema), else ``None``."""
    value = doc.get("type") if "specversion" in doc else doc.get("eventType")
    return value if isinstance(value, str) else None


def _account(topic: object, url: str | None) -> str:
    if isinstance(topic, str):
        found = _ACCOUNT.search(topic)
        if found:
            return found.group(1)
    if url:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host.count(".") >= 2 and not host.replace(".", "").isdigit():
            return host.split(".", 1)[0]  # account.blob.core.windows.net
        segments = parts.path.lstrip("/").split("/", 1)
        if segments[0]:
            return segments[0]  # emulator style: http://127.0.0.1:10000/account/container/...
    raise ValueError("it names no storage account (no storageAccounts/ in its topic or source)")


def _location(subject: object, url: str | None) -> tuple[str, str]:
    """(container, blob name) from the subject, else from ``data.url``."""
    if isinstance(subject, str):
        found = _SUBJECT.match(subject)
        if found:
            return found.group(1), found.group(2)
    if url:
        path = urlsplit(url).path.lstrip("/")
        host = urlsplit(url).hostname or ""
        if host.replace(".", "").isdigit() or host == "localhost":
            path = path.split("/", 1)[-1]  # emulator URLs start with the account
        container, _, name = path.partition("/")
        if container and name:
            return container, unquote(name)
    raise ValueError(f"its subject {subject!r} names no blob")


def azure_event(doc: Mapping[str, Any]) -> StorageEvent:
    """The event of one Event Grid Blob Storage event.

    :raises ValueError: it is not a Blob Storage event about one blob (the reason).
    """
    kind_name = event_type(doc) or ""
    if not kind_name.startswith("Microsoft.Storage."):
        raise ValueError(f"Event Grid event type {kind_name!r} is not a Blob Storage event")
    cloud = "specversion" in doc
    data = doc.get("data")
    if not isinstance(data, Mapping):
        raise ValueError("its data is not a JSON object")
    url = data.get("destinationUrl") or data.get("url")
    url = url if isinstance(url, str) and url else None
    container, name = _location(doc.get("subject"), url)
    account = _account(doc.get("source") if cloud else doc.get("topic"), url)
    size = data.get("contentLength")
    etag = data.get("eTag")
    time = doc.get("time") if cloud else doc.get("eventTime")
    return StorageEvent(
        kind=KINDS.get(kind_name, "other"),
        uri=object_uri("abfss", f"{container}@{account}.dfs.core.windows.net", name),
        source="azure",
        bucket=container,
        key=name,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        etag=etag if isinstance(etag, str) and etag else None,
        event_type=kind_name,
        time=time if isinstance(time, str) else None,
        raw=dict(doc),
    )
