"""Checking Google Cloud Storage bucket names before any request is sent.

GCS names are 3-63 lowercase letters, digits, ``-``, ``_`` and ``.``,
starting and ending with a letter or digit; names with dots may reach 222
characters, in dot-separated parts of at most 63.
"""

from __future__ import annotations

import re

from fluke.exceptions import InvalidBucketNameError

__all__ = ["check_bucket_name"]

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")
_RULE = (
    "GCS bucket names are 3-63 lowercase letters, digits, '-', '_' and '.', "
    "starting and ending with a letter or digit"
)


def check_bucket_name(bucket: object) -> str:
    """``bucket`` if GCS allows that name, else ``InvalidBucketNameError``."""
    if not isinstance(bucket, str) or not _BUCKET_NAME.match(bucket):
        raise InvalidBucketNameError(bucket, _RULE)
    if any(len(part) > 63 for part in bucket.split(".")):
        raise InvalidBucketNameError(bucket, _RULE)
    return bucket
