"""``GCPStorageFile`` and ``GCPStorageDir``: the File/Dir API on Google Cloud Storage."""

from __future__ import annotations

from fluke import _paths
from fluke._dir import Dir
from fluke._file import File
from fluke.exceptions import InvalidBucketNameError  # also public here
from fluke_gcp._backend import GCSBackend
from fluke_gcp._bucket_name import check_bucket_name
from fluke_gcp.auth import GCPAuth

__all__ = ["GCPStorageDir", "GCPStorageFile", "InvalidBucketNameError"]


def _backend(auth: GCPAuth, bucket: str) -> GCSBackend:
    """A backend whose bucket is known to exist (closed again if it does not).

    :raises InvalidBucketNameError: GCS allows no such name (no request is sent).
    """
    backend = GCSBackend(auth, check_bucket_name(bucket))
    try:
        backend.check_bucket()
    except BaseException:
        backend.close()
        raise
    return backend


class GCPStorageFile(File):
    """An object in a Google Cloud Storage bucket.

    :param auth: a :class:`~fluke.auth.GCPAuth`.
    :param bucket: the bucket's name.
    :param path: the object's key (no leading ``/``).
    :param load_metadata: fetch the object's metadata now.
    :param cache: remember size and metadata until :meth:`purge`.
    :raises BucketNotFoundError: the bucket does not exist or cannot be accessed.
    :raises InvalidPathError: no object at ``path`` (or ``path`` starts with ``/``).
    :raises InvalidFileError: ``path`` is a directory.
    """

    def __init__(
        self,
        auth: GCPAuth,
        bucket: str,
        path: str,
        load_metadata: bool = False,
        cache: bool = False,
    ) -> None:
        normalised = _paths.normalise_object_path(path, is_dir=False)
        backend = _backend(auth, bucket)
        self._attach(backend, normalised, cache=cache, load_metadata=load_metadata)

    def get_bucket_name(self) -> str:
        """The name of the bucket holding this file."""
        backend = self._session.backend
        assert isinstance(backend, GCSBackend)
        return backend.bucket_name


class GCPStorageDir(Dir):
    """A directory (key prefix) in a Google Cloud Storage bucket.

    :param auth: a :class:`~fluke.auth.GCPAuth`.
    :param bucket: the bucket's name.
    :param path: the prefix (no leading ``/``); ``None``: the whole bucket.
    :param cache: remember listings, sizes and metadata until :meth:`purge`.
    :param create_if_missing: create a ``dir/`` marker when nothing is there.
    :raises BucketNotFoundError: the bucket does not exist or cannot be accessed.
    :raises InvalidPathError: missing (and not ``create_if_missing``), or a leading ``/``.
    :raises InvalidDirectoryError: ``path`` is a file.
    """

    file_class = GCPStorageFile

    def __init__(
        self,
        auth: GCPAuth,
        bucket: str,
        path: str | None = None,
        cache: bool = False,
        create_if_missing: bool = False,
    ) -> None:
        normalised = _paths.normalise_object_path(path, is_dir=True)
        backend = _backend(auth, bucket)
        self._attach(backend, normalised, cache=cache, create_if_missing=create_if_missing)

    def get_bucket_name(self) -> str:
        """The name of the bucket this directory is in."""
        backend = self._session.backend
        assert isinstance(backend, GCSBackend)
        return backend.bucket_name
