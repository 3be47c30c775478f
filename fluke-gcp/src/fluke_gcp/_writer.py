"""Streaming uploads: resumable sessions in 256 KiB-multiple chunks.

Nothing is visible under the destination name until the final chunk is
sent (GCS finalises a resumable upload only then); :meth:`GCSWriter.abort`
cancels the session. Content that never exceeds one chunk is sent in a
single request at :meth:`GCSWriter.commit`. The CRC32C of everything
written is computed while streaming and compared with the object's; on a
mismatch the object is deleted and :class:`~fluke.exceptions.TransferError`
is raised.

With ``overwrite=False`` both kinds of upload carry ``ifGenerationMatch=0``
(on the single request, or on the resumable session, which GCS checks when
it finalises): if an object exists under the name by then, GCS answers 412,
the session is cancelled and :class:`~fluke.exceptions.OverwriteError` is
raised, the existing object untouched.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fluke.backend import Checksum, Writer
from fluke.exceptions import OverwriteError, TransferError
from fluke_gcp import _crc
from fluke_gcp._errors import gcs_errors
from fluke_gcp._sdk import api_exceptions

if TYPE_CHECKING:
    from fluke_gcp._backend import GCSBackend

logger = logging.getLogger("fluke.gcp")

#: GCS resumable chunks (all but the last) must be multiples of this.
CHUNK_MULTIPLE = 256 * 1024
#: chunk size used when the caller gives none
DEFAULT_CHUNK = 64 * CHUNK_MULTIPLE  # 16 MiB
_RETRYABLE = {408, 429, 500, 502, 503, 504}
_ATTEMPTS = 4


def _persisted(response: Any) -> int:
    """Bytes the server holds, from a 308 response's ``Range: bytes=0-N``."""
    header = response.headers.get("Range")
    if not header:
        return 0
    return int(header.rsplit("-", 1)[1]) + 1


