"""What Files and Dirs have in common: the session, open/close, caching."""

from __future__ import annotations

import logging
import warnings
from types import TracebackType
from typing import TypeVar

from fluke._session import Session

logger = logging.getLogger("fluke.storage")

_N = TypeVar("_N", bound="Node")


class Node:
    """Base of :class:`~fluke.storage.File` and :class:`~fluke.storage.Dir`.

    The instance a user constructs *owns* its session's connection; Files
    and subdirs handed out by a Dir borrow it, so closing them leaves the
    connection to its owner.
    """

    _session: Session
    _path: str
    _owner: bool = False

    def _bind(self, session: Session, path: str, *, owner: bool) -> None:
        self._session = session
        self._path = path
        self._owner = owner

    # -- identity ----------------------------------------------------------

    def get_path(self) -> str:
        """The full path (object stores: the key, without a leading ``/``)."""
        return self._path

    def get_uri(self) -> str:
        """The URI (``file:///...``, ``s3://bucket/key``, ``sftp://host/...``)."""
        return self._session.backend.uri(self._path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_uri()!r})"

    # -- connection --------------------------------------------------------

    def open(self) -> None:
        """Open the underlying connection now (it also opens on first use)."""
        self._session.backend.connect()

    def close(self) -> None:
        """Release the connection if this instance owns it."""
        if self._owner and hasattr(self, "_session"):
            self._session.backend.close()

    def __enter__(self: _N) -> _N:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        session = getattr(self, "_session", None)
        if session is None or not self._owner:
            return
        try:
            connected = session.backend.is_connected()
        except Exception:  # pragma: no cover - interpreter shutdown
            return
        if connected:
            warnings.warn(
                f"{type(self).__name__} for {self._path!r} was not closed; "
                "use close() or a with-statement.",
                ResourceWarning,
                stacklevel=2,
            )
            try:
                session.backend.close()
            except Exception:  # pragma: no cover - best effort at collection
                logger.debug("closing a collected backend failed", exc_info=True)

    # -- caching -----------------------------------------------------------

    def is_cacheable(self) -> bool:
        """Whether this instance was created with ``cache=True``."""
        return self._session.cache is not None

    def purge(self) -> None:
        """Drop cached listings, sizes and metadata."""
        self._session.purge()
