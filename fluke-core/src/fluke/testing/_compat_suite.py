"""Conformance tests of what Fluke 0.5.0 users rely on (issue 16's shared fixes)."""

from __future__ import annotations

import pytest

from fluke.local import LocalDir
from fluke.testing._targets import StorageTarget


class CompatSuite:
    """Behaviour 0.5.0 had that every backend keeps; mixed into ``StorageSuite``."""

    def test_copied_metadata_is_the_destination_dirs_local_metadata(
        self, target: StorageTarget, local: LocalDir
    ) -> None:
        """``include_metadata=True`` into a backend without native metadata."""
        path = local.get_path() + "meta.txt"
        with open(path, "wb") as handle:
            handle.write(b"with metadata")
        local.set_metadata("meta.txt", {"transfer": "True"})
        with target.dir("m/", create_if_missing=True) as dst:
            if dst._session.backend.capabilities.user_metadata:
                pytest.skip("native metadata: the copy carries it (tested elsewhere)")
            assert local.transfer_to(dst, include_metadata=True, suppress_output=True)
            assert dst.get_metadata("meta.txt") == {"transfer": "True"}
            with dst.get_file("meta.txt") as copy:
                assert copy.get_metadata() == {"transfer": "True"}

    def test_metadata_copied_to_local_disk_is_kept_there(
        self, target: StorageTarget, local: LocalDir
    ) -> None:
        target.write("m/meta.txt", b"with metadata", {"transfer": "True"})
        with target.dir("m/") as src:
            src.set_metadata("meta.txt", {"transfer": "True"})
            assert src.transfer_to(local, include_metadata=True, suppress_output=True)
        assert local.get_metadata("meta.txt") == {"transfer": "True"}
