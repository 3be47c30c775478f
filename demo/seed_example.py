"""Fluke's main job, end to end: the usage example of the getting-started guide.

It starts a local S3 + SQS server (moto) and a local SFTP server (OpenSSH
sshd), plays the producer (uploads files to a bucket, some flagged
``transfer=True`` in their metadata, and queues their keys), then runs the
guide's consumer loop unchanged in spirit: poll the queue, look each key up
in the bucket, load its metadata, and transfer the flagged files to a
directory on the SFTP server. It prints what it did and checks the result.

Run it with ``nox -s demo`` (which installs what it needs) or, with
fluke-core, fluke-aws, fluke-ssh and ``moto[server]`` installed, with
``python demo/seed_example.py``.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import servers  # noqa: E402

from fluke.auth import AWSAuth, RemoteAuth  # noqa: E402
from fluke.queues import AmazonSQSQueue  # noqa: E402
from fluke.storage import AmazonS3Dir, RemoteDir  # noqa: E402

FILES = {
    "incoming/report-2026-11.csv": (b"region,total\neu,42\nus,17\n", "True"),
    "incoming/images/cat.png": (bytes(range(256)) * 64, "True"),
    "incoming/scratch.tmp": (b"not for the server", "False"),
    "incoming/notes/readme.txt": ("ünïcödé notes\n".encode(), "True"),
}


@dataclass
class DemoResult:
    """What the consumer did."""

    received: list[str] = field(default_factory=list)
    transferred: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    remote_listing: list[str] = field(default_factory=list)


def produce(endpoint: str, bucket: str, queue: str) -> None:
    """The producer side: upload objects with metadata and queue their keys (boto3 directly)."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="aws_access_key", aws_secret_access_key="aws_secret_key",
        region_name="us-east-1",
    )  # fmt: skip
    s3 = session.client("s3", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    for key, (data, flag) in FILES.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data, Metadata={"transfer": flag})
        sqs.send_message(QueueUrl=queue_url, MessageBody=key)


def remote_auth(sshd: servers.SSHServer) -> RemoteAuth:
    """Password login as in the guide (key login where sshd cannot offer passwords)."""
    if sshd.password is not None:
        return RemoteAuth.from_password(
            hostname=sshd.host, username=sshd.username, password=sshd.password,
            port=sshd.port, known_hosts=str(sshd.known_hosts),
        )  # fmt: skip
    return RemoteAuth.from_key(
        hostname=sshd.host, username=sshd.username, pkey=str(sshd.client_keys["ed25519"]),
        port=sshd.port, known_hosts=str(sshd.known_hosts),
    )  # fmt: skip


def consume(bucket: str, queue: str, rmt_auth: RemoteAuth, remote_path: str) -> DemoResult:
    """The guide's consumer loop (``AWS_ENDPOINT_URL`` points AWSAuth at the local server)."""
    aws_auth = AWSAuth(aws_access_key_id="aws_access_key", aws_secret_access_key="aws_secret_key")
    result = DemoResult()
    with (
        AmazonSQSQueue(auth=aws_auth, queue=queue) as sqs_queue,
        AmazonS3Dir(auth=aws_auth, bucket=bucket) as bucket_dir,
        RemoteDir(auth=rmt_auth, path=remote_path, create_if_missing=True) as rmt_dir,
    ):
        # The guide polls forever every 60 s; the demo stops once every queued key is handled.
        for batch in sqs_queue.poll(num_messages=len(FILES), polling_frequency=1):
            for msg in batch:
                result.received.append(msg)
                file = bucket_dir.get_file(path=msg)
                file.load_metadata()
                metadata = file.get_metadata()
                if metadata.get("transfer") == "True":
                    if not file.transfer_to(dst=rmt_dir, suppress_output=True):
                        raise RuntimeError(f"transfer of {msg} failed")
                    result.transferred.append(msg)
                else:
                    result.skipped.append(msg)
        result.remote_listing = rmt_dir.get_contents()
    return result


def run(endpoint: str, sshd: servers.SSHServer, remote_path: str) -> DemoResult:
    """Produce, consume, and check that exactly the flagged files arrived intact."""
    bucket, queue = f"bucket-{uuid.uuid4().hex[:8]}", f"queue-{uuid.uuid4().hex[:8]}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    produce(endpoint, bucket, queue)
    result = consume(bucket, queue, remote_auth(sshd), remote_path)
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
        remote_path = f"{sshd.home}/demo-{uuid.uuid4().hex[:8]}"
        print(f"  S3/SQS at {endpoint}; SFTP at {sshd.username}@{sshd.host}:{sshd.port}")
        result = run(endpoint, sshd, remote_path)
    print(f"Polled {len(result.received)} messages from the queue:")
    for key in result.received:
        verdict = "-> transferred to SFTP" if key in result.transferred else "-> left in S3"
        print(f"  {key:32} {verdict}")
    print(f"SFTP directory {remote_path}: {', '.join(result.remote_listing)}")
    print("Every transferred file arrived byte-identical. Done.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
