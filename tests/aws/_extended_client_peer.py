"""The AWS extended client (PyPI ``amazon-sqs-extended-client``) as a peer process.

Run in its own process because importing ``sqs_extended_client`` replaces
``boto3.Session`` for the whole interpreter. The endpoint and credentials
come from the standard ``AWS_*`` environment variables.

    python _extended_client_peer.py send QUEUE_URL BUCKET TEXT_FILE
    python _extended_client_peer.py receive QUEUE_URL OUT_FILE
"""

from __future__ import annotations

import json
import sys

import boto3
import sqs_extended_client  # noqa: F401 - patches boto3.Session


def main(argv: list[str]) -> int:
    command, url = argv[0], argv[1]
    sqs = boto3.session.Session().client("sqs")
    sqs.delete_payload_from_s3 = True  # the Java client's default; Python's is False
    if command == "send":
        bucket, path = argv[2], argv[3]
        sqs.large_payload_support = bucket
        with open(path, encoding="utf-8") as source:
            sqs.send_message(QueueUrl=url, MessageBody=source.read())
        return 0
    response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=5)
    (message,) = response["Messages"]
    with open(argv[2], "w", encoding="utf-8") as out:
        out.write(message["Body"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    print(json.dumps({"attributes": sorted(message.get("MessageAttributes", {}))}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
