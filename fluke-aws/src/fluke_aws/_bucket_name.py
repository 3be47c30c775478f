"""Checking S3 bucket names before any request is sent.

The rule is botocore's own client-side one (letters, digits, ``.``, ``-``,
``_``; 1-255 characters; or an access-point ARN), so every bucket S3 can hold,
legacy ``us-east-1`` names with capitals included, is accepted, and what
botocore would refuse with a multi-line ``ParamValidationError`` is refused
here with one line naming the bucket.
"""

from __future__ import annotations

import re

from fluke.exceptions import InvalidBucketNameError

__all__ = ["check_bucket_name"]

_BUCKET_NAME = re.compile(r"^[a-zA-Z0-9.\-_]{1,255}$")
_ACCESS_POINT_ARN = re.compile(r"^arn:[a-z-]+:(s3|s3-object-lambda|s3-outposts):\S+$")
_RULE = (
    "S3 bucket names are letters, digits, '.', '-' and '_' (3-63 lowercase ones for new buckets)"
)


def check_bucket_name(bucket: object) -> str:
    """``bucket`` if S3 allows that name, else ``InvalidBucketNameError``."""
    if not isinstance(bucket, str) or not (
        _BUCKET_NAME.match(bucket) or _ACCESS_POINT_ARN.match(bucket)
    ):
        raise InvalidBucketNameError(bucket, _RULE)
    return bucket
