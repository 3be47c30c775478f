"""fluke.events with Event Grid Blob Storage events in real Azurite queues.

Azurite has no Event Grid, so the test plays it: for each blob it uploads, it
writes the BlobCreated event Event Grid would write into a Storage Queue
subscription, in the EventGrid or the CloudEvents schema, encoded as base64
(the default of Storage Queue subscriptions) or as plain text. The events
then come back as Files that read the real blobs.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from fluke.events import parse, storage_events
from fluke.storage import LocalDir
from fluke_azure.auth import AzureAuth
from fluke_azure.queue import AzureStorageQueue

BLOBS = {
    "incoming/with space/report 2026.csv": b"region,total\neu,42\n",
    "incoming/ünïcödé/naïve €.txt": "ünïcödé\n".encode(),
    "incoming/a+b+c.txt": b"plus signs",
    "incoming/100% done #1.bin": bytes(range(256)) * 8,
}


def blob_event(
    account: str, blob_url: str, container: str, name: str, etag: str, size: int, schema: str
) -> dict[str, Any]:
    """The Microsoft.Storage.BlobCreated event Event Grid sends for an uploaded blob."""
    topic = (
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/fluke"
        f"/providers/Microsoft.Storage/storageAccounts/{account}"
    )
    data = {
        "api": "PutBlob",
        "clientRequestId": str(uuid.uuid4()),
        "requestId": str(uuid.uuid4()),
        "eTag": etag,
        "contentType": "application/octet-stream",
        "contentLength": size,
        "blobType": "BlockBlob",
        "url": f"{blob_url.rstrip('/')}/{container}/{quote(name)}",
        "sequencer": "00000000000000000000000000005C5B0000000000000af3",
        "storageDiagnostics": {"batchId": str(uuid.uuid4())},
    }
    subject = f"/blobServices/default/containers/{container}/blobs/{name}"
    if schema == "cloudevents":
        return {
            "specversion": "1.0",
            "type": "Microsoft.Storage.BlobCreated",
            "source": topic,
            "subject": subject,
            "id": str(uuid.uuid4()),
            "time": "2026-01-01T12:00:00.0000000Z",
            "data": data,
        }
    return {
        "topic": topic,
        "subject": subject,
        "eventType": "Microsoft.Storage.BlobCreated",
        "id": str(uuid.uuid4()),
        "eventTime": "2026-01-01T12:00:00.0000000Z",
        "data": data,
        "dataVersion": "",
        "metadataVersion": "1",
    }


def upload(container_client: Any, name: str, data: bytes) -> str:
    """Upload a blob with the SDK; its ETag."""
    return str(container_client.upload_blob(name, data).get_blob_properties().etag)


@pytest.fixture
def raw_queue(auth: AzureAuth, queue_name: str) -> Iterator[Any]:
    """The SDK's client on the fresh queue, without encoding policy: we write the wire text."""
    client = auth.queue_client(queue_name)
    yield client
    client.close()


@pytest.mark.parametrize("schema", ["eventgrid", "cloudevents"])
@pytest.mark.parametrize("encoding", ["base64", "text"])
def test_event_grid_events_in_azurite_become_files(
    auth: AzureAuth,
    container_client: Any,
    container: str,
    raw_queue: Any,
    queue_name: str,
    schema: str,
    encoding: str,
) -> None:
    etags = {}
    for name, data in BLOBS.items():
        etags[name] = upload(container_client, name, data)
    for name, data in BLOBS.items():
        event = blob_event(
            auth.get_account_name(),
            container_client.primary_endpoint.rsplit("/", 1)[0],
            container,
            name,
            etags[name],
            len(data),
            schema,
        )
        text = json.dumps(event)
        raw_queue.send_message(
            base64.b64encode(text.encode()).decode() if encoding == "base64" else text
        )
    wire = [message.content for message in raw_queue.peek_messages(max_messages=32)]
    assert len(wire) == len(BLOBS)
    assert all(w.startswith("{") == (encoding == "text") for w in wire)

    with AzureStorageQueue(auth, queue_name) as queue:
        events = list(storage_events(queue))
        assert queue.count() == 0
    assert sorted(e.key for e in events) == sorted(BLOBS)
    for event in events:
        assert (event.kind, event.source, event.bucket) == ("created", "azure", container)
        assert event.size == len(BLOBS[event.key]) and event.etag == etags[event.key]
        assert event.uri.startswith(f"abfss://{container}@{auth.get_account_name()}.")
        with event.file(auth=auth) as file:
            assert file.read() == BLOBS[event.key]


def test_parse_takes_the_wire_text_of_either_encoding(
    auth: AzureAuth, container_client: Any, container: str, raw_queue: Any, tmp_path: Path
) -> None:
    """parse() alone, on what the SDK hands out undecoded; then a transfer to local disk."""
    name = "incoming/100% done #1.bin"
    etag = upload(container_client, name, BLOBS[name])
    text = json.dumps(
        blob_event(auth.get_account_name(), "", container, name, etag, 2048, "eventgrid")
    )
    raw_queue.send_message(base64.b64encode(text.encode()).decode())
    raw_queue.send_message(text)
    first, second = [parse(m.content) for m in raw_queue.receive_messages(max_messages=2)]
    assert first == second and first[0].key == name
    local = LocalDir(str(tmp_path), create_if_missing=True)
    assert first[0].file(auth=auth).transfer_to(local, suppress_output=True)
    assert (tmp_path / "100% done #1.bin").read_bytes() == BLOBS[name]


def test_a_message_that_is_no_event_is_skipped(
    auth: AzureAuth, container_client: Any, container: str, raw_queue: Any, queue_name: str
) -> None:
    container_client.upload_blob("ok.txt", b"ok")
    raw_queue.send_message("incoming/a-bare-blob-name.txt")
    event = blob_event(auth.get_account_name(), "", container, "ok.txt", "0x1", 2, "cloudevents")
    raw_queue.send_message(base64.b64encode(json.dumps(event).encode()).decode())
    bad: list[str] = []
    with AzureStorageQueue(auth, queue_name) as queue:
        events = list(storage_events(queue, on_invalid=lambda body, error: bad.append(body)))
    assert [e.key for e in events] == ["ok.txt"]
    assert bad == ["incoming/a-bare-blob-name.txt"]
