"""The S3 storage backend: the primitives of :class:`fluke.backend.StorageBackend`.

"Directories" are key prefixes, optionally materialised by a zero-byte
``dir/`` marker object (what ``mkdir`` and ``create_if_missing=True``
create). Listings stream page by page (``ListObjectsV2``, 1,000 keys per
page) and never hold the whole bucket in memory.
"""

from __future__ import annotations

import functools
import heapq
import logging
import mimetypes
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

from fluke import _paths
from fluke.backend import Checksum, Entry, PartWriter, StorageBackend, StorageCapabilities, Writer
from fluke.exceptions import BucketNotFoundError, InvalidPathError
from fluke_aws._errors import (
    error_code,
    http_status,
    is_not_found,
    is_transient,
    raise_for_head,
    s3_errors,
    source_errors,
)
from fluke_aws._etag import etag_checksum
from fluke_aws._metadata import check_metadata
from fluke_aws._s3copy import server_side_copy
from fluke_aws._s3writer import MAX_PARTS, S3PartWriter, S3Writer
from fluke_aws.auth import AWSAuth

__all__ = ["S3Backend", "MIN_PART_SIZE", "MAX_PART_SIZE", "etag_checksum"]

logger = logging.getLogger("fluke.aws")

MiB = 1024 * 1024
MIN_PART_SIZE = 5 * MiB
MAX_PART_SIZE = 5 * 1024 * MiB


def check_bucket_name(bucket: object) -> str:
    """Refuse a bucket name that cannot be one (naming it in the error)."""
    if not isinstance(bucket, str) or not bucket or "/" in bucket or bucket != bucket.strip():
        raise InvalidPathError(repr(bucket), "is not a valid S3 bucket name")
    return bucket


