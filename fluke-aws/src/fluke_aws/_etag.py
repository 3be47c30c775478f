"""What an S3 ETag says about an object's content."""

from __future__ import annotations

from fluke.backend import Checksum

__all__ = ["etag_checksum"]


def etag_checksum(etag: str | None) -> Checksum | None:
    """The :class:`Checksum` an ETag stands for.

    A single-PUT object's ETag is the MD5 of its content (``"md5"``); a
    multipart ETag (``<md5-of-md5s>-<parts>``) is only comparable with
    another ETag made with the same part size (``"s3-etag"``).
    """
    if not etag:
        return None
    value = etag.strip('"').lower()
    if "-" in value or len(value) != 32:
        return Checksum("s3-etag", value)
    return Checksum("md5", value)
