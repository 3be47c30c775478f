"""Conformance tests of transfers between the backend and local disk."""

from __future__ import annotations

import os

import pytest

from fluke._dir import Dir
from fluke.backend import StorageCapabilities
from fluke.exceptions import (
    InvalidChunkSizeError,
    OverwriteError,
)
from fluke.local import LocalDir
from fluke.testing._fixtures import TREE, StorageFixtures
from fluke.testing._targets import StorageTarget


class TransferSuite(StorageFixtures):
    """``transfer_to`` in both directions, filters, overwrite, failures, metadata."""

    # -- transfers -----------------------------------------------------------

    def test_file_round_trip_through_local(
        self, tree: Dir, local: LocalDir, target: StorageTarget
    ) -> None:
        file = tree.get_file("b.bin")
        assert file.transfer_to(local, suppress_output=True)
        assert local.get_file("b.bin").read() == TREE["b.bin"]
        with target.dir("back/", create_if_missing=True) as back:
            assert local.get_file("b.bin").transfer_to(back, suppress_output=True)
            assert back.get_file("b.bin").read() == TREE["b.bin"]

    def test_dir_transfer_keeps_tree(self, tree: Dir, local: LocalDir) -> None:
        report = tree.transfer_to(local, recursively=True, suppress_output=True)
        assert report and len(report.transferred) == len(TREE)
        assert local.get_contents(recursively=True) == sorted(TREE)
        for path, data in TREE.items():
            assert local.get_file(path).read() == data

    def test_dir_transfer_top_level_only_and_filter(self, tree: Dir, local: LocalDir) -> None:
        assert tree.transfer_to(local, suppress_output=True)
        assert local.get_contents() == ["a.txt", "b.bin"]
        with LocalDir(local.get_path() + "filtered", create_if_missing=True) as filtered:
            result = tree.transfer_to(
                filtered,
                recursively=True,
                filter=lambda path: path.endswith(".txt"),
                suppress_output=True,
            )
            assert result
            assert filtered.get_contents(recursively=True) == sorted(
                p for p in TREE if p.endswith(".txt")
            )

    def test_transfer_into_backend(self, local: LocalDir, target: StorageTarget) -> None:
        for path, data in TREE.items():
            os.makedirs(os.path.dirname(local.get_path() + path), exist_ok=True)
            with open(local.get_path() + path, "wb") as handle:
                handle.write(data)
        with target.dir("in/", create_if_missing=True) as dst:
            assert local.transfer_to(dst, recursively=True, suppress_output=True)
            assert dst.get_contents(recursively=True) == sorted(TREE)
            assert dst.get_file("sub/deeper/d.txt").read() == TREE["sub/deeper/d.txt"]

    def test_overwrite(self, tree: Dir, target: StorageTarget) -> None:
        with target.dir("copy/", create_if_missing=True) as dst:
            assert tree.get_file("a.txt").transfer_to(dst, suppress_output=True)
            second = tree.get_file("a.txt").transfer_to(dst, suppress_output=True)
            assert not second
            assert isinstance(second.failed[0].error, OverwriteError)
            assert tree.get_file("a.txt").transfer_to(dst, overwrite=True, suppress_output=True)
            assert dst.get_file("a.txt").read() == TREE["a.txt"]

    def test_failures_do_not_stop_others(self, tree: Dir, target: StorageTarget) -> None:
        with target.dir("partial/", create_if_missing=True) as dst:
            assert tree.get_file("a.txt").transfer_to(dst, suppress_output=True)
            report = tree.transfer_to(dst, suppress_output=True)
            assert not report
            assert len(report.failed) == 1 and len(report.transferred) == 1
            assert dst.get_file("b.bin").read() == TREE["b.bin"]

    def test_metadata_travels(
        self, tree: Dir, target: StorageTarget, capabilities: StorageCapabilities
    ) -> None:
        if not capabilities.user_metadata:
            pytest.skip("backend stores no user metadata")
        with target.dir("meta/", create_if_missing=True) as dst:
            file = tree.get_file("a.txt")
            file.set_metadata({"colour": "blue"})
            assert file.transfer_to(dst, include_metadata=True, suppress_output=True)
            copied = dst.get_file("a.txt")
            copied.load_metadata()
            assert copied.get_metadata() == {"colour": "blue"}

    def test_transfer_with_chunk_size(self, tree: Dir, local: LocalDir) -> None:
        with pytest.raises(InvalidChunkSizeError):
            tree.transfer_to(local, chunk_size=0, suppress_output=True)
        assert local.get_contents() == []
