"""Server-side copies inside S3: CopyObject, or UploadPartCopy above 5 GiB."""

from __future__ import annotations

import logging
import mimetypes
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from fluke.backend import Checksum
from fluke.exceptions import InvalidPathError
from fluke_aws._errors import s3_errors
from fluke_aws._etag import etag_checksum

if TYPE_CHECKING:
    from collections.abc import Mapping

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
) -> Checksum | None:
    """Copy ``src_key`` of ``src``'s bucket to ``dst_key`` of ``dst``'s bucket.

    The copy's user metadata is replaced by ``metadata``; its content type
    is kept. No bytes travel through this process. With ``size`` known, a
    copy below the multipart threshold is one request (the content type is
    then the one a streamed copy would get, from the key's extension).

    :return: the copy's ETag as a checksum, when CopyObject returns it.
    :raises InvalidPathError: ``src_key`` does not exist.
    """
    extra: dict[str, Any] = {"Metadata": dict(metadata)}
    if size is None:
        head = src._head(src_key)
        if head is None:
            raise InvalidPathError(src_key)
        size = int(head.get("ContentLength", 0))
        if head.get("ContentType"):
            extra["ContentType"] = head["ContentType"]
    else:
        guessed = mimetypes.guess_type(dst_key)[0]
        if guessed is not None:
            extra["ContentType"] = guessed
    source = {"Bucket": src.bucket, "Key": src_key}
    if size <= src.multipart_copy_threshold:
        with s3_errors(dst.bucket, src_key):
            response = dst.client.copy_object(
                Bucket=dst.bucket,
                Key=dst_key,
                CopySource=source,
                MetadataDirective="REPLACE",
                **extra,
            )
        return etag_checksum(response.get("CopyObjectResult", {}).get("ETag"))
    _multipart_copy(src, source, size, dst, dst_key, extra)
    return None


def _multipart_copy(
    src: S3Backend,
    source: dict[str, str],
    size: int,
    dst: S3Backend,
    dst_key: str,
    extra: dict[str, Any],
) -> None:
    client = dst.client
    part_size = max(src.copy_part_size, -(-size // 10_000))
    with s3_errors(dst.bucket):
        upload_id = client.create_multipart_upload(Bucket=dst.bucket, Key=dst_key, **extra)[
            "UploadId"
        ]
    logger.debug("multipart copy of %d bytes to s3://%s/%s", size, dst.bucket, dst_key)

    def copy_part(number: int) -> dict[str, Any]:
        start = (number - 1) * part_size
        end = min(start + part_size, size) - 1
        response = client.upload_part_copy(
            Bucket=dst.bucket,
            Key=dst_key,
            UploadId=upload_id,
            PartNumber=number,
            CopySource=source,
            CopySourceRange=f"bytes={start}-{end}",
        )
        return {"PartNumber": number, "ETag": response["CopyPartResult"]["ETag"]}

    count = -(-size // part_size)
    pool = ThreadPoolExecutor(COPY_PARTS_IN_FLIGHT, thread_name_prefix="fluke-s3-copy")
    try:
        try:
            futures = [pool.submit(copy_part, number) for number in range(1, count + 1)]
            parts = [future.result() for future in futures]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        client.complete_multipart_upload(
            Bucket=dst.bucket, Key=dst_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    except BaseException:
        client.abort_multipart_upload(Bucket=dst.bucket, Key=dst_key, UploadId=upload_id)
        raise
