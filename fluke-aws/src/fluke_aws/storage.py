"""``AmazonS3File`` and ``AmazonS3Dir``: the File/Dir API on an S3 bucket."""

from __future__ import annotations

from fluke import _paths
from fluke._dir import Dir
from fluke._file import File
from fluke.exceptions import InvalidBucketNameError  # also public here
from fluke_aws._bucket_name import check_bucket_name
from fluke_aws._s3backend import S3Backend
from fluke_aws.auth import AWSAuth

__all__ = ["AmazonS3Dir", "AmazonS3File", "InvalidBucketNameError", "S3Backend"]


class AmazonS3File(File):
    """A file (object) in an Amazon S3 bucket.

    :param auth: credentials, region and endpoint.
    :param bucket: the bucket's name.
    :param path: the object's key (no leading ``/``).
    :param load_metadata: fetch the object's user metadata now.
    :param cache: remember size and metadata until :meth:`purge`.
    :raises BucketNotFoundError: the bucket does not exist
        (``InvalidBucketNameError``, before any request: S3 allows no such name).
    :raises InvalidPathError: no object exists at ``path`` (or it starts with ``/``).
    :raises InvalidFileError: ``path`` is a directory (a prefix or marker).
    """

    def __init__(
        self,
        auth: AWSAuth,
        bucket: str,
        path: str,
        load_metadata: bool = False,
        cache: bool = False,
    ) -> None:
        key = _paths.normalise_object_path(path, is_dir=False)
        backend = S3Backend(auth, check_bucket_name(bucket))
        self._attach(backend, key, cache=cache, load_metadata=load_metadata)

    def get_bucket_name(self) -> str:
        """The name of the bucket the file is in."""
        backend = self._session.backend
        assert isinstance(backend, S3Backend)
        return backend.bucket


class AmazonS3Dir(Dir):
    """A directory (key prefix) in an Amazon S3 bucket.

    :param auth: credentials, region and endpoint.
    :param bucket: the bucket's name.
    :param path: the prefix (no leading ``/``); ``None`` is the whole bucket.
    :param cache: remember listings, sizes and metadata until :meth:`purge`.
    :param create_if_missing: create a zero-byte ``path/`` marker when the
        directory does not exist.
    :raises BucketNotFoundError: the bucket does not exist
        (``InvalidBucketNameError``, before any request: S3 allows no such name).
    :raises InvalidPathError: the directory is missing (and
        ``create_if_missing`` is false), or ``path`` starts with ``/``.
    :raises InvalidDirectoryError: ``path`` is a file.
    """

    file_class = AmazonS3File

    def __init__(
        self,
        auth: AWSAuth,
        bucket: str,
        path: str | None = None,
        cache: bool = False,
        create_if_missing: bool = False,
    ) -> None:
        prefix = _paths.normalise_object_path(path, is_dir=True)
        backend = S3Backend(auth, check_bucket_name(bucket))
        self._attach(backend, prefix, cache=cache, create_if_missing=create_if_missing)

    def get_bucket_name(self) -> str:
        """The name of the bucket the directory is in."""
        backend = self._session.backend
        assert isinstance(backend, S3Backend)
        return backend.bucket
