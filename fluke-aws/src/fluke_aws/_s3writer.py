"""Streaming writes to S3: one PUT for small objects, multipart above a part.

Bytes are buffered up to one part. If the whole content fits in one part it
is sent with a single ``PutObject`` at :meth:`S3Writer.commit`; otherwise a
multipart upload is started and full parts are uploaded (a few at a time,
in background threads) as they fill. :meth:`S3Writer.abort` waits for the
parts in flight and aborts the upload, so no upload is left dangling and
nothing appears under the key.

Opened with ``overwrite=False``, both writers commit conditionally: the PUT
or ``CompleteMultipartUpload`` carries ``If-None-Match: *``, so S3 refuses
(412) to replace an object that exists by then; the upload is aborted and
:class:`~fluke.exceptions.OverwriteError` raised.
"""

from __future__ import annotations

import logging
import math
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from fluke.backend import Checksum, PartWriter, Writer
from fluke.exceptions import InvalidChunkSizeError, OverwriteError
from fluke_aws._errors import is_precondition_failed, raise_for, s3_errors
from fluke_aws._etag import etag_checksum

__all__ = [
    "MAX_PARTS",
    "S3PartWriter",
    "S3Writer",
    "abort_upload",
    "commit_condition",
    "refused_overwrite",
]

logger = logging.getLogger("fluke.aws")

#: S3 accepts at most this many parts in one multipart upload.
MAX_PARTS = 10_000
#: Parts uploaded concurrently by one writer.
PARTS_IN_FLIGHT = 4


def commit_condition(overwrite: bool) -> dict[str, str]:
    """The PutObject/CompleteMultipartUpload arguments of a no-clobber commit."""
    return {} if overwrite else {"IfNoneMatch": "*"}


def refused_overwrite(error: BaseException, overwrite: bool, bucket: str, key: str) -> None:
    """Raise :class:`OverwriteError` if ``error`` is S3 refusing a no-clobber commit.

    Any other error S3's error table maps (a refusal, bad credentials) is
    raised as that Fluke exception, with ``error`` as its cause.
    """
    if not overwrite and is_precondition_failed(error):
        raise OverwriteError(f"s3://{bucket}/{key}") from None
    raise_for(error, bucket, key)


def abort_upload(client: Any, bucket: str, key: str, upload_id: str) -> None:
    """Abort a multipart upload; a failure is logged (the caller is already failing)."""
    try:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except Exception:
        logger.warning(
            "aborting the multipart upload of s3://%s/%s failed", bucket, key, exc_info=True
        )


