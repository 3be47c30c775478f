"""Checksums computed while streaming, to compare with a backend's native one."""

from __future__ import annotations

import hashlib
import importlib
from typing import Any


class StreamDigest:
    """An incremental ``md5`` or ``crc32c`` (when ``google_crc32c`` is installed)."""

    def __init__(self, algorithm: str, state: Any) -> None:
        self.algorithm = algorithm
        self._state = state

    @classmethod
    def for_algorithm(cls, algorithm: str | None) -> StreamDigest | None:
        """A digest for ``algorithm``, or ``None`` when we cannot compute it."""
        if algorithm == "md5":
            return cls("md5", hashlib.md5(usedforsecurity=False))
        if algorithm == "crc32c":
            try:
                crc32c = importlib.import_module("google_crc32c")
            except ImportError:
                return None
            return cls("crc32c", crc32c.Checksum())
        return None

    def update(self, data: bytes) -> None:
        """Feed the next bytes."""
        self._state.update(data)

    def hexdigest(self) -> str:
        """The checksum in lower-case hexadecimal."""
        if self.algorithm == "crc32c":
            return str(self._state.digest().hex())
        return str(self._state.hexdigest())
