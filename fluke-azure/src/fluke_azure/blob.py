"""The Azure Blob storage backend: one container of one storage account.

Directories are virtual, exactly as on the other object stores: a directory
exists when a blob name starts with ``dir/``, when a zero-byte ``dir/``
marker blob exists, or when a blob ``dir`` carries the metadata
``hdi_isfolder=true`` (the folder blobs ADLS Gen2 and Storage Explorer
create). Listings are hierarchical (prefix + ``/`` delimiter) and streamed
page by page; markers are never listed as files.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from azure.core import MatchConditions
from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from azure.storage.blob import BlobPrefix, BlobProperties

from fluke.backend import (
    Checksum,
    Entry,
    PartWriter,
    StorageBackend,
    StorageCapabilities,
    Writer,
)
from fluke.exceptions import (
    ContainerNotFoundError,
    FlukeError,
    InvalidPathError,
    OverwriteError,
    PathNotFoundError,
    SourceChangedError,
)
from fluke_azure._errors import (
    ERROR_CODES,
    AzureStorageError,
    convert,
    error_code,
    is_destination_condition_failure,
    is_source_condition_failure,
)
from fluke_azure._writer import MIB, BlockBlobWriter, BlockPartWriter, choose_block_size

if TYPE_CHECKING:
    from azure.storage.blob import BlobServiceClient, ContainerClient

    from fluke_azure.auth import AzureAuth

__all__ = ["AzureBlobBackend", "InvalidContainerNameError", "InvalidMetadataError"]

logger = logging.getLogger("fluke.azure")

SEP = "/"
#: Azure's largest block (Put Block), in bytes.
MAX_BLOCK_SIZE = 4000 * MIB
#: Concurrent GETs (of 4 MiB) within one large ranged read (measured: 2 beats 1 and 4).
READ_CONCURRENCY = 2
#: Blocks uploaded at once by one writer.
WRITER_CONCURRENCY = 8
#: Metadata flag of ADLS Gen2 / Storage Explorer folder blobs.
FOLDER_FLAG = "hdi_isfolder"

_CONTAINER_NAME = re.compile(r"^(\$root|\$web|\$logs|[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9])$")
_METADATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class InvalidContainerNameError(ContainerNotFoundError):
    """A container name Azure does not allow (so no such container exists)."""

    def __init__(self, container: object) -> None:
        self.container = str(container)
        Exception.__init__(
            self,
            f"Container {container!r} cannot exist: Azure container names are 3-63 "
            "lowercase letters, digits and single hyphens.",
        )


class InvalidMetadataError(FlukeError, ValueError):
    """Metadata Azure cannot store (keys must be C# identifiers, values ASCII)."""


def check_container_name(container: object) -> str:
    """``container`` if Azure allows that name, else :class:`InvalidContainerNameError`."""
    if not isinstance(container, str) or not _CONTAINER_NAME.match(container):
        raise InvalidContainerNameError(container)
    return container


def check_metadata(metadata: Mapping[str, str] | None, path: str) -> dict[str, str] | None:
    """Validate user metadata for Azure before anything is sent."""
    if not metadata:
        return None
    for key, value in metadata.items():
        if not _METADATA_KEY.match(key):
            raise InvalidMetadataError(
                f"Metadata key {key!r} of {path!r} is not allowed by Azure "
                "(letters, digits and '_', not starting with a digit)."
            )
        if not value.isascii() or "\r" in value or "\n" in value:
            raise InvalidMetadataError(
                f"Metadata value {value!r} (key {key!r}) of {path!r} is not allowed by Azure "
                "(ASCII text without line breaks)."
            )
    return dict(metadata)


def _is_folder(metadata: Mapping[str, str] | None) -> bool:
    if not metadata:
        return False
    return any(k.lower() == FOLDER_FLAG and v.lower() == "true" for k, v in metadata.items())


def _checksum(properties: BlobProperties) -> Checksum | None:
    settings = properties.content_settings
    md5 = getattr(settings, "content_md5", None) if settings is not None else None
    if not md5:
        return None
    return Checksum("md5", bytes(md5).hex())


def _mtime(properties: BlobProperties) -> float | None:
    modified = properties.last_modified
    return modified.timestamp() if modified is not None else None


def _file_entry(properties: BlobProperties) -> Entry:
    return Entry(
        str(properties.name),
        False,
        int(properties.size or 0),
        _mtime(properties),
        _checksum(properties),
        _etag(properties),
    )


def _etag(properties: BlobProperties) -> str | None:
    """The blob's ETag, the entry's ``version``, always in its quoted header form.

    Get Blob Properties answers ``"0x8D..."`` (the header), List Blobs
    ``0x8D...`` (XML); both name the same version.
    """
    etag = properties.etag
    if not etag:
        return None
    text = str(etag)
    return text if text.startswith(('"', "W/")) else f'"{text}"'


def _read_conditions(version: str | None) -> dict[str, Any]:
    """``If-Match: <version>`` keyword arguments for a download (none without a version)."""
    if version is None:
        return {}
    return {"etag": version, "match_condition": MatchConditions.IfNotModified}


def rechunk(pieces: Iterator[bytes], chunk_size: int) -> Iterator[bytes]:
    """Re-cut a stream of byte pieces into chunks of exactly ``chunk_size`` (last shorter)."""
    pending = b""
    for piece in pieces:
        if not piece:
            continue
        view = memoryview(piece)
        if pending:
            need = chunk_size - len(pending)
            pending += bytes(view[:need])
            view = view[need:]
            if len(pending) < chunk_size:
                continue
            yield pending
            pending = b""
        offset = 0
        while len(view) - offset >= chunk_size:
            yield bytes(view[offset : offset + chunk_size])
            offset += chunk_size
        pending = bytes(view[offset:])
    if pending:
        yield pending


class AzureBlobBackend(StorageBackend):
    """Primitive operations on one Azure Blob container.

    Connects lazily (one ``BlobServiceClient`` with its own connection pool,
    shared by every thread); :meth:`close` releases it.

    :param auth: the account's credentials.
    :param container: the container's name.
    """

    capabilities = StorageCapabilities(
        user_metadata=True,
        server_side_copy=True,
        native_checksum="md5",
        directory_markers=True,
        remote=True,
        sorted_listing=False,
        max_concurrency=16,
        max_part_size=MAX_BLOCK_SIZE,
    )

    def __init__(self, auth: AzureAuth, container: str) -> None:
        self.auth = auth
        self.container = check_container_name(container)
        self._lock = threading.Lock()
        self._service: BlobServiceClient | None = None
        self._client: ContainerClient | None = None

    # -- identity ----------------------------------------------------------

    def uri(self, path: str) -> str:
        """``abfss://container@account.dfs.core.windows.net/key`` (API.md)."""
        account = self.auth.get_account_name()
        return f"abfss://{self.container}@{account}.dfs.core.windows.net/{path}"

    def copy_domain(self) -> str | None:
        """Server-side copy works between containers of one account."""
        return "azure-blob:" + self.auth.blob_url.lower()

    # -- lifecycle ---------------------------------------------------------

    def _container(self) -> ContainerClient:
        client = self._client
        if client is not None:
            return client
        with self._lock:
            if self._client is None:
                self._service = self.auth.blob_service_client()
                self._client = self._service.get_container_client(self.container)
                logger.debug("connected to %s", self.uri(""))
            return self._client

    def connect(self) -> None:
        """Create the client now (it is otherwise created on first use)."""
        self._container()

    def close(self) -> None:
        """Release the client and its connections."""
        with self._lock:
            service, self._service, self._client = self._service, None, None
        if service is not None:
            service.close()

    def is_connected(self) -> bool:
        """Whether a client is currently held."""
        return self._client is not None

    # -- error handling ----------------------------------------------------

    @contextmanager
    def _calling(self, what: str, path: str | None = None) -> Iterator[None]:
        """Translate SDK errors through :data:`~fluke_azure._errors.ERROR_CODES`.

        A missing container or blob (``path`` given) becomes Fluke's "not
        found" error, a refusal a ``PermissionError`` naming ``path`` (else
        the container), the rest a redacted :class:`AzureStorageError`.
        """
        where = self.uri(path) if path is not None else f"container {self.container!r}"
        try:
            yield
        except ResourceNotFoundError as error:
            kind = ERROR_CODES.get(error_code(error) or "BlobNotFound")
            if kind is ContainerNotFoundError:
                raise ContainerNotFoundError(self.container) from None
            if path is not None and kind is PathNotFoundError:
                raise PathNotFoundError(path) from None
            raise convert(error, what, self.auth.secrets(), path=where) from None
        except AzureError as error:
            raise convert(
                error, what, self.auth.secrets(), endpoint=self.auth.blob_url, path=where
            ) from None

    # -- metadata about paths ---------------------------------------------

    def _properties(self, path: str) -> BlobProperties | None:
        try:
            with self._calling(f"Reading the properties of {self.uri(path)}", path):
                props: BlobProperties = (
                    self._container().get_blob_client(path).get_blob_properties()
                )
                return props
        except InvalidPathError:
            return None

    def stat(self, path: str) -> Entry | None:
        """A file entry, else a directory entry (prefix, marker, folder blob), else None."""
        if path == "":
            with self._calling(f"Reading container {self.container!r}"):
                try:
                    self._container().get_container_properties()
                except ResourceNotFoundError:
                    raise ContainerNotFoundError(self.container) from None
            return Entry("", True)
        props = self._properties(path)
        if props is not None:
            if _is_folder(props.metadata):
                return Entry(path + SEP, True, 0, _mtime(props))
            return _file_entry(props)
        prefix = path + SEP
        with self._calling(f"Listing {self.uri(prefix)}"):
            blobs = self._container().list_blobs(name_starts_with=prefix, results_per_page=1)
            first = next(iter(blobs), None)
        return Entry(prefix, True) if first is not None else None

    def list(self, path: str, recursive: bool) -> Iterator[Entry]:
        """Stream the entries under directory ``path`` page by page."""
        if recursive:
            return self._list_recursive(path)
        return self._list_level(path)

    def _list_recursive(self, path: str) -> Iterator[Entry]:
        with self._calling(f"Listing {self.uri(path)}"):
            blobs = self._container().list_blobs(
                name_starts_with=path or None, include=["metadata"]
            )
            for blob in blobs:
                name = str(blob.name)
                if name.endswith(SEP) or _is_folder(blob.metadata):
                    continue
                yield _file_entry(blob)

    def _list_level(self, path: str) -> Iterator[Entry]:
        seen_dirs: set[str] = set()
        with self._calling(f"Listing {self.uri(path)}"):
            items = self._container().walk_blobs(
                name_starts_with=path or None, include=["metadata"], delimiter=SEP
            )
            for item in items:
                name = str(item.name)
                if isinstance(item, BlobPrefix):
                    if name not in seen_dirs:
                        seen_dirs.add(name)
                        yield Entry(name, True)
                    continue
                if name == path or name.endswith(SEP):
                    continue  # this directory's own marker
                if _is_folder(item.metadata):
                    folder = name + SEP
                    if folder not in seen_dirs:
                        seen_dirs.add(folder)
                        yield Entry(folder, True, 0, _mtime(item))
                    continue
                yield _file_entry(item)

    # -- reading -----------------------------------------------------------

    @contextmanager
    def _reading(self, path: str, version: str | None) -> Iterator[None]:
        """:meth:`_calling` for reads: a failed ``If-Match`` is a changed source.

        A 412 means the blob no longer has ``version`` (or, without one,
        changed between the chunks of one download, which the SDK pins to
        the first answer's ETag). When a version was given, a blob that has
        vanished changed too.
        """
        what = f"Reading {self.uri(path)}"
        try:
            with self._calling(what, path):
                try:
                    yield
                except ResourceNotFoundError as error:
                    if version is not None and error_code(error) in (None, "BlobNotFound"):
                        raise SourceChangedError(self.uri(path), "has vanished") from None
                    raise
                except AzureError as error:
                    if is_source_condition_failure(error) or is_destination_condition_failure(
                        error
                    ):
                        raise SourceChangedError(self.uri(path)) from None
                    raise
        except SourceChangedError:
            logger.debug("%s: the source changed", what)
            raise

    def read_range(self, path: str, start: int, end: int, *, version: str | None = None) -> bytes:
        """Bytes ``[start, end)`` with one ranged GET (``If-Match: version`` when given).

        An empty range, or one starting at or past the end, is ``b""``; one
        ending past the end is cut there.
        """
        if start >= end:
            return b""
        with self._reading(path, version):
            blob = self._container().get_blob_client(path)
            length = end - start
            parallel = max(1, min(READ_CONCURRENCY, -(-length // (4 * MIB))))
            try:
                downloader = blob.download_blob(
                    offset=start,
                    length=length,
                    max_concurrency=parallel,
                    **_read_conditions(version),
                )
            except HttpResponseError as error:
                if error.status_code == 416:  # starts at or past the end
                    return b""
                raise
            data: bytes = downloader.readall()
            return data

    def iter_chunks(
        self, path: str, chunk_size: int, size: int | None = None, *, version: str | None = None
    ) -> Iterator[bytes]:
        """One streaming download (consistent by ETag), re-cut to ``chunk_size``.

        With ``version``, the first request already carries ``If-Match``; the
        SDK pins every later chunk to the ETag of the first answer, so a blob
        replaced mid-stream fails with :class:`SourceChangedError` either way.
        """
        if size == 0:
            return
        with self._reading(path, version):
            blob = self._container().get_blob_client(path)
            downloader = blob.download_blob(max_concurrency=1, **_read_conditions(version))
            yield from rechunk(downloader.chunks(), chunk_size)

    # -- writing -----------------------------------------------------------

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
        """A block-blob writer; nothing is visible before ``commit``.

        With ``overwrite=False`` the commit carries ``If-None-Match: *``, so
        the service refuses it (:class:`OverwriteError`) when the blob exists
        by then. ``mtime`` is ignored: Azure sets ``Last-Modified`` itself.
        """
        checked = check_metadata(metadata, path)
        if not path or path.endswith(SEP):
            raise InvalidPathError(path, "is not a file path")
        return BlockBlobWriter(
            self._container().get_blob_client(path),
            uri=self.uri(path),
            metadata=checked,
            block_size=choose_block_size(part_size, size_hint),
            max_concurrency=WRITER_CONCURRENCY,
            secrets=self.auth.secrets(),
            overwrite=overwrite,
            size_hint=size_hint,
        )

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
        """Blocks staged concurrently, committed in order at the end.

        ``overwrite`` and ``mtime`` are as for :meth:`open_writer`.
        """
        checked = check_metadata(metadata, path)
        if not path or path.endswith(SEP):
            raise InvalidPathError(path, "is not a file path")
        return BlockPartWriter(
            self._container().get_blob_client(path),
            uri=self.uri(path),
            metadata=checked,
            secrets=self.auth.secrets(),
            overwrite=overwrite,
        )

    def is_transient(self, error: BaseException) -> bool:
        """Connection trouble, timeouts, throttling and 5xx answers are retried."""
        if isinstance(error, AzureStorageError):
            return error.transient
        return super().is_transient(error)

    def mkdir(self, path: str) -> None:
        """Create a zero-byte ``dir/`` marker (the root needs none)."""
        if path in ("", SEP):
            return
        marker = path if path.endswith(SEP) else path + SEP
        with self._calling(f"Creating {self.uri(marker)}"):
            self._container().get_blob_client(marker).upload_blob(b"", overwrite=True)

    def delete(self, path: str) -> None:
        """Delete blob ``path`` (and its snapshots)."""
        with self._calling(f"Deleting {self.uri(path)}", path):
            self._container().get_blob_client(path).delete_blob(delete_snapshots="include")

    def remove_dir(self, path: str) -> None:
        """Delete the ``dir/`` markers and ``hdi_isfolder`` blobs at and below ``path``."""
        from azure.core.exceptions import ResourceNotFoundError

        container = self._container()
        with self._calling(f"Removing {self.uri(path)}"):
            names = [
                str(blob.name)
                for blob in container.list_blobs(
                    name_starts_with=path.rstrip(SEP) or None, include=["metadata"]
                )
                if (str(blob.name) + SEP).startswith(path)
                and (str(blob.name).endswith(SEP) or _is_folder(blob.metadata))
            ]
            for name in sorted(names, reverse=True):
                try:
                    container.get_blob_client(name).delete_blob()
                except ResourceNotFoundError:
                    continue

    def set_metadata(self, path: str, metadata: Mapping[str, str]) -> None:
        """Replace the user metadata of blob ``path``."""
        checked = check_metadata(metadata, path) or {}
        with self._calling(f"Setting the metadata of {self.uri(path)}", path):
            self._container().get_blob_client(path).set_blob_metadata(checked)

    def get_metadata(self, path: str) -> dict[str, str]:
        """The user metadata of blob ``path``."""
        props = self._properties(path)
        if props is None:
            raise InvalidPathError(path)
        return dict(props.metadata or {})

    def checksum(self, path: str) -> Checksum | None:
        """The blob's ``Content-MD5``, when it has one."""
        props = self._properties(path)
        return _checksum(props) if props is not None else None

    # -- server-side copy --------------------------------------------------

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
        """Copy inside the account with ``start_copy_from_url``, waiting for it.

        The destination gets ``metadata`` (none when ``None``, like a
        streamed copy). The source is read through a short-lived read SAS
        (shared key), the auth's SAS token, or a user delegation SAS (Entra
        ID credentials).

        The service checks the conditions before it copies anything:
        ``version`` becomes the source's ``x-ms-source-if-match``
        (:class:`SourceChangedError` when the source no longer has it) and
        ``overwrite=False`` the destination's ``If-None-Match: *``
        (:class:`OverwriteError` when the destination exists). Nothing is
        ever deleted here. ``mtime`` is ignored (object store).
        """
        if not isinstance(dst, AzureBlobBackend):
            raise TypeError(f"cannot copy server-side to {type(dst).__name__}")
        checked = check_metadata(metadata, dst_path)
        source = self._container().get_blob_client(src_path)
        sas = self.auth.read_sas_for(self.container, src_path, self._service)
        source_url = source.url + ("?" + sas if sas else "")
        target = dst._container().get_blob_client(dst_path)
        what = f"Copying {self.uri(src_path)} to {dst.uri(dst_path)}"
        conditions: dict[str, Any] = {}
        if version is not None:
            conditions["source_etag"] = version
            conditions["source_match_condition"] = MatchConditions.IfNotModified
        if not overwrite:
            conditions["match_condition"] = MatchConditions.IfMissing
        with dst._calling(what):
            try:
                started = target.start_copy_from_url(source_url, metadata=checked, **conditions)
            except AzureError as error:
                self._raise_copy_refusal(error, src_path, dst, dst_path, version, overwrite)
                raise
            status = str(started.get("copy_status") or "pending")
            delay = 0.05
            props: BlobProperties | None = None
            while status == "pending":
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
                props = target.get_blob_properties()
                status = str(props.copy.status or "success")
            if status != "success":
                raise AzureStorageError(f"{what} ended with status {status!r}")
            if checked is None:
                props = props or target.get_blob_properties()
                if props.metadata:
                    target.set_blob_metadata(
                        {}, etag=props.etag, match_condition=MatchConditions.IfNotModified
                    )
        return None

    def _raise_copy_refusal(
        self,
        error: AzureError,
        src_path: str,
        dst: AzureBlobBackend,
        dst_path: str,
        version: str | None,
        overwrite: bool,
    ) -> None:
        """Raise the Fluke error for a copy the service refused on a condition.

        Azure names a refused source condition ``SourceConditionNotMet``;
        Azurite answers ``ConditionNotMet`` for both sides. With both
        conditions set, such an ambiguous 412 is settled by the source's
        current ETag (a read; nothing is written either way).
        """
        src_uri, dst_uri = self.uri(src_path), dst.uri(dst_path)
        if version is not None:
            if is_source_condition_failure(error):
                raise SourceChangedError(src_uri) from None
            if isinstance(error, ResourceNotFoundError) and error_code(error) in (
                None,
                "BlobNotFound",
                "CannotVerifyCopySource",
            ):
                raise SourceChangedError(src_uri, "has vanished") from None
        if not is_destination_condition_failure(error):
            return
        if version is None:
            if not overwrite:
                raise OverwriteError(dst_uri) from None
            return
        if overwrite or self._current_version(src_path) != version:
            raise SourceChangedError(src_uri) from None
        raise OverwriteError(dst_uri) from None

    def _current_version(self, path: str) -> str | None:
        """The blob's ETag now (``None`` when it is gone)."""
        props = self._properties(path)
        return _etag(props) if props is not None else None
