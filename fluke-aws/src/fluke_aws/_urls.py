"""Openers of ``s3://bucket/key`` and ``sqs://queue`` URLs (``fluke.dir`` & co).

Without an ``auth``, boto3's default credential chain (and
``AWS_ENDPOINT_URL``) applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, unquote

from fluke._urls import redact_url, reject_userinfo
from fluke.exceptions import InvalidPathError
from fluke_aws.auth import AWSAuth

__all__ = ["open_s3", "open_sqs"]


def _auth(auth: object | None) -> AWSAuth:
    if auth is None:
        return AWSAuth()
    if not isinstance(auth, AWSAuth):
        raise TypeError(f"s3:// and sqs:// URLs need an AWSAuth, not {type(auth).__name__}")
    return auth


def open_s3(parts: SplitResult, kind: str, auth: object | None, options: Mapping[str, Any]) -> Any:
    """``s3://bucket`` (the bucket), ``s3://bucket/prefix/`` or ``s3://bucket/key``.

    User-info (``s3://user:password@bucket``) is refused; the bucket's name
    is checked before any request (``InvalidBucketNameError``).
    """
    from fluke_aws.storage import AmazonS3Dir, AmazonS3File

    shown = redact_url(parts.geturl())
    reject_userinfo(parts, "s3://bucket/key")
    bucket = parts.netloc
    if not bucket:
        raise InvalidPathError(shown, "names no bucket (s3://bucket/key)")
    key = unquote(parts.path)[1:]  # drop the one '/' separating bucket and key
    cache = bool(options.get("cache", False))
    if kind == "dir":
        create = bool(options.get("create_if_missing", False))
        return AmazonS3Dir(_auth(auth), bucket, key or None, cache=cache, create_if_missing=create)
    if kind == "file":
        return AmazonS3File(_auth(auth), bucket, key, cache=cache)
    raise InvalidPathError(shown, "is a storage URL, not a queue")


def open_sqs(parts: SplitResult, kind: str, auth: object | None, options: Mapping[str, Any]) -> Any:
    """``sqs://queue-name`` (user-info, ``sqs://user:password@...``, is refused)."""
    from fluke_aws.queues import AmazonSQSQueue

    shown = redact_url(parts.geturl())
    reject_userinfo(parts, "sqs://queue-name")
    if kind != "queue":
        raise InvalidPathError(shown, "is a queue URL, not storage")
    name = parts.netloc or unquote(parts.path).strip("/")
    if not name or "/" in name:
        raise InvalidPathError(shown, "names no queue (sqs://queue-name)")
    return AmazonSQSQueue(_auth(auth), name)
