"""Checking user metadata before it is sent to S3.

S3 stores user metadata as ``x-amz-meta-<key>`` HTTP headers. A key that is
not a header name (a space, a colon) breaks the request, an empty key is
dropped, a value with leading spaces is trimmed, and non-ASCII text is
refused by botocore with an untyped error. Everything is therefore checked
up front, before any byte is sent, and refused with
:class:`~fluke.exceptions.InvalidMetadataError` naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from fluke.exceptions import (
    InvalidMetadataError,
    NonStringMetadataKeyError,
    NonStringMetadataValueError,
)

__all__ = ["MAX_METADATA_BYTES", "check_metadata"]

#: S3's limit on user metadata: the UTF-8 bytes of every key and value, added up.
MAX_METADATA_BYTES = 2048

_KEY = re.compile(r"[A-Za-z0-9_.\-]+")
_VALUE = re.compile(r"(?:[!-~](?:[ -~]*[!-~])?)?")  # printable ASCII, not space-padded


def check_metadata(metadata: Mapping[str, str] | None, uri: str) -> dict[str, str]:
    """Return ``metadata`` as a dict if S3 can store it unchanged, else raise.

    Keys are letters, digits, ``-``, ``_`` and ``.`` (S3 lower-cases them,
    so two keys differing only in case are refused); values are printable
    ASCII without leading or trailing spaces; all of it is at most 2 KiB.

    :param uri: the object the metadata is for (named in the error).
    :raises InvalidMetadataError: a key or value S3 would refuse or alter.
    :raises NonStringMetadataKeyError: a key is not a ``str``.
    :raises NonStringMetadataValueError: a value is not a ``str``.
    """
    if not metadata:
        return {}
    seen: set[str] = set()
    total = 0
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise NonStringMetadataKeyError(key)
        if not isinstance(value, str):
            raise NonStringMetadataValueError(value, key)
        if not _KEY.fullmatch(key):
            raise InvalidMetadataError(
                key,
                f"of {uri!r} cannot be stored by S3 "
                "(a key is one or more letters, digits, '-', '_' or '.')",
            )
        if not _VALUE.fullmatch(value):
            shown = value if len(value) <= 60 else value[:57] + "..."
            raise InvalidMetadataError(
                key,
                f"of {uri!r} has the value {shown!r}, which S3 cannot store unchanged "
                "(printable ASCII without leading or trailing spaces)",
            )
        if key.lower() in seen:
            raise InvalidMetadataError(
                key, f"of {uri!r} differs from another key only in case (S3 lower-cases keys)"
            )
        seen.add(key.lower())
        total += len(key) + len(value)
        if total > MAX_METADATA_BYTES:
            raise InvalidMetadataError(
                key,
                f"of {uri!r} brings the user metadata over S3's limit of "
                f"{MAX_METADATA_BYTES} bytes",
            )
    return dict(metadata)
