"""Conformance tests of what Fluke 0.5.0 users rely on (issue 16's shared fixes)."""

from __future__ import annotations

import re

import pytest

from fluke._dir import Dir
from fluke.backend import StorageCapabilities
from fluke.exceptions import InvalidFileError
from fluke.local import LocalDir
from fluke.testing._fixtures import StorageFixtures
from fluke.testing._targets import StorageTarget


class CompatSuite(StorageFixtures):
    """Behaviour 0.5.0 had that every backend keeps; mixed into ``StorageSuite``."""

    def test_copied_metadata_is_the_destination_dirs_local_metadata(
        self, target: StorageTarget, local: LocalDir, capabilities: StorageCapabilities
    ) -> None:
        """``include_metadata=True`` into a backend without native metadata."""
        if capabilities.user_metadata:
            pytest.skip("native metadata: the copy carries it (tested elsewhere)")
        path = local.get_path() + "meta.txt"
        with open(path, "wb") as handle:
            handle.write(b"with metadata")
        local.set_metadata("meta.txt", {"transfer": "True"})
        with target.dir("m/", create_if_missing=True) as dst:
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

    # -- Dir metadata on a path that is not a file (issue 16, fix 1) ---------

    @pytest.mark.parametrize("path", ["nothing.txt", "sub/nothing.txt", "sub", "sub/"])
    def test_dir_metadata_of_a_non_file_is_invalid_file(self, tree: Dir, path: str) -> None:
        """API.md (and 0.5.0): ``InvalidFileError``, naming the path, nothing stored."""
        with pytest.raises(InvalidFileError, match=re.escape(path.rstrip("/"))):
            tree.get_metadata(path)
        with pytest.raises(InvalidFileError, match=re.escape(path.rstrip("/"))):
            tree.set_metadata(path, {"k": "v"})
        assert not tree.path_exists("nothing.txt")
        assert not tree.path_exists("sub/nothing.txt")

    # -- Dir.ls prints what 0.5.0 printed (issue 16, fix 5) ------------------

    def test_ls_prints_a_blank_line_then_the_top_level(
        self, tree: Dir, capsys: pytest.CaptureFixture[str]
    ) -> None:
        tree.ls()
        assert capsys.readouterr().out == "\na.txt\nb.bin\nsub/\nsub2/\n"
        tree.ls(show_abs_path=True)
        lines = [tree.get_path() + name for name in ("a.txt", "b.bin", "sub/", "sub2/")]
        assert capsys.readouterr().out == "\n" + "".join(line + "\n" for line in lines)

    def test_ls_recursively_prints_0_5_0s_tree(
        self, tree: Dir, capsys: pytest.CaptureFixture[str]
    ) -> None:
        tree.ls(recursively=True)
        name = tree.get_name()
        root = "/" if name is None else name + "/"
        assert capsys.readouterr().out == f"\n{root}\n{_TREE_BELOW_ROOT}"
        tree.ls(recursively=True, show_abs_path=True)
        root = "/" if name is None else tree.get_path()
        assert capsys.readouterr().out == f"\n{root}\n{_TREE_BELOW_ROOT}"

    def test_ls_recursively_on_a_subdir(
        self, tree: Dir, capsys: pytest.CaptureFixture[str]
    ) -> None:
        sub = tree.get_subdir("sub")
        sub.ls(recursively=True)
        assert capsys.readouterr().out == "\nsub/\n|__c.txt\n|__deeper/\n   |__d.txt\n"
        sub.ls(recursively=True, show_abs_path=True)
        assert capsys.readouterr().out == f"\n{sub.get_path()}\n|__c.txt\n|__deeper/\n   |__d.txt\n"

    def test_ls_of_an_empty_dir(
        self, target: StorageTarget, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with target.dir("empty/", create_if_missing=True) as empty:
            empty.ls()
            assert capsys.readouterr().out == "\n"
            empty.ls(recursively=True)
            assert capsys.readouterr().out == "\nempty/\n"


#: what 0.5.0's ``ls(recursively=True)`` printed below the root for ``TREE``
_TREE_BELOW_ROOT = (
    "|__a.txt\n"
    "|__b.bin\n"
    "|__sub/\n"
    "   |__c.txt\n"
    "   |__deeper/\n"
    "      |__d.txt\n"
    "|__sub2/\n"
    "   |__e.txt\n"
)
