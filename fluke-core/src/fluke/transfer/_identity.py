"""Deciding whether a destination file is already identical to its source.

``skip_identical`` (the CLI's ``--sync``) leaves a file alone only when it is
proven identical. The same size never proves it alone. In order:

1. Different sizes: different.
2. Both ends have a native checksum of the same algorithm (S3 -> S3, GCS ->
   GCS, Azure -> Azure with Content-MD5, S3 <-> GCS/Azure by ``md5``):
   equal checksums.
3. One end has a native ``md5``/``crc32c`` and the other is local disk:
   the local file is hashed with that algorithm and compared.
4. Both ends know a modification time and the destination keeps the times
   it is given (local disk and SFTP, which Fluke's copies set to the
   source's time): equal times, to the whole second when either end
   counts in whole seconds (as rsync and rclone do by default; two edits in
   one second of a whole-second backend are not told apart).
5. Otherwise: both files are read and hashed (``md5``), and compared.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from fluke.backend import Checksum, Entry, StorageBackend
from fluke.transfer._verify import StreamDigest

HASH_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Side:
    """One end of the comparison: its backend, path and what its listing said."""

    backend: StorageBackend
    path: str
    mtime: float | None
    checksum: Checksum | None


def is_identical(src: Side, dst: Side, size: int, dst_entry: Entry | None) -> bool:
    """Whether ``dst`` (described by ``dst_entry``) already holds ``src``'s ``size`` bytes."""
    if dst_entry is None or dst_entry.is_dir or dst_entry.size != size:
        return False
    src_sum = src.checksum or src.backend.checksum(src.path)
    dst_sum = dst.checksum or dst.backend.checksum(dst.path)
    if src_sum is not None and dst_sum is not None and src_sum.algorithm == dst_sum.algorithm:
        return src_sum.value == dst_sum.value
    local_verdict = _hash_local_side(src, src_sum, dst, dst_sum)
    if local_verdict is not None:
        return local_verdict
    if dst.backend.capabilities.preserves_mtime and src.mtime is not None and dst.mtime is not None:
        return _same_time(src.mtime, dst.mtime)
    return _hash(src) == _hash(dst)


def _hash_local_side(
    src: Side, src_sum: Checksum | None, dst: Side, dst_sum: Checksum | None
) -> bool | None:
    """Rule 3: hash the local end with the other end's native algorithm (or ``None``)."""
    for remote_sum, local in ((src_sum, dst), (dst_sum, src)):
        if remote_sum is None or local.backend.capabilities.remote:
            continue
        digest = StreamDigest.for_algorithm(remote_sum.algorithm)
        if digest is not None:
            return _hash(local, digest) == remote_sum.value
    return None


def _same_time(first: float, second: float) -> bool:
    if first.is_integer() or second.is_integer():
        return math.floor(first) == math.floor(second)
    return first == second


def _hash(side: Side, digest: StreamDigest | None = None) -> str:
    """Read ``side`` whole and hash it (``md5`` unless ``digest`` says otherwise)."""
    digest = digest or StreamDigest("md5", hashlib.md5(usedforsecurity=False))
    for chunk in side.backend.iter_chunks(side.path, HASH_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()