class S3Writer(Writer):
    """A write to one S3 key (see the module docstring).

    :param client: the boto3 S3 client.
    :param bucket: the bucket.
    :param key: the destination key.
    :param extra: ``Metadata``/``ContentType`` arguments for the PUT or upload.
    :param part_size: the caller's part size (already validated), or ``None``.
    :param default_part_size: the part size when the caller gives none.
    :param size_hint: the total size, when known.
    :param overwrite: ``False``: commit only if no object exists at ``key``.
    :raises InvalidChunkSizeError: ``part_size`` would need more than 10,000
        parts for ``size_hint`` bytes.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        *,
        extra: dict[str, Any],
        part_size: int | None,
        default_part_size: int,
        size_hint: int | None,
        overwrite: bool = True,
    ) -> None:
        if part_size is None:
            part_size = default_part_size
            if size_hint is not None and size_hint > part_size * MAX_PARTS:
                part_size = math.ceil(size_hint / MAX_PARTS)
        elif size_hint is not None and size_hint > part_size * MAX_PARTS:
            raise InvalidChunkSizeError(
                part_size, f"{size_hint} bytes would need more than {MAX_PARTS} S3 parts"
            )
        self._client = client
        self._bucket = bucket
        self._key = key
        self._extra = extra
        self._part_size = part_size
        self._size_hint = size_hint
        self._overwrite = overwrite
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[Future[dict[str, Any]]] = []
        self._pool: ThreadPoolExecutor | None = None
        self._slots = threading.BoundedSemaphore(PARTS_IN_FLIGHT)
        self._done = False

    @property
    def upload_id(self) -> str | None:
        """The id of the multipart upload, once one has started."""
        return self._upload_id

    @property
    def buffer_size(self) -> int:
        """The parts in flight and the part being filled (each sent as is, not copied).

        Bounded by the size hint: a file smaller than a part is buffered once.
        """
        size = self._size_hint if self._size_hint is not None else math.inf
        return int(min(size, self._part_size * (PARTS_IN_FLIGHT + 1)))

    def write(self, data: bytes) -> int:
        """Buffer ``data``; upload each part as it fills (at most one part buffered)."""
        if self._done:
            raise ValueError(f"write to s3://{self._bucket}/{self._key} after commit/abort")
        with memoryview(data) as view:
            while view:
                room = self._part_size - len(self._buffer)
                self._buffer += view[:room]
                view = view[room:]
                if len(self._buffer) >= self._part_size:
                    # the full buffer itself is the part (no copy); a new one is filled next
                    part, self._buffer = self._buffer, bytearray()
                    self._submit(part)
                    del part
        return len(data)

    def _submit(self, part: bytes | bytearray) -> None:
        if self._upload_id is None:
            with s3_errors(self._bucket, key=self._key):
                response = self._client.create_multipart_upload(
                    Bucket=self._bucket, Key=self._key, **self._extra
                )
            self._upload_id = response["UploadId"]
            self._pool = ThreadPoolExecutor(PARTS_IN_FLIGHT, thread_name_prefix="fluke-s3-part")
            logger.debug("multipart upload started for s3://%s/%s", self._bucket, self._key)
        for future in self._parts:  # surface a failed part early
            error = future.exception() if future.done() else None
            if error is not None:
                raise error
        self._slots.acquire()  # bounds the memory held by parts in flight
        number = len(self._parts) + 1
        assert self._pool is not None
        try:
            future = self._pool.submit(self._upload_part, number, part)
        except BaseException:
            self._slots.release()
            raise
        self._parts.append(future)

    def _upload_part(self, number: int, data: bytes | bytearray) -> dict[str, Any]:
        try:
            response = self._client.upload_part(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=data,
            )
            return {"PartNumber": number, "ETag": response["ETag"]}
        finally:
            self._slots.release()

    def commit(self) -> Checksum | None:
        """PUT the buffer, or complete the multipart upload (conditionally, see above).

        :raises OverwriteError: opened with ``overwrite=False`` and the key
            exists (the upload is aborted; the object is untouched).
        """
        if self._done:
            return None
        condition = commit_condition(self._overwrite)
        try:
            if self._upload_id is None:
                response = self._client.put_object(
                    Bucket=self._bucket,
                    Key=self._key,
                    Body=self._buffer,  # sent as is: nothing writes to it after commit
                    **self._extra,
                    **condition,
                )
            else:
                if self._buffer:
                    self._submit(self._buffer)
                parts = [future.result() for future in self._parts]
                response = self._client.complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": parts},
                    **condition,
                )
        except BaseException as error:
            self.abort()
            refused_overwrite(error, self._overwrite, self._bucket, self._key)
            raise
        self._finish()
        return etag_checksum(response.get("ETag"))

    def abort(self) -> None:
        if self._done:
            return
        self._finish()
        if self._upload_id is not None:
            abort_upload(self._client, self._bucket, self._key, self._upload_id)

    def _finish(self) -> None:
        self._done = True
        self._buffer = bytearray()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class S3PartWriter(PartWriter):
    """A multipart upload whose parts the transfer engine sends concurrently.

    The upload is created up front; :meth:`write_part` uploads part ``number``
    (from any thread, in any order); :meth:`commit` completes the upload with
    the parts in order; :meth:`abort` aborts it, so nothing is left dangling.
    With ``overwrite=False`` the completion is conditional (see the module docstring).
    """

    def __init__(
        self, client: Any, bucket: str, key: str, *, extra: dict[str, Any], overwrite: bool = True
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._overwrite = overwrite
        with s3_errors(bucket, key=key):
            response = client.create_multipart_upload(Bucket=bucket, Key=key, **extra)
        self.upload_id: str = response["UploadId"]
        self._etags: dict[int, str] = {}
        self._lock = threading.Lock()

    def write_part(self, number: int, offset: int, data: bytes) -> None:
        with s3_errors(self._bucket, key=self._key):
            response = self._client.upload_part(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=data,
            )
        with self._lock:
            self._etags[number] = response["ETag"]

    def commit(self) -> Checksum | None:
        """Complete the upload with its parts in order (conditionally, see above).

        :raises OverwriteError: opened with ``overwrite=False`` and the key
            exists (the upload is aborted; the object is untouched).
        """
        parts = [{"PartNumber": n, "ETag": etag} for n, etag in sorted(self._etags.items())]
        try:
            response = self._client.complete_multipart_upload(
                Bucket=self._bucket,
                Key=self._key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": parts},
                **commit_condition(self._overwrite),
            )
        except BaseException as error:
            self.abort()
            refused_overwrite(error, self._overwrite, self._bucket, self._key)
            raise
        return etag_checksum(response.get("ETag"))

    def abort(self) -> None:
        abort_upload(self._client, self._bucket, self._key, self.upload_id)
