"""``AzureBlobFile`` and ``AzureBlobDir``: the File/Dir API on Azure Blob storage."""

from __future__ import annotations

from fluke._dir import Dir
from fluke._file import File
from fluke._paths import normalise_object_path
from fluke_azure.auth import AzureAuth
from fluke_azure.blob import AzureBlobBackend

__all__ = ["AzureBlobDir", "AzureBlobFile"]


def _backend(auth: AzureAuth, container: str) -> AzureBlobBackend:
    if not isinstance(auth, AzureAuth):
        raise TypeError(f"auth must be an AzureAuth, not {type(auth).__name__}")
    return AzureBlobBackend(auth, container)


class AzureBlobFile(File):
    """A blob in an Azure Storage container.

    :param auth: the account's credentials.
    :param container: the container's name.
    :param path: the blob's name (no leading ``/``).
    :param load_metadata: fetch the blob's metadata into the local dict now.
    :param cache: remember size and metadata until :meth:`purge`.
    :raises ContainerNotFoundError: the container does not exist.
    :raises InvalidPathError: no such blob, or ``path`` starts with ``/``.
    :raises InvalidFileError: ``path`` is a directory.
    """

    def __init__(
        self,
        auth: AzureAuth,
        container: str,
        path: str,
        load_metadata: bool = False,
        cache: bool = False,
    ) -> None:
        normalised = normalise_object_path(path, is_dir=False)
        backend = _backend(auth, container)
        self._attach(backend, normalised, cache=cache, load_metadata=load_metadata)

    def get_container_name(self) -> str:
        """The container's name."""
        backend = self._session.backend
        assert isinstance(backend, AzureBlobBackend)
        return backend.container


class AzureBlobDir(Dir):
    """A directory (a blob-name prefix) in an Azure Storage container.

    :param auth: the account's credentials.
    :param container: the container's name.
    :param path: the directory (``None``: the whole container; no leading ``/``).
    :param cache: remember listings, sizes and metadata until :meth:`purge`.
    :param create_if_missing: create a ``dir/`` marker when it is missing.
    :raises ContainerNotFoundError: the container does not exist.
    :raises InvalidPathError: it is missing (and not created), or starts with ``/``.
    :raises InvalidDirectoryError: ``path`` is a file.
    """

    file_class = AzureBlobFile

    def __init__(
        self,
        auth: AzureAuth,
        container: str,
        path: str | None = None,
        cache: bool = False,
        create_if_missing: bool = False,
    ) -> None:
        normalised = normalise_object_path(path, is_dir=True)
        backend = _backend(auth, container)
        try:
            if normalised:
                backend.stat("")  # a missing container is ContainerNotFoundError
            self._attach(backend, normalised, cache=cache, create_if_missing=create_if_missing)
        except BaseException:
            backend.close()
            raise

    def get_container_name(self) -> str:
        """The container's name."""
        backend = self._session.backend
        assert isinstance(backend, AzureBlobBackend)
        return backend.container
