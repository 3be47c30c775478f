"""Checking Google Cloud Storage bucket names before any request is sent.

GCS names are 3-63 lowercase letters, digits, ``-``, ``_`` and ``.``,
starting and ending with a letter or digit; names with dots may reach 222
characters, in dot-separated parts of at most 63.
"""

from __future__ import annotations

import re

from fluke.exceptions import BucketNotFoundError, InvalidPathError

__all__ = ["InvalidBucketNameError", "check_bucket_name"]

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$")


class InvalidBucketNameError(BucketNotFoundError, InvalidPathError):
    """A bucket name GCS does not allow (so no such bucket exists).

    Both a :class:`BucketNotFoundError` and an :class:`InvalidPathError`
    (the CLI exits with 2 either way).
    """

    def __init__(self, bucket: object) -> None:
        self.bucket = self.path = str(bucket)
        Exception.__init__(
            self,
            f"Bucket {bucket!r} cannot exist: GCS bucket names are 3-63 lowercase letters, "
            "digits, '-', '_' and '.', starting and ending with a letter or digit.",
        )


def check_bucket_name(bucket: object) -> str:
    """``bucket`` if GCS allows that name, else :class:`InvalidBucketNameError`."""
    if not isinstance(bucket, str) or not _BUCKET_NAME.match(bucket):
        raise InvalidBucketNameError(bucket)
    if any(len(part) > 63 for part in bucket.split(".")):
        raise InvalidBucketNameError(bucket)
    return bucket
