"""fluke.events with REAL S3 event notifications: moto's S3 sends them to its SQS.

The bucket gets a notification configuration (``QueueConfigurations``), so
moto posts the ``s3:TestEvent`` and then one notification per upload or
delete, with keys URL-encoded as S3 does (``+`` for spaces, ``%2B`` for ``+``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fluke.events import StorageEvent, storage_events
from fluke.exceptions import InvalidPathError
from fluke.storage import LocalDir
from fluke_aws.auth import AWSAuth
from fluke_aws.queues import AmazonSQSQueue

KEYS = {
    "incoming/with space/report 2026.csv": b"region,total\neu,42\n",
    "incoming/ünïcödé/naïve €.txt": "ünïcödé\n".encode(),
    "incoming/a+b+c.txt": b"plus signs",
    "incoming/plus + space.txt": b"both",
    "incoming/100% done?#&=.bin": bytes(range(256)) * 8,
}


def notify(s3: Any, sqs: Any, bucket: str, queue_name: str) -> None:
    """Send the bucket's object-created and -removed events to the queue."""
    queue_url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn["Attributes"]["QueueArn"],
                    "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                }
            ]
        },
    )


def drain(auth: AWSAuth, queue_name: str) -> list[StorageEvent]:
    with AmazonSQSQueue(auth, queue_name) as queue:
        return list(storage_events(queue))


def test_real_s3_notifications_become_files(
    auth: AWSAuth, s3: Any, sqs: Any, bucket: str, queue_name: str, tmp_path: Path
) -> None:
    notify(s3, sqs, bucket, queue_name)
    etags = {}
    for key, data in KEYS.items():
        etags[key] = s3.put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
    with AmazonSQSQueue(auth, queue_name) as queue:
        bodies = queue.peek()
    # what moto sent is S3's wire format: the test event, then form-encoded keys
    assert any('"s3:TestEvent"' in body for body in bodies)
    wire = "".join(bodies)
    assert "with+space" in wire and "report+2026.csv" in wire and "a%2Bb%2Bc.txt" in wire

    events = drain(auth, queue_name)
    assert sorted(e.key for e in events) == sorted(KEYS)  # the test event was skipped
    for event in events:
        assert event.kind == "created" and event.source == "s3" and event.bucket == bucket
        assert event.size == len(KEYS[event.key]) and event.etag == etags[event.key]
        assert event.event_type.startswith("ObjectCreated:")
        with event.file(auth=auth) as file:
            assert file.read() == KEYS[event.key]
    with AmazonSQSQueue(auth, queue_name) as queue:
        assert queue.count() == 0  # every message consumed, the test event included

    event = next(e for e in events if e.key == "incoming/100% done?#&=.bin")
    local = LocalDir(str(tmp_path), create_if_missing=True)
    assert event.file(auth=auth).transfer_to(local, suppress_output=True)
    assert (tmp_path / "100% done?#&=.bin").read_bytes() == KEYS[event.key]


def test_real_delete_notifications(
    auth: AWSAuth, s3: Any, sqs: Any, bucket: str, queue_name: str
) -> None:
    s3.put_object(Bucket=bucket, Key="gone soon+.txt", Body=b"x")
    notify(s3, sqs, bucket, queue_name)
    s3.delete_object(Bucket=bucket, Key="gone soon+.txt")
    (event,) = drain(auth, queue_name)
    assert (event.kind, event.key, event.event_type) == (
        "deleted",
        "gone soon+.txt",
        "ObjectRemoved:Delete",
    )
    with pytest.raises(InvalidPathError):
        event.file(auth=auth)


def test_a_bad_message_does_not_stop_the_batch(
    auth: AWSAuth, s3: Any, sqs: Any, bucket: str, queue_name: str
) -> None:
    notify(s3, sqs, bucket, queue_name)
    with AmazonSQSQueue(auth, queue_name) as queue:
        queue.push("incoming/a-bare-key.txt", suppress_output=True)
    s3.put_object(Bucket=bucket, Key="after the bad one.txt", Body=b"ok")
    bad: list[str] = []
    with AmazonSQSQueue(auth, queue_name) as queue:
        events = list(storage_events(queue, on_invalid=lambda body, error: bad.append(body)))
        assert queue.count() == 0
    assert [e.key for e in events] == ["after the bad one.txt"]
    assert bad == ["incoming/a-bare-key.txt"]


def test_cli_events_on_sqs(
    moto_endpoint: str, s3: Any, sqs: Any, bucket: str, queue_name: str
) -> None:
    notify(s3, sqs, bucket, queue_name)
    s3.put_object(Bucket=bucket, Key="cli/one two+.txt", Body=b"12345")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret-example",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "fluke", "events", f"sqs://{queue_name}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    printed = json.loads(line)
    assert printed["uri"] == f"s3://{bucket}/cli/one%20two%2B.txt"
    assert (printed["kind"], printed["key"], printed["size"]) == ("created", "cli/one two+.txt", 5)


def test_a_failed_event_comes_back_at_once(
    auth: AWSAuth, s3: Any, sqs: Any, bucket: str, queue_name: str
) -> None:
    """Handling raised: its message is nacked on SQS, not hidden for the visibility timeout."""
    notify(s3, sqs, bucket, queue_name)
    s3.put_object(Bucket=bucket, Key="retry me.txt", Body=b"x")
    with AmazonSQSQueue(auth, queue_name) as queue:
        with pytest.raises(RuntimeError):
            for _event in storage_events(queue, visibility_timeout=600):
                raise RuntimeError("the transfer failed")
        (again,) = storage_events(queue)
    assert again.key == "retry me.txt"
