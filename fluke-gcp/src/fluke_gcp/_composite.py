"""Parallel composite uploads: parts uploaded concurrently, then composed into one object.

What ``gcloud storage cp`` does for large files. The transfer engine hands
the parts to :meth:`GCSPartWriter.write_part` from several threads; each part
becomes a temporary object, uploaded in one request and checked against the
CRC32C of the bytes sent. :meth:`GCSPartWriter.commit` composes them (in
rounds of at most 32, the service's limit per request) into the destination,
which only then becomes visible, and always deletes every temporary object,
whether the compose succeeded or not; :meth:`GCSPartWriter.abort` deletes
them too.

The temporary objects live in a hidden directory next to the destination
(``dir/.fluke-tmp-<random>/00001``), so they need no permission beyond the
destination's own. With ``overwrite=False`` the final compose carries
``ifGenerationMatch=0``: an object that appeared under the name meanwhile
is kept and :class:`~fluke.exceptions.OverwriteError` is raised.

A composed object carries a CRC32C but no MD5 (as with ``gcloud``).
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import urllib.parse
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from fluke import _paths
from fluke.backend import Checksum, PartWriter
from fluke.exceptions import OverwriteError, TransferError
from fluke_gcp import _crc
from fluke_gcp._sdk import api_exceptions

if TYPE_CHECKING:
    from fluke_gcp._backend import GCSBackend

logger = logging.getLogger("fluke.gcp")

#: most source objects one compose request accepts
MAX_COMPOSE = 32
#: threads that delete the temporary objects
_DELETERS = 8


class GCSPartWriter(PartWriter):
    """One parallel composite upload to ``gs://bucket/path``.

    :param backend: the backend (its HTTP session and bucket).
    :param path: the destination object's name.
    :param size: the total size (the number of parts follows from it).
    :param part_size: the size of every part but the last.
    :param metadata: user metadata of the composed object.
    :param overwrite: ``False``: compose only if no object has the name.
    """

    def __init__(
        self,
        backend: GCSBackend,
        path: str,
        *,
        size: int,
        part_size: int,
        metadata: Mapping[str, str] | None,
        overwrite: bool,
    ) -> None:
        self._backend = backend
        self._path = path
        self._parts_expected = max(1, -(-size // part_size))
        self._metadata = dict(metadata) if metadata else None
        self._overwrite = overwrite
        parent = path.rsplit(_paths.SEP, 1)[0] + _paths.SEP if _paths.SEP in path else ""
        self._tmp = f"{parent}.fluke-tmp-{uuid.uuid4().hex}{_paths.SEP}"
        self._uploaded: dict[int, str] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"

    # -- PartWriter --------------------------------------------------------

    def write_part(self, number: int, offset: int, data: bytes) -> None:
        """Upload part ``number`` as a temporary object, CRC32C-checked."""
        if self._closed:
            raise ValueError(f"writer for {self._uri()} is closed")
        name = f"{self._tmp}{number:05d}"
        resource = self._backend._upload_media(name, data)
        crc = _crc.Crc32c()
        crc.update(data)
        remote = resource.get("crc32c")
        with self._lock:
            closed = self._closed
            if not closed:
                self._uploaded[number] = name
        if closed:  # aborted while this part was in flight: leave nothing behind
            self._delete([name])
            raise ValueError(f"writer for {self._uri()} is closed")
        if remote and _crc.from_base64(remote) != _crc.upload_digest(crc.value):
            raise TransferError(
                f"{self._uri()}: crc32c mismatch after uploading part {number} "
                f"(local {_crc.to_hex(crc.value)}, server {_crc.base64_to_hex(remote)})"
            )

    def commit(self) -> Checksum | None:
        """Compose the parts into the destination; delete every temporary object."""
        with self._lock:
            if self._closed:
                raise ValueError(f"writer for {self._uri()} is closed")
            self._closed = True
            names = [self._uploaded[n] for n in sorted(self._uploaded)]
        temporary = list(names)
        try:
            if len(names) != self._parts_expected:
                raise TransferError(
                    f"{self._uri()}: {len(names)} of {self._parts_expected} parts were uploaded"
                )
            if not self._overwrite and self._backend.stat(self._path) is not None:
                # ifGenerationMatch=0 below is what makes this race-free on GCS; the
                # look first also holds on emulators that ignore it on composes
                raise OverwriteError(self._uri())
            round_number = 0
            while len(names) > MAX_COMPOSE:  # compose in rounds: 32 sources at most each
                round_number += 1
                grouped = []
                for index in range(0, len(names), MAX_COMPOSE):
                    target = f"{self._tmp}r{round_number}-{index // MAX_COMPOSE:05d}"
                    self._backend._compose(names[index : index + MAX_COMPOSE], target)
                    temporary.append(target)
                    grouped.append(target)
                names = grouped
            try:
                resource = self._backend._compose(
                    names,
                    self._path,
                    content_type=self._content_type,
                    metadata=self._metadata,
                    if_generation_match=None if self._overwrite else 0,
                )
            except api_exceptions.PreconditionFailed:
                raise OverwriteError(self._uri()) from None
        finally:
            self._delete(temporary)
        logger.debug("composed %s from %d parts", self._uri(), self._parts_expected)
        remote = resource.get("crc32c")
        return Checksum("crc32c", _crc.base64_to_hex(remote)) if remote else None

    def abort(self) -> None:
        """Delete every part uploaded so far; nothing becomes visible."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            names = list(self._uploaded.values())
        self._delete(names)

    # -- internals ---------------------------------------------------------

    def _uri(self) -> str:
        return self._backend.uri(self._path)

    def _delete(self, names: list[str]) -> None:
        """Delete temporary objects, concurrently; a failure is logged, not raised."""
        if not names:
            return

        def delete(name: str) -> None:
            try:
                self._backend._delete_object(name)
            except Exception:  # best effort: report, go on with the others
                logger.warning(
                    "could not delete the temporary part %s", self._backend.uri(name), exc_info=True
                )

        with ThreadPoolExecutor(min(_DELETERS, len(names))) as pool:
            list(pool.map(delete, names))


def quote(name: str) -> str:
    """An object or bucket name as one URL path segment."""
    return urllib.parse.quote(name, safe="")


def compose_body(
    names: Sequence[str], content_type: str | None, metadata: Mapping[str, str] | None
) -> dict[str, Any]:
    """The JSON body of a compose request."""
    destination: dict[str, Any] = {}
    if content_type:
        destination["contentType"] = content_type
    if metadata:
        destination["metadata"] = dict(metadata)
    return {"sourceObjects": [{"name": name} for name in names], "destination": destination}
