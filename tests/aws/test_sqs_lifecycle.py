"""Issue 13 on SQS (moto): native redrive, claim-check through S3, extended-client interop."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import KEY_ID, REGION, SECRET, unique

from fluke._claimcheck import POINTER_CLASS
from fluke_aws.auth import AWSAuth
from fluke_aws.queues import AmazonSQSQueue
from fluke_aws.storage import AmazonS3Dir

PEER = Path(__file__).with_name("_extended_client_peer.py")
TWO_MIB = 2 * 1024 * 1024


def two_mib(seed: str) -> str:
    """At least 2 MiB of UTF-8 text (not only ASCII), different for each seed."""
    unit = f"{seed}-é✓-" + hashlib.sha256(seed.encode()).hexdigest()
    return (unit * (TWO_MIB // len(unit) + 1))[:TWO_MIB]


def keys(s3: Any, bucket: str) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_native_redrive_policy_is_left_to_sqs(
    auth: AWSAuth, sqs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    dlq_name, name = unique("native-dlq"), unique("native")
    dlq_url = sqs.create_queue(QueueName=dlq_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": "5"})
    sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})
    with AmazonSQSQueue(auth, name, max_deliveries=1) as queue:
        assert queue.push("poison", suppress_output=True)
        queue.receive(1, wait=2)[0].nack()
        with caplog.at_level(logging.INFO, logger="fluke.queues"):
            (again,) = queue.receive(1, wait=2)  # over max_deliveries, but SQS decides
        assert again.delivery_count == 2
        assert "native dead-letter policy" in caplog.text and arn in caplog.text
        again.ack()
    assert sqs.get_queue_attributes(
        QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]["ApproximateNumberOfMessages"] in ("0", 0)


def test_claim_check_2_mib_through_s3(
    auth: AWSAuth, sqs: Any, s3: Any, bucket: str, queue_name: str
) -> None:
    text = two_mib("s3")
    payloads = AmazonS3Dir(auth, bucket, "payloads/", create_if_missing=True)
    with AmazonSQSQueue(auth, queue_name, large_payloads=payloads) as queue:
        assert queue.push(text, suppress_output=True)
        (key,) = [k for k in keys(s3, bucket) if k != "payloads/"]
        assert key.startswith("payloads/")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == text.encode()
        url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
        raw = sqs.receive_message(
            QueueUrl=url, MessageAttributeNames=["All"], VisibilityTimeout=0, WaitTimeSeconds=1
        )["Messages"][0]
        assert json.loads(raw["Body"]) == [
            POINTER_CLASS,
            {"s3BucketName": bucket, "s3Key": key},
        ]
        size = raw["MessageAttributes"]["ExtendedPayloadSize"]
        assert size == {"DataType": "Number", "StringValue": str(len(text.encode()))}
        assert queue.peek() == [text]
        (message,) = queue.receive(1, wait=2)
        assert message.body == text
        message.ack()
        assert [k for k in keys(s3, bucket) if k != "payloads/"] == []


def _peer(*args: str, moto_endpoint: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    done = subprocess.run(
        [sys.executable, str(PEER), *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_extended_client_reads_what_fluke_pushed(
    auth: AWSAuth,
    s3: Any,
    sqs: Any,
    bucket: str,
    queue_name: str,
    moto_endpoint: str,
    tmp_path: Path,
) -> None:
    pytest.importorskip("sqs_extended_client")
    text = two_mib("fluke-to-aws")
    with AmazonSQSQueue(auth, queue_name, large_payloads=AmazonS3Dir(auth, bucket)) as queue:
        assert queue.push(text, suppress_output=True)
    assert len(keys(s3, bucket)) == 1
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    out = tmp_path / "received.txt"
    _peer("receive", url, str(out), moto_endpoint=moto_endpoint)
    assert out.read_text(encoding="utf-8") == text
    assert keys(s3, bucket) == []  # the extended client deleted the payload on delete


def test_fluke_reads_what_the_extended_client_pushed(
    auth: AWSAuth,
    s3: Any,
    sqs: Any,
    bucket: str,
    queue_name: str,
    moto_endpoint: str,
    tmp_path: Path,
) -> None:
    pytest.importorskip("sqs_extended_client")
    text = two_mib("aws-to-fluke")
    source = tmp_path / "message.txt"
    source.write_text(text, encoding="utf-8")
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    _peer("send", url, bucket, str(source), moto_endpoint=moto_endpoint)
    assert len(keys(s3, bucket)) == 1
    with AmazonSQSQueue(auth, queue_name, large_payloads=AmazonS3Dir(auth, bucket)) as queue:
        (message,) = queue.receive(1, wait=2)
        assert message.body == text
        message.ack()
    assert keys(s3, bucket) == []
