"""Server-side copies inside S3: CopyObject, or UploadPartCopy.

One ``CopyObject`` request copies an object of up to 5 GiB. Larger objects,
and every copy that must not replace an existing destination
(``overwrite=False``: CopyObject has no ``If-None-Match``), go through a
multipart upload of ``UploadPartCopy`` parts completed with
``If-None-Match: *`` when asked. A source ``version`` (its listed ETag) is
sent as ``CopySourceIfMatch`` on every request that reads the source, so S3
refuses to copy a source that was replaced. A refused condition aborts the
upload: nothing is written, and nothing is ever deleted.
"""

from __future__ import annotations

import logging
import mimetypes
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from fluke.backend import Checksum
from fluke_aws._errors import s3_errors, source_errors
from fluke_aws._etag import etag_checksum
from fluke_aws._metadata import check_metadata
from fluke_aws._s3writer import MAX_PARTS, abort_upload, commit_condition, refused_overwrite

if TYPE_CHECKING:
    from collections.abc import Mapping
    from contextlib import AbstractContextManager

    from fluke_aws._s3backend import S3Backend

__all__ = ["server_side_copy"]

logger = logging.getLogger("fluke.aws")

COPY_PARTS_IN_FLIGHT = 4


def server_side_copy(
    src: S3Backend,
    src_key: str,
    dst: S3Backend,
    dst_key: str,
    *,
    metadata: Mapping[str, str],
    size: int | None = None,
    version: str | None = None,
    overwrite: bool = True,
) -> Checksum | None:
    """Copy ``src_key`` of ``src``'s bucket to ``dst_key`` of ``dst``'s bucket.

    The copy's user metadata is replaced by ``metadata``; its content type
    is kept. No bytes travel through this process. With ``size`` known, a
    copy below the multipart threshold is one request (the content type is
    then the one a streamed copy would get, from the key's extension).

    :param version: copy only if the source's ETag is still this.
    :param overwrite: ``False``: refuse to replace an existing ``dst_key``.
    :return: the copy's checksum, when S3's answer carries one comparable
        with the source's (the ETag of CopyObject or of a single copied part).
    :raises InvalidMetadataError: S3 cannot store ``metadata`` (nothing was sent).
    :raises InvalidPathError: ``src_key`` does not exist (no ``version`` given).
    :raises SourceChangedError: the source no longer has ``version``.
    :raises OverwriteError: ``overwrite=False`` and ``dst_key`` exists.
    """
    extra: dict[str, Any] = {"Metadata": check_metadata(metadata, dst.uri(dst_key))}
    if_match = {} if version is None else {"IfMatch": version}
    if size is None:
        with source_errors(src.bucket, src_key, src.uri(src_key), version):
            head = src.client.head_object(Bucket=src.bucket, Key=src_key, **if_match)
        size = int(head.get("ContentLength", 0))
        if head.get("ContentType"):
            extra["ContentType"] = head["ContentType"]
    else:
        guessed = mimetypes.guess_type(dst_key)[0]
        if guessed is not None:
            extra["ContentType"] = guessed
    copy = _Copy(src, src_key, dst, dst_key, version)
    if overwrite and size <= src.multipart_copy_threshold:
        with copy.reading_source(), s3_errors(dst.bucket, key=dst_key):
            response = dst.client.copy_object(
                Bucket=dst.bucket,
                Key=dst_key,
                CopySource=copy.source,
                MetadataDirective="REPLACE",
                **copy.condition,
                **extra,
            )
        return etag_checksum(response.get("CopyObjectResult", {}).get("ETag"))
    return copy.multipart(size, extra, overwrite=overwrite)


class _Copy:
    """One copy's source, destination and source condition."""

    def __init__(
        self, src: S3Backend, src_key: str, dst: S3Backend, dst_key: str, version: str | None
    ) -> None:
        self.src = src
        self.src_key = src_key
        self.dst = dst
        self.dst_key = dst_key
        self.version = version
        self.source = {"Bucket": src.bucket, "Key": src_key}
        self.condition = {} if version is None else {"CopySourceIfMatch": version}

    def reading_source(self) -> AbstractContextManager[None]:
        """Translate errors of a request reading the source (412: it changed)."""
        return source_errors(
            self.dst.bucket, self.src_key, self.src.uri(self.src_key), self.version
        )

    def multipart(self, size: int, extra: dict[str, Any], *, overwrite: bool) -> Checksum | None:
        """UploadPartCopy in parts, then a (conditional) CompleteMultipartUpload.

        A single part copies the whole object (no range), so an empty
        object is copied too. Any failure aborts the upload.
        """
        dst = self.dst
        client = dst.client
        part_size = max(self.src.copy_part_size, -(-size // MAX_PARTS))
        count = max(1, -(-size // part_size))
        with s3_errors(dst.bucket, key=self.dst_key):
            upload_id = client.create_multipart_upload(
                Bucket=dst.bucket, Key=self.dst_key, **extra
            )["UploadId"]
        logger.debug(
            "multipart copy of %d bytes in %d part(s) to s3://%s/%s",
            size,
            count,
            dst.bucket,
            self.dst_key,
        )

        def copy_part(number: int) -> dict[str, Any]:
            ranged: dict[str, str] = {}
            if count > 1:
                start = (number - 1) * part_size
                ranged["CopySourceRange"] = f"bytes={start}-{min(start + part_size, size) - 1}"
            with self.reading_source():
                response = client.upload_part_copy(
                    Bucket=dst.bucket,
                    Key=self.dst_key,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource=self.source,
                    **self.condition,
                    **ranged,
                )
            return {"PartNumber": number, "ETag": response["CopyPartResult"]["ETag"]}

        pool = ThreadPoolExecutor(COPY_PARTS_IN_FLIGHT, thread_name_prefix="fluke-s3-copy")
        try:
            try:
                futures = [pool.submit(copy_part, number) for number in range(1, count + 1)]
                parts = [future.result() for future in futures]
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
            client.complete_multipart_upload(
                Bucket=dst.bucket,
                Key=self.dst_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                **commit_condition(overwrite),
            )
        except BaseException as error:
            abort_upload(client, dst.bucket, self.dst_key, upload_id)
            refused_overwrite(error, overwrite, dst.bucket, self.dst_key)
            raise
        # One part holds the whole content: its ETag is the content's MD5.
        return etag_checksum(parts[0]["ETag"]) if count == 1 else None
