"""Make the moto test server honour ``x-amz-copy-source-if-match`` as S3 does.

moto 5.2.5 checks ``If-Match``/``If-None-Match`` on GetObject, PutObject and
CompleteMultipartUpload, but ignores ``x-amz-copy-source-if-match`` on
CopyObject and UploadPartCopy, where S3 answers ``412 PreconditionFailed``
when the source's ETag differs. This adds that one check to the server (in
this process, where ``ThreadedMotoServer`` runs); the client side (boto3,
fluke-aws) is untouched and talks HTTP to it as to S3.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from moto.s3.exceptions import PreconditionFailed
from moto.s3.responses import S3Response

__all__ = ["honour_copy_source_if_match"]

_HEADER = "x-amz-copy-source-if-match"


def _source_etag(response: Any) -> str | None:
    """The ETag of the object named by the request's ``x-amz-copy-source``."""
    copy_source = response.headers.get("x-amz-copy-source")
    if isinstance(copy_source, bytes):
        copy_source = copy_source.decode("utf-8")
    parsed = urlparse(copy_source)
    bucket, key = unquote(parsed.path).lstrip("/").split("/", 1)
    version_id = parse_qs(parsed.query).get("versionId", [None])[0]
    found = response.backend.get_object(bucket, key, version_id=version_id)
    return None if found is None else str(found.etag)


def _checked(method: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(method)
    def check_then_copy(self: Any) -> Any:
        expected = self.headers.get(_HEADER)
        if expected is not None:
            etag = _source_etag(self)
            if etag is not None and etag.strip('"') != expected.strip('"'):
                raise PreconditionFailed("x-amz-copy-source-If-Match")
        return method(self)

    check_then_copy._fluke_copy_source_if_match = True  # type: ignore[attr-defined]
    return check_then_copy


def honour_copy_source_if_match() -> None:
    """Wrap moto's CopyObject and UploadPartCopy handlers (once)."""
    for name in ("copy_object", "upload_part_copy"):
        method = getattr(S3Response, name)
        if not getattr(method, "_fluke_copy_source_if_match", False):
            setattr(S3Response, name, _checked(method))
