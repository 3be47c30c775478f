"""Readers and writers keep memory bounded whatever the file's size (local disk)."""

from __future__ import annotations

import gc
import os
import tracemalloc
import warnings
from pathlib import Path

import pytest

from fluke.storage import LocalDir

MiB = 1024 * 1024
SIZE = 96 * MiB


def _peak(function: object) -> int:
    tracemalloc.start()
    try:
        function()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_writer_holds_about_one_chunk(tmp_path: Path) -> None:
    piece = os.urandom(MiB // 3)
    with LocalDir(str(tmp_path)) as directory:

        def write() -> None:
            with directory.writer("big.bin") as writer:
                for _ in range(SIZE // len(piece)):
                    writer.write(piece)

        peak = _peak(write)
    assert (tmp_path / "big.bin").stat().st_size == SIZE // len(piece) * len(piece)
    assert peak < 8 * MiB, peak


def test_reader_holds_at_most_its_buffer(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"r" * SIZE)
    with LocalDir(str(tmp_path)) as directory:
        file = directory.get_file("big.bin")

        def read() -> None:
            total = 0
            with file.reader(buffer_size=8 * MiB) as reader:
                while chunk := reader.read(MiB):
                    total += len(chunk)
            assert total == SIZE

        peak = _peak(read)
    assert peak < 8 * MiB + 4 * MiB, peak  # the buffer, plus one caller's chunk and slack


def test_a_writer_never_closed_is_aborted(tmp_path: Path) -> None:
    with LocalDir(str(tmp_path)) as directory:
        writer = directory.writer("lost.bin")
        writer.write(b"never visible")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            del writer
            gc.collect()
        assert any(issubclass(w.category, ResourceWarning) for w in caught)
        assert directory.get_contents() == []
    assert os.listdir(tmp_path) == []  # no temporary file either


def test_reader_and_writer_refuse_use_after_close(tmp_path: Path) -> None:
    with LocalDir(str(tmp_path)) as directory:
        with directory.writer("f.bin") as writer:
            writer.write(b"abc")
        with pytest.raises(ValueError, match="closed"):
            writer.write(b"more")
        reader = directory.get_file("f.bin").reader()
        reader.close()
        with pytest.raises(ValueError, match="closed"):
            reader.read()
