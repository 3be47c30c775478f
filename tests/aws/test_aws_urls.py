"""``fluke.dir/file/queue`` with ``s3://`` and ``sqs://`` URLs."""

from __future__ import annotations

from typing import Any

import pytest

import fluke
from fluke.exceptions import InvalidPathError
from fluke_aws.auth import AWSAuth
from fluke_aws.queues import AmazonSQSQueue
from fluke_aws.storage import AmazonS3Dir, AmazonS3File


def test_s3_urls(auth: AWSAuth, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="dir/f.txt", Body=b"url")
    with fluke.dir(f"s3://{bucket}", auth=auth) as root:
        assert isinstance(root, AmazonS3Dir) and root.get_path() == ""
        assert root.get_contents() == ["dir/"]
    with fluke.dir(f"s3://{bucket}/dir/", auth=auth) as sub:
        assert sub.get_path() == "dir/"
    with fluke.dir(f"s3://{bucket}/made", auth=auth, create_if_missing=True) as made:
        assert made.get_uri() == f"s3://{bucket}/made/"
    with fluke.file(f"s3://{bucket}/dir/f.txt", auth=auth) as file:
        assert isinstance(file, AmazonS3File) and file.read() == b"url"
    with pytest.raises(InvalidPathError, match="not a queue"):
        fluke.queue(f"s3://{bucket}", auth=auth)
    with pytest.raises(TypeError, match="AWSAuth"):
        fluke.dir(f"s3://{bucket}", auth="nope")


def test_sqs_urls(auth: AWSAuth, queue_name: str) -> None:
    with fluke.queue(f"sqs://{queue_name}", auth=auth) as queue:
        assert isinstance(queue, AmazonSQSQueue) and queue.get_name() == queue_name
        assert queue.count() == 0
    with pytest.raises(InvalidPathError, match="not storage"):
        fluke.dir(f"sqs://{queue_name}", auth=auth)