class S3Backend(StorageBackend):
    """One S3 bucket, reached through one (lazily created) boto3 client.

    :param auth: the credentials, region and endpoint.
    :param bucket: the bucket's name.
    """

    capabilities = StorageCapabilities(
        user_metadata=True,
        server_side_copy=True,
        native_checksum="md5",
        directory_markers=True,
        remote=True,
        sorted_listing=True,
        max_concurrency=16,
        min_part_size=MIN_PART_SIZE,
        max_part_size=MAX_PART_SIZE,
    )

    #: Part size of multipart uploads when the caller gives none.
    default_part_size = 8 * MiB
    #: Objects larger than this are copied with UploadPartCopy (CopyObject's limit).
    multipart_copy_threshold = MAX_PART_SIZE
    #: Part size of multipart copies.
    copy_part_size = 512 * MiB

    def __init__(self, auth: AWSAuth, bucket: str) -> None:
        if not isinstance(auth, AWSAuth):
            raise TypeError(f"auth must be an AWSAuth, not {type(auth).__name__}")
        self.auth = auth
        self.bucket = check_bucket_name(bucket)
        self._lock = threading.Lock()
        self._client_instance: Any = None
        self._domain: str | None = None

    # -- identity and lifecycle ----------------------------------------------

    def uri(self, path: str) -> str:
        return f"s3://{self.bucket}/{path}"

    def copy_domain(self) -> str | None:
        """Same endpoint and same credentials: CopyObject works between the two."""
        if self._domain is None:
            identity = self.auth._identity()
            if identity is None:
                return None
            self._domain = f"s3|{self.client.meta.endpoint_url}|{identity}"
        return self._domain

    @property
    def client(self) -> Any:
        """The boto3 S3 client, created on first use."""
        client = self._client_instance
        if client is None:
            with self._lock:
                if self._client_instance is None:
                    self._client_instance = self.auth._client("s3")
                client = self._client_instance
        return client

    def connect(self) -> None:
        self.client  # noqa: B018 - creates the client

    def close(self) -> None:
        with self._lock:
            client, self._client_instance = self._client_instance, None
        if client is not None:
            client.close()

    def is_connected(self) -> bool:
        return self._client_instance is not None

    # -- metadata about paths ------------------------------------------------

    def _head(self, path: str) -> dict[str, Any] | None:
        """HEAD the object ``path``; ``None`` if it does not exist."""
        try:
            response: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=path)
        except ClientError as error:
            if is_not_found(error) or http_status(error) == 404:
                return None  # a missing bucket also answers 404 to HEAD
            ranged_get = functools.partial(
                self.client.get_object, Bucket=self.bucket, Key=path, Range="bytes=0-0"
            )
            raise_for_head(error, self.bucket, path, ranged_get)  # 403: never "missing"
            raise
        return response

    def check_bucket(self) -> None:
        """Raise unless the bucket can be reached.

        :raises BucketNotFoundError: the bucket does not exist.
        :raises PermissionDeniedError: the credentials may not use it (a 403
            is never reported as a missing bucket).
        """
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if http_status(error) == 404 or error_code(error) in ("404", "NoSuchBucket"):
                raise BucketNotFoundError(self.bucket) from error
            one_key = functools.partial(self.client.list_objects_v2, Bucket=self.bucket, MaxKeys=1)
            raise_for_head(error, self.bucket, None, one_key)
            raise

    def _has_prefix(self, prefix: str) -> bool:
        with s3_errors(self.bucket, key=prefix):
            response = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1)
        return bool(response.get("KeyCount", len(response.get("Contents", []))))

    def stat(self, path: str) -> Entry | None:
        if path == "":
            self.check_bucket()
            return Entry("", True)
        head = self._head(path)
        if head is not None and not path.endswith(_paths.SEP):
            return Entry(
                path,
                False,
                int(head.get("ContentLength", 0)),
                head["LastModified"].timestamp() if "LastModified" in head else None,
                etag_checksum(head.get("ETag")),
                head.get("ETag") or None,
            )
        directory = _paths.as_dir_path(path)
        if self._has_prefix(directory):
            return Entry(directory, True)
        return None

    def _pages(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        with s3_errors(self.bucket, key=kwargs.get("Prefix")):
            yield from paginator.paginate(Bucket=self.bucket, **kwargs)

    def list(self, path: str, recursive: bool) -> Iterator[Entry]:
        """Stream the listing page by page, in key order.

        Directory markers (keys ending with ``/``) are never yielded as files;
        non-recursively a subdirectory appears once, whether it is a marker,
        a prefix, or both.
        """
        if recursive:
            for page in self._pages(Prefix=path):
                for item in page.get("Contents", ()):
                    if not item["Key"].endswith(_paths.SEP):
                        yield self._file_entry(item)
            return
        for page in self._pages(Prefix=path, Delimiter=_paths.SEP):
            files = (
                self._file_entry(item)
                for item in page.get("Contents", ())
                if not item["Key"].endswith(_paths.SEP)  # the dir's own marker
            )
            dirs = (Entry(item["Prefix"], True) for item in page.get("CommonPrefixes", ()))
            # Both lists are sorted; S3 places each prefix at its first key.
            yield from heapq.merge(files, dirs, key=lambda entry: entry.path)

    @staticmethod
    def _file_entry(item: Mapping[str, Any]) -> Entry:
        modified = item.get("LastModified")
        return Entry(
            item["Key"],
            False,
            int(item.get("Size", 0)),
            modified.timestamp() if modified is not None else None,
            etag_checksum(item.get("ETag")),
            item.get("ETag") or None,
        )

    # -- reading ---------------------------------------------------------------

    @staticmethod
    def _if_match(version: str | None) -> dict[str, str]:
        """The GetObject precondition for ``version`` (an ETag as listed)."""
        return {} if version is None else {"IfMatch": version}

    def read_range(self, path: str, start: int, end: int, *, version: str | None = None) -> bytes:
        """One ranged GET (``If-Match: version`` when given).

        An empty range, or one starting at or past the end, is ``b""``; one
        ending past the end is cut there (as S3 answers it).

        :raises SourceChangedError: the object no longer has ``version``.
        """
        if start >= end:
            return b""  # S3 would ignore the empty range and send everything
        try:
            with source_errors(self.bucket, path, self.uri(path), version):
                response = self.client.get_object(
                    Bucket=self.bucket,
                    Key=path,
                    Range=f"bytes={start}-{end - 1}",
                    **self._if_match(version),
                )
        except ClientError as error:
            if error_code(error) == "InvalidRange":  # starts at or past the end
                return b""
            raise
        body = response["Body"]
        try:
            data: bytes = body.read()
        finally:
            body.close()
        return data

    def iter_chunks(
        self, path: str, chunk_size: int, size: int | None = None, *, version: str | None = None
    ) -> Iterator[bytes]:
        """One streaming GET, yielded in chunks of at most ``chunk_size`` bytes.

        With ``version``, the GET carries ``If-Match``; S3 then streams that
        version to the end even if the object is replaced meanwhile.

        :raises SourceChangedError: the object no longer has ``version``.
        """
        if size == 0:
            return
        with source_errors(self.bucket, path, self.uri(path), version):
            response = self.client.get_object(
                Bucket=self.bucket, Key=path, **self._if_match(version)
            )
        body = response["Body"]
        try:
            while data := body.read(chunk_size):
                yield data
        finally:
            body.close()

    # -- writing ---------------------------------------------------------------

    def _upload_arguments(self, path: str, metadata: Mapping[str, str] | None) -> dict[str, Any]:
        """``Metadata`` (checked: nothing is sent if S3 cannot store it) and ``ContentType``."""
        extra: dict[str, Any] = {"Metadata": check_metadata(metadata, self.uri(path))}
        content_type = mimetypes.guess_type(path)[0]
        if content_type is not None:
            extra["ContentType"] = content_type
        return extra

    def is_transient(self, error: BaseException) -> bool:
        """5xx answers, throttling and broken connections are retried."""
        return is_transient(error) or super().is_transient(error)

    def open_part_writer(
        self,
        path: str,
        *,
        size: int,
        part_size: int,
        metadata: Mapping[str, str] | None = None,
        overwrite: bool = True,
        mtime: float | None = None,
    ) -> PartWriter | None:
        """A multipart upload the engine fills with concurrent ``UploadPart`` calls.

        With ``overwrite=False`` the upload is completed with ``If-None-Match: *``.
        ``mtime`` is ignored (S3 sets its own modification time).

        :raises InvalidMetadataError: S3 cannot store ``metadata`` (nothing was sent).
        """
        extra = self._upload_arguments(path, metadata)
        if part_size < MIN_PART_SIZE or size > part_size * MAX_PARTS:
            return None
        with s3_errors(self.bucket, key=path):
            return S3PartWriter(self.client, self.bucket, path, extra=extra, overwrite=overwrite)

    def open_writer(
        self,
        path: str,
        *,
        metadata: Mapping[str, str] | None = None,
        part_size: int | None = None,
        size_hint: int | None = None,
        overwrite: bool = True,
        mtime: float | None = None,
    ) -> Writer:
        """A streaming write (one PUT, or a multipart upload above one part).

        With ``overwrite=False`` the PUT or the completion carries
        ``If-None-Match: *``. ``mtime`` is ignored (S3 sets its own).

        :raises InvalidMetadataError: S3 cannot store ``metadata`` (nothing was sent).
        """
        if part_size is not None:
            self.validate_part_size(part_size)
        extra = self._upload_arguments(path, metadata)
        return S3Writer(
            self.client,
            self.bucket,
            path,
            extra=extra,
            part_size=part_size,
            default_part_size=self.default_part_size,
            size_hint=size_hint,
            overwrite=overwrite,
        )

    def mkdir(self, path: str) -> None:
        """Create the zero-byte marker ``path`` (ending with ``/``)."""
        directory = _paths.as_dir_path(path)
        if directory in ("", _paths.SEP):
            return
        with s3_errors(self.bucket, key=directory):
            self.client.put_object(Bucket=self.bucket, Key=directory, Body=b"")

    def delete(self, path: str) -> None:
        with s3_errors(self.bucket, path):
            self.client.delete_object(Bucket=self.bucket, Key=path)

    def cleanup_leftovers(self, prefix: str, *, since: float, owned: Callable[[str], bool]) -> int:
        """Abort the unfinished multipart uploads under ``prefix`` to keys ``owned``.

        They are what a transfer killed mid-upload leaves (invisible, but
        billed until aborted). Keys the killed job did not plan, or had
        committed, are left alone. ``since`` is not used: an upload's
        ``Initiated`` time is the service's clock (and moto's is fixed).
        """
        aborted = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        with s3_errors(self.bucket, key=prefix):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for upload in page.get("Uploads", []):
                    if owned(upload["Key"]):
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted += 1
        return aborted

    def remove_dir(self, path: str) -> None:
        """Delete the ``dir/`` markers at and below ``path`` (a prefix vanishes with its keys)."""
        paginator = self.client.get_paginator("list_objects_v2")
        with s3_errors(self.bucket, key=path):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=path):
                markers = [
                    {"Key": item["Key"]}
                    for item in page.get("Contents", [])
                    if item["Key"].endswith(_paths.SEP)
                ]
                if markers:
                    self.client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": markers, "Quiet": True}
                    )

    # -- metadata --------------------------------------------------------------

    def get_metadata(self, path: str) -> dict[str, str]:
        """The object's ``x-amz-meta-*`` headers (S3 lower-cases their names)."""
        head = self._head(path)
        if head is None:
            raise InvalidPathError(path)
        return dict(head.get("Metadata", {}))

    def set_metadata(self, path: str, metadata: Mapping[str, str]) -> None:
        """Replace the user metadata with a server-side copy onto itself.

        :raises InvalidMetadataError: S3 cannot store ``metadata`` (nothing was sent).
        """
        server_side_copy(self, path, self, path, metadata=metadata)

    def checksum(self, path: str) -> Checksum | None:
        """The object's ETag (``"md5"`` for single-PUT objects, else ``"s3-etag"``)."""
        head = self._head(path)
        return etag_checksum(head.get("ETag")) if head is not None else None

    # -- server-side copy ------------------------------------------------------

    def copy_within(
        self,
        src_path: str,
        dst: StorageBackend,
        dst_path: str,
        *,
        metadata: Mapping[str, str] | None = None,
        size: int | None = None,
        version: str | None = None,
        overwrite: bool = True,
        mtime: float | None = None,
    ) -> Checksum | None:
        """CopyObject (UploadPartCopy above 5 GiB) into ``dst``'s bucket.

        The copy gets ``metadata`` as its user metadata (none when ``None``),
        like a streamed copy would. ``version`` becomes ``CopySourceIfMatch``;
        ``overwrite=False`` copies through a multipart upload completed with
        ``If-None-Match: *`` (CopyObject has no such condition). A refused
        condition writes nothing and deletes nothing. ``mtime`` is ignored.

        :raises SourceChangedError: the source no longer has ``version``.
        :raises OverwriteError: ``overwrite=False`` and the destination exists.
        :raises InvalidMetadataError: S3 cannot store ``metadata`` (nothing was sent).
        """
        if not isinstance(dst, S3Backend):
            raise TypeError(f"cannot copy server-side from S3 to {type(dst).__name__}")
        return server_side_copy(
            self,
            src_path,
            dst,
            dst_path,
            metadata=metadata or {},
            size=size,
            version=version,
            overwrite=overwrite,
        )
