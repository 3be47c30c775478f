"""Storage events: what S3, Azure Event Grid and GCS say happened to objects.

A bucket can announce its changes on a queue: S3 sends event notifications
to SQS, Azure Event Grid sends Blob Storage events to a Storage Queue, GCS
sends notifications through Pub/Sub. This module turns those messages into
:class:`StorageEvent` objects, each with the object's Fluke URL, ready to be
opened and transferred::

    import fluke
    from fluke.events import storage_events

    queue = fluke.queue("sqs://uploads")
    for event in storage_events(queue, polling_frequency=5):
        if event.kind == "created":
            event.file(auth=aws_auth).transfer_to(destination)

* :func:`parse` decodes one message's text (several events, none, or a
  typed :class:`~fluke.exceptions.InvalidEventError`).
* :func:`storage_events` polls a queue and yields the events of its
  messages; a message that is not an event is reported and skipped, the
  others go on.
"""

from fluke.events._event import StorageEvent
from fluke.events._parse import parse
from fluke.events._stream import InvalidHandler, storage_events

__all__ = ["InvalidHandler", "StorageEvent", "parse", "storage_events"]
