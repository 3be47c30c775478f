"""CRC32C as Google Cloud Storage reports it (big-endian, base64 in the JSON API)."""

from __future__ import annotations

import base64
from collections.abc import Callable

import google_crc32c

#: Test hook: when set, applied to every locally computed upload CRC32C
#: before it is compared with the server's. The test suite uses it to
#: simulate corruption in transit; production code never sets it.
local_digest_hook: Callable[[int], int] | None = None


class Crc32c:
    """A running CRC32C over streamed bytes."""

    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        """Extend the checksum with ``data``."""
        chunk = data if isinstance(data, bytes) else bytes(data)
        self._value = google_crc32c.extend(self._value, chunk)

    @property
    def value(self) -> int:
        """The checksum so far."""
        return self._value


def upload_digest(value: int) -> int:
    """The local upload checksum to compare (after :data:`local_digest_hook`, if set)."""
    hook = local_digest_hook
    return hook(value) if hook is not None else value


def to_hex(value: int) -> str:
    """``value`` as 8 lower-case hex digits."""
    return f"{value:08x}"


def from_base64(encoded: str) -> int:
    """Decode GCS's base64 big-endian CRC32C."""
    return int.from_bytes(base64.b64decode(encoded), "big")


def base64_to_hex(encoded: str) -> str:
    """GCS's base64 hash (crc32c or md5) as lower-case hex."""
    return base64.b64decode(encoded).hex()
