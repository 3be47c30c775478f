"""Fluke's main job driven by REAL S3 event notifications (``fluke.events``).

The same flow as ``seed_example.py`` — new uploads flagged ``transfer=True``
in their metadata go from S3 to an SFTP server — but nobody queues keys by
hand: the bucket's notification configuration makes S3 (here moto) send its
own event notifications to SQS. Those carry URL-encoded keys (``+`` for a
space) and start with an ``s3:TestEvent``; :func:`fluke.events.storage_events`
decodes them into events whose ``.file()`` is ready to transfer.

Run it with ``nox -s demo`` (which installs what it needs) or, with
fluke-core, fluke-aws, fluke-ssh and ``moto[server]`` installed, with
``python demo/s3_events_example.py``.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import servers  # noqa: E402
from seed_example import remote_auth  # noqa: E402

from fluke.auth import AWSAuth, RemoteAuth  # noqa: E402
from fluke.events import storage_events  # noqa: E402
from fluke.queues import AmazonSQSQueue  # noqa: E402
from fluke.storage import RemoteDir  # noqa: E402

#: Keys as people name files: spaces, a '+', non-ASCII letters.
FILES = {
    "incoming/Q4 report (final)+v2.csv": (b"region,total\neu,42\nus,17\n", "True"),
    "incoming/images/chat café.png": (bytes(range(256)) * 64, "True"),
    "incoming/scratch.tmp": (b"not for the server", "False"),
    "incoming/notes/ünïcödé 100%.txt": ("ünïcödé notes\n".encode(), "True"),
}


@dataclass
class EventsDemoResult:
    """What the consumer did."""

    events: list[str] = field(default_factory=list)
    transferred: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    remote_listing: list[str] = field(default_factory=list)


def setup_and_produce(endpoint: str, bucket: str, queue: str) -> None:
    """Bucket -> SQS notifications, then the uploads (boto3 directly, as any producer)."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="aws_access_key", aws_secret_access_key="aws_secret_key",
        region_name="us-east-1",
    )  # fmt: skip
    s3 = session.client("s3", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    s3.put_bucket_notification_configuration(  # S3 now sends its s3:TestEvent
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arn["Attributes"]["QueueArn"], "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    for key, (data, flag) in FILES.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data, Metadata={"transfer": flag})


def consume(queue: str, rmt_auth: RemoteAuth, remote_path: str) -> EventsDemoResult:
    """Poll the notifications and transfer the flagged new objects to SFTP."""
    aws_auth = AWSAuth(aws_access_key_id="aws_access_key", aws_secret_access_key="aws_secret_key")
    result = EventsDemoResult()
    with (
        AmazonSQSQueue(auth=aws_auth, queue=queue) as sqs_queue,
        RemoteDir(auth=rmt_auth, path=remote_path, create_if_missing=True) as rmt_dir,
    ):
        # A service would pass polling_frequency=60 and run forever; the demo drains the queue.
        for event in storage_events(sqs_queue):
            result.events.append(event.key)
            if event.kind != "created":
                continue
            with event.file(auth=aws_auth) as file:
                file.load_metadata()
                if file.get_metadata().get("transfer") == "True":
                    if not file.transfer_to(dst=rmt_dir, suppress_output=True):
                        raise RuntimeError(f"transfer of {event.uri} failed")
                    result.transferred.append(event.key)
                else:
                    result.skipped.append(event.key)
        result.remote_listing = rmt_dir.get_contents()
    return result


def run(endpoint: str, sshd: servers.SSHServer, remote_path: str) -> EventsDemoResult:
    """Set up, upload, consume; check that exactly the flagged files arrived intact."""
    bucket, queue = f"bucket-{uuid.uuid4().hex[:8]}", f"events-{uuid.uuid4().hex[:8]}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    setup_and_produce(endpoint, bucket, queue)
    result = consume(queue, remote_auth(sshd), remote_path)
    if sorted(result.events) != sorted(FILES):
        raise RuntimeError(f"the notifications named {result.events}, not {sorted(FILES)}")
    expected = sorted(key.rsplit("/", 1)[-1] for key, (_, flag) in FILES.items() if flag == "True")
    if sorted(result.remote_listing) != expected:
        raise RuntimeError(f"the SFTP directory holds {result.remote_listing}, not {expected}")
    with RemoteDir(auth=remote_auth(sshd), path=remote_path) as check:
        for key, (data, flag) in FILES.items():
            if flag == "True" and check.get_file(key.rsplit("/", 1)[-1]).read() != data:
                raise RuntimeError(f"{key} arrived altered")
    return result


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    print("Starting a local S3 + SQS server (moto) and an SFTP server (OpenSSH sshd)...")
    with servers.moto() as endpoint, servers.sshd() as sshd:
        remote_path = f"{sshd.home}/events-demo-{uuid.uuid4().hex[:8]}"
        print(f"  S3/SQS at {endpoint}; SFTP at {sshd.username}@{sshd.host}:{sshd.port}")
        result = run(endpoint, sshd, remote_path)
    print(f"S3 notified {len(result.events)} new objects (its s3:TestEvent skipped):")
    for key in result.events:
        verdict = "-> transferred to SFTP" if key in result.transferred else "-> left in S3"
        print(f"  {key:36} {verdict}")
    print(f"SFTP directory {remote_path}: {', '.join(result.remote_listing)}")
    print("Every transferred file arrived byte-identical. Done.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
