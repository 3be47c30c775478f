"""``parse(body)``: a queue message's text -> the storage events it carries."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from typing import Any

from fluke.events import _azure, _gcs, _s3
from fluke.events._event import StorageEvent
from fluke.exceptions import InvalidEventError

__all__ = ["parse"]

logger = logging.getLogger("fluke.events")


def _decode_json(body: str) -> Any:
    """The JSON in ``body``: as is, or inside base64 (Azure queue messages often are)."""
    text = body.strip()
    if text[:1] not in ("{", "["):
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8").strip()
        except (binascii.Error, ValueError):
            raise ValueError("it is neither JSON nor base64-encoded JSON") from None
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(f"it is not valid JSON ({error})") from None


def _unwrap_sns(doc: Mapping[str, Any]) -> Any:
    """The notification inside an SNS envelope (S3 -> SNS -> SQS without raw delivery)."""
    try:
        return json.loads(doc["Message"])
    except ValueError:
        raise ValueError("its SNS Message is not JSON") from None


def _events(doc: Any, depth: int = 0) -> list[StorageEvent]:
    """The events of one decoded JSON document; ``ValueError`` with the reason if none."""
    if isinstance(doc, list):
        if not doc:
            raise ValueError("it is an empty JSON array")
        if depth:
            raise ValueError("it nests arrays of events")
        return [event for item in doc for event in _events(item, depth + 1)]
    if not isinstance(doc, Mapping):
        raise ValueError(f"it is JSON {type(doc).__name__}, not an event object")
    if doc.get("Type") == "Notification" and isinstance(doc.get("Message"), str) and depth < 2:
        return _events(_unwrap_sns(doc), depth + 1)
    if _s3.is_test_event(doc):
        logger.info("skipping the s3:TestEvent of bucket %r", doc.get("Bucket"))
        return []
    if _s3.is_s3(doc):
        return _s3.s3_events(doc)
    if _gcs.is_gcs(doc):
        return [_gcs.gcs_event(doc)]
    azure_type = _azure.event_type(doc)
    if azure_type == _azure.VALIDATION_EVENT:
        logger.info("skipping an Event Grid subscription validation event")
        return []
    if azure_type is not None:
        return [_azure.azure_event(doc)]
    raise ValueError(
        "it is no S3 notification (Records), Event Grid event (eventType/type) "
        "or GCS notification (attributes.eventType, storage#object)"
    )


def parse(body: str) -> list[StorageEvent]:
    """The storage events in one queue message's text.

    Decodes Amazon S3 event notifications (every record; keys URL-decoded
    with ``unquote_plus``; also inside an SNS envelope), Azure Event Grid
    Blob Storage events (EventGrid or CloudEvents schema, one event or an
    array, as plain text or base64) and Google Cloud Storage notifications
    (``JSON_API_V1``: a Pub/Sub message with its attributes, a push envelope,
    an Eventarc CloudEvent or the bare object resource).

    Messages that announce rather than report (S3's ``s3:TestEvent``, Event
    Grid's subscription validation) give ``[]``.

    :raises InvalidEventError: ``body`` is not one of these; the message says
        why and quotes the start of the body. No partial result: a message
        with one bad record is invalid as a whole.
    :raises TypeError: ``body`` is not a ``str``.
    """
    if not isinstance(body, str):
        raise TypeError(f"body must be a str, not {type(body).__name__}")
    if not body.strip():
        raise InvalidEventError(body, "it is empty")
    try:
        return _events(_decode_json(body))
    except ValueError as error:
        raise InvalidEventError(body, str(error)) from None