class GCSWriter(Writer):
    """One upload to ``gs://bucket/path``.

    :param backend: the backend (its client, HTTP session and bucket).
    :param path: the object name.
    :param metadata: user metadata stored with the object.
    :param part_size: chunk size, a multiple of 256 KiB (validated by the core).
    :param overwrite: ``False``: create only (``ifGenerationMatch=0``).
    :param size_hint: the total size, when known (bounds :attr:`buffer_size`).

    The writer buffers at most one chunk, and sends a copy of it: that is
    the :attr:`buffer_size` it declares to the transfer engine's memory budget.
    """

    def __init__(
        self,
        backend: GCSBackend,
        path: str,
        metadata: Mapping[str, str] | None,
        part_size: int | None,
        *,
        overwrite: bool = True,
        size_hint: int | None = None,
    ) -> None:
        self._backend = backend
        self._size_hint = size_hint
        self._if_generation_match = None if overwrite else 0
        self._path = path
        self._metadata = dict(metadata) if metadata else None
        self._part_size = part_size or DEFAULT_CHUNK
        self._buffer = bytearray()
        self._offset = 0  # bytes the server has persisted
        self._url: str | None = None
        self._crc = _crc.Crc32c()
        self._closed = False
        self._content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"

    # -- Writer ------------------------------------------------------------

    @property
    def buffer_size(self) -> int:
        """One chunk buffered plus the copy of it being sent (less for a smaller file)."""
        held = self._part_size
        if self._size_hint is not None:
            held = min(held, self._size_hint)
        return 2 * held

    def write(self, data: bytes) -> int:
        """Buffer ``data``; send a full chunk whenever more data follows it.

        The buffer never holds more than one chunk: the last chunk stays
        buffered until :meth:`commit`, which sends it as the final one.
        """
        if self._closed:
            raise ValueError(f"writer for {self._backend.uri(self._path)} is closed")
        self._crc.update(data)
        try:
            with gcs_errors(self._backend.uri(self._path)), memoryview(data) as view:
                while view:
                    if len(self._buffer) >= self._part_size:
                        self._send_chunk()
                    room = self._part_size - len(self._buffer)
                    self._buffer += view[:room]
                    view = view[room:]
        except api_exceptions.PreconditionFailed:
            self.abort()  # GCS may refuse the session at its creation already
            raise OverwriteError(self._backend.uri(self._path)) from None
        return len(data)

    def commit(self) -> Checksum | None:
        """Send what remains, finalise the object, verify and return its CRC32C."""
        if self._closed:
            raise ValueError(f"writer for {self._backend.uri(self._path)} is closed")
        self._closed = True
        try:
            with gcs_errors(self._backend.uri(self._path)):
                if self._url is None:
                    resource = self._single_upload()
                else:
                    resource = self._finalise()
        except api_exceptions.PreconditionFailed:
            self._cancel()
            raise OverwriteError(self._backend.uri(self._path)) from None
        except BaseException:
            self._cancel()
            raise
        finally:
            self._buffer = bytearray()
        return self._verify(resource)

    def abort(self) -> None:
        """Cancel the resumable session (if any); nothing becomes visible."""
        if self._closed:
            return
        self._closed = True
        self._buffer = bytearray()
        self._cancel()

    # -- internals ---------------------------------------------------------

    def _blob(self) -> Any:
        blob = self._backend.bucket().blob(self._path)
        blob.content_type = self._content_type
        if self._metadata:
            blob.metadata = self._metadata
        return blob

    def _single_upload(self) -> dict[str, Any]:
        blob = self._blob()
        size = len(self._buffer)
        blob.upload_from_file(
            io.BytesIO(bytes(self._buffer)),
            size=size,
            checksum=None,
            rewind=False,
            if_generation_match=self._if_generation_match,
        )
        logger.debug("uploaded %s in one request (%d bytes)", self._backend.uri(self._path), size)
        return dict(blob._properties)

    def _start(self) -> str:
        url: str = self._blob().create_resumable_upload_session(
            content_type=self._content_type,
            checksum=None,
            if_generation_match=self._if_generation_match,
        )
        logger.debug("started resumable upload of %s", self._backend.uri(self._path))
        return url

    def _consume(self, persisted: int) -> None:
        if persisted < self._offset or persisted > self._offset + len(self._buffer):
            raise TransferError(
                f"{self._backend.uri(self._path)}: server reports {persisted} bytes "
                f"persisted, expected {self._offset}..{self._offset + len(self._buffer)}"
            )
        del self._buffer[: persisted - self._offset]
        self._offset = persisted

    def _put(self, body: bytes, content_range: str) -> Any:
        """PUT to the session URL, retrying transient failures by querying status."""
        assert self._url is not None
        http = self._backend.http()
        headers = {"Content-Range": content_range}
        for attempt in range(_ATTEMPTS):
            try:
                response = http.put(self._url, data=body, headers=headers, timeout=120)
            except OSError as error:  # requests' ConnectionError/Timeout are OSErrors
                if attempt == _ATTEMPTS - 1:
                    raise
                logger.debug("chunk upload failed (%s); retrying", type(error).__name__)
            else:
                if response.status_code not in _RETRYABLE or attempt == _ATTEMPTS - 1:
                    return response
                logger.debug("chunk upload got HTTP %d; retrying", response.status_code)
            time.sleep(0.5 * 2**attempt)
            total = content_range.rsplit("/", 1)[1]
            body, headers = b"", {"Content-Range": f"bytes */{total}"}
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_chunk(self) -> None:
        if self._url is None:
            self._url = self._start()
        with memoryview(self._buffer) as view:
            chunk = bytes(view[: self._part_size])  # one copy (a slice would make two)
        end = self._offset + len(chunk) - 1
        response = self._put(chunk, f"bytes {self._offset}-{end}/*")
        if response.status_code != 308:
            raise api_exceptions.from_http_response(response)
        self._consume(_persisted(response))

    def _finalise(self) -> dict[str, Any]:
        total = self._offset + len(self._buffer)
        while True:
            if self._buffer:
                body = bytes(self._buffer)
                content_range = f"bytes {self._offset}-{total - 1}/{total}"
            else:
                body, content_range = b"", f"bytes */{total}"
            response = self._put(body, content_range)
            if response.status_code in (200, 201):
                self._url = None  # finished: nothing to cancel any more
                resource: dict[str, Any] = response.json()
                return resource
            if response.status_code != 308:
                raise api_exceptions.from_http_response(response)
            self._consume(_persisted(response))

    def _cancel(self) -> None:
        url, self._url = self._url, None
        if url is None:
            return
        try:
            self._backend.http().delete(url, timeout=60)
            logger.debug("cancelled resumable upload of %s", self._backend.uri(self._path))
        except Exception:  # best effort: an unfinished session expires on its own
            logger.debug("cancelling the upload session failed", exc_info=True)

    def _verify(self, resource: dict[str, Any]) -> Checksum | None:
        remote = resource.get("crc32c")
        if not remote:
            logger.debug("no crc32c returned for %s; not verified", self._path)
            return None
        local = _crc.upload_digest(self._crc.value)
        if _crc.from_base64(remote) == local:
            return Checksum("crc32c", _crc.to_hex(local))
        uri = self._backend.uri(self._path)
        generation = resource.get("generation")
        try:
            self._backend.bucket().blob(self._path).delete(
                if_generation_match=int(generation) if generation else None
            )
        except api_exceptions.GoogleAPIError:
            logger.warning("could not delete corrupted upload %s", uri, exc_info=True)
        raise TransferError(
            f"{uri}: crc32c mismatch after upload (local {_crc.to_hex(local)}, "
            f"server {_crc.base64_to_hex(remote)}); the object was deleted"
        )
