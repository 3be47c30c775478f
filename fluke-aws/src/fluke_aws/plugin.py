"""The hooks through which fluke-aws declares its names to Fluke.

Only ``"module:attribute"`` strings are returned, so discovering this plugin
imports neither boto3 nor botocore.
"""

from __future__ import annotations

from collections.abc import Mapping

from fluke.hookspecs import hookimpl


@hookimpl
def fluke_storage_classes() -> Mapping[str, str]:
    """Declare ``AmazonS3File`` and ``AmazonS3Dir``."""
    return {
        "AmazonS3File": "fluke_aws.storage:AmazonS3File",
        "AmazonS3Dir": "fluke_aws.storage:AmazonS3Dir",
    }


@hookimpl
def fluke_queue_classes() -> Mapping[str, str]:
    """Declare ``AmazonSQSQueue``."""
    return {"AmazonSQSQueue": "fluke_aws.queues:AmazonSQSQueue"}


@hookimpl
def fluke_auth_classes() -> Mapping[str, str]:
    """Declare ``AWSAuth``."""
    return {"AWSAuth": "fluke_aws.auth:AWSAuth"}


@hookimpl
def fluke_url_schemes() -> Mapping[str, str]:
    """Declare ``s3://bucket/key`` and ``sqs://queue``."""
    return {"s3": "fluke_aws._urls:open_s3", "sqs": "fluke_aws._urls:open_sqs"}
