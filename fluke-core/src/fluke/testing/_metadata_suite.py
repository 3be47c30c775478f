"""Conformance tests of local and real (stored) user metadata."""

from __future__ import annotations

import pytest

from fluke._dir import Dir
from fluke.backend import StorageCapabilities
from fluke.exceptions import (
    InvalidFileError,
    NonStringMetadataKeyError,
    NonStringMetadataValueError,
)
from fluke.testing._fixtures import StorageFixtures
from fluke.testing._targets import StorageTarget


class MetadataSuite(StorageFixtures):
    """Local metadata on every backend; stored metadata where the backend has
    the ``user_metadata`` capability (skipped elsewhere)."""

    # -- metadata ------------------------------------------------------------

    def test_metadata_is_shared(self, tree: Dir) -> None:
        file = tree.get_file("a.txt")
        assert file.get_metadata() == {}
        tree.set_metadata("a.txt", {"k": "v"})
        assert file.get_metadata() == {"k": "v"}
        file.set_metadata({"x": "y"})
        assert tree.get_metadata("a.txt") == {"x": "y"}
        assert tree.get_file("a.txt").get_metadata() == {"x": "y"}
        copy = file.get_metadata()
        copy["mutated"] = "yes"
        assert "mutated" not in file.get_metadata()

    def test_metadata_validation(self, tree: Dir) -> None:
        file = tree.get_file("a.txt")
        with pytest.raises(NonStringMetadataKeyError, match="1"):
            file.set_metadata({1: "v"})  # type: ignore[dict-item]
        with pytest.raises(NonStringMetadataValueError, match="2"):
            tree.set_metadata("a.txt", {"k": 2})  # type: ignore[dict-item]
        assert file.get_metadata() == {}
        with pytest.raises(InvalidFileError, match="sub"):
            tree.set_metadata("sub", {"k": "v"})

    def test_real_metadata_round_trip(
        self, target: StorageTarget, capabilities: StorageCapabilities
    ) -> None:
        if not capabilities.user_metadata:
            pytest.skip("backend stores no user metadata")
        target.write("m.txt", b"m", metadata={"transfer": "True", "owner": "me"})
        with target.file("m.txt") as file:
            file.load_metadata()
            assert file.get_metadata() == {"transfer": "True", "owner": "me"}
        with target.dir("") as root:
            root.load_metadata(recursively=True)
            assert root.get_metadata("m.txt")["owner"] == "me"
