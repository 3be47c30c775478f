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
    pending: list[str] = []  # pieces of the current line (no re-splitting of long lines)
    for chunk in chunks:
        text = decoder.decode(chunk)
        if "\n" not in text:
            pending.append(text)
            continue
        first, *rest = text.split("\n")
        yield "".join(pending) + first
        yield from rest[:-1]
        pending = [rest[-1]]
    first, *rest = decoder.decode(b"", final=True).split("\n")
    yield "".join(pending) + first
    yield from rest
