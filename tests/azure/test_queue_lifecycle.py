"""Issue 13 on Azure Storage Queues (Azurite): claim-check through Blob storage."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from fluke._claimcheck import POINTER_CLASS
from fluke_azure.auth import AzureAuth
from fluke_azure.queue import MAX_MESSAGE_BYTES, AzureStorageQueue
from fluke_azure.storage import AzureBlobDir

TWO_MIB = 2 * 1024 * 1024


def blobs(container_client: Any) -> list[str]:
    return sorted(blob.name for blob in container_client.list_blobs())


def test_claim_check_2_mib_through_blob_storage(
    auth: AzureAuth, container: str, container_client: Any, queue_name: str
) -> None:
    text = ("ünï-✓-" * (TWO_MIB // 6 + 1))[:TWO_MIB]
    payloads = AzureBlobDir(auth, container)
    with AzureStorageQueue(auth, queue_name, large_payloads=payloads) as queue:
        assert queue.push(text, suppress_output=True)
        (name,) = blobs(container_client)
        assert container_client.download_blob(name).readall() == text.encode()
        # what is on the wire: base64 of the extended clients' pointer
        (raw,) = auth.queue_client(queue_name).peek_messages()
        pointer = json.loads(base64.b64decode(raw.content))
        assert pointer == [POINTER_CLASS, {"s3BucketName": container, "s3Key": name}]
        assert queue.peek() == [text]
        (message,) = queue.receive(1, wait=2)
        assert message.body == text and message.delivery_count == 1
        message.ack()
        assert blobs(container_client) == []


def test_threshold_is_64_kib_after_encoding(
    auth: AzureAuth, container: str, container_client: Any, queue_name: str
) -> None:
    fits = "a" * (MAX_MESSAGE_BYTES // 4 * 3)  # exactly 64 KiB once base64-encoded
    with AzureStorageQueue(auth, queue_name, large_payloads=AzureBlobDir(auth, container)) as queue:
        assert queue.push(fits, suppress_output=True)
        assert blobs(container_client) == []
        assert queue.push(fits + "a", suppress_output=True)
        assert len(blobs(container_client)) == 1
        got = sorted(m.body for m in queue.receive(10, wait=2))
        assert got == [fits, fits + "a"]


def test_zero_visibility_timeout_is_refused_before_receiving(
    auth: AzureAuth, queue_name: str
) -> None:
    with AzureStorageQueue(auth, queue_name) as queue:
        assert queue.push("stays", suppress_output=True)
        with pytest.raises(ValueError, match=">= 1 s"):
            queue.receive(1, visibility_timeout=0)
        assert queue.peek() == ["stays"]
