"""Incremental decoding of byte chunks into lines."""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator


def iter_lines(chunks: Iterable[bytes], encoding: str) -> Iterator[str]:
    """Split decoded ``chunks`` on ``\\n`` (removed), decoding incrementally.

    A multi-byte character split across two chunks decodes correctly. The
    text after the last ``\\n`` is yielded too (``""`` when the text ends
    with a newline), exactly as ``text.split("\\n")`` would.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        yield from lines
    pending += decoder.decode(b"", final=True)
    yield from pending.split("\n")
