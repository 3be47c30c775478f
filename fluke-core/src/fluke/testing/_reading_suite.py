"""Conformance tests of reading files through the user API."""

from __future__ import annotations

import pytest

from fluke._dir import Dir
from fluke.testing._fixtures import TREE, StorageFixtures
from fluke.testing._targets import StorageTarget


class ReadingSuite(StorageFixtures):
    """``read``, ``read_range``, chunks, text and lines, empty files."""

    # -- reading -------------------------------------------------------------

    def test_read_variants(self, tree: Dir) -> None:
        file = tree.get_file("b.bin")
        data = TREE["b.bin"]
        assert file.read() == data
        assert file.read_range(10, 20) == data[10:20]
        assert file.read_range(None, 5) == data[:5]
        assert file.read_range(1000, None) == data[1000:]
        assert file.read_range(1000, 5000) == data[1000:]
        assert file.read_range(20, 10) == b""
        assert file.read_range(5000, 6000) == b""
        assert b"".join(file.read_chunks(100)) == data
        assert all(len(chunk) <= 100 for chunk in file.read_chunks(100))

    def test_read_text_and_lines(self, tree: Dir, capsys: pytest.CaptureFixture[str]) -> None:
        file = tree.get_file("sub2/e.txt")
        text = TREE["sub2/e.txt"].decode()
        assert file.read_text() == text
        assert list(file.read_lines()) == text.split("\n")
        for chunk_size in (1, 2, 3, 5):
            assert list(file.read_lines(chunk_size=chunk_size)) == text.split("\n")
        file.cat()
        assert capsys.readouterr().out == text + "\n"

    def test_empty_file(self, target: StorageTarget) -> None:
        target.write("empty.txt", b"")
        with target.file("empty.txt") as file:
            assert file.get_size() == 0
            assert file.read() == b""
            assert list(file.read_lines()) == [""]
