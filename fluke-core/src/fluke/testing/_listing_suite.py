"""Conformance tests of opening, naming and listing files and directories."""

from __future__ import annotations

import re

import pytest

from fluke._dir import Dir
from fluke.backend import StorageCapabilities
from fluke.exceptions import (
    InvalidDirectoryError,
    InvalidFileError,
    InvalidPathError,
    UnsafePathError,
)
from fluke.local import LocalDir
from fluke.testing._fixtures import TREE, StorageFixtures
from fluke.testing._targets import StorageTarget


class ListingSuite(StorageFixtures):
    """Construction errors, names and URIs, listings, sizes, path containment,
    symbolic links, caching and connections. Needs only the required primitives."""

    # -- construction and errors -------------------------------------------

    def test_missing_dir_raises(self, target: StorageTarget) -> None:
        with pytest.raises(InvalidPathError, match="nope"):
            target.dir("nope/")

    def test_dir_on_a_file_raises(self, tree: Dir, target: StorageTarget) -> None:
        with pytest.raises(InvalidDirectoryError, match="a.txt"):
            target.dir("a.txt")

    def test_file_on_a_dir_raises(self, tree: Dir, target: StorageTarget) -> None:
        with pytest.raises(InvalidFileError, match="sub"):
            target.file("sub")

    def test_missing_file_raises(self, tree: Dir, target: StorageTarget) -> None:
        with pytest.raises(InvalidPathError, match="missing.txt"):
            target.file("missing.txt")

    def test_get_file_and_subdir_errors(self, tree: Dir) -> None:
        with pytest.raises(InvalidPathError, match="zzz"):
            tree.get_file("zzz")
        with pytest.raises(InvalidFileError, match="sub"):
            tree.get_file("sub")
        with pytest.raises(InvalidDirectoryError, match="a.txt"):
            tree.get_subdir("a.txt")
        with pytest.raises(InvalidPathError, match="zzz"):
            tree.get_subdir("zzz")

    def test_relative_path_escaping_is_refused(self, tree: Dir) -> None:
        with pytest.raises(InvalidPathError, match=r"\.\./"):
            tree.get_file("../outside.txt")
        with pytest.raises(InvalidPathError, match=r"sub/\.\./\.\./x"):
            tree.path_exists("sub/../../x")

    # -- identity ------------------------------------------------------------

    def test_names_paths_and_uris(self, tree: Dir, target: StorageTarget) -> None:
        file = tree.get_file("sub/c.txt")
        assert file.get_name() == "c.txt"
        assert file.get_path() == target.full_path("sub/c.txt")
        assert file.get_uri().startswith(target.uri_scheme + "://")
        assert file.get_uri().endswith("sub/c.txt")
        sub = tree.get_subdir("sub")
        assert sub.get_name() == "sub"
        assert sub.get_path() == target.full_path("sub/")
        with target.file("sub/c.txt") as direct:
            assert direct.get_path() == file.get_path()

    # -- listing -------------------------------------------------------------

    def test_traverse_top_level(self, tree: Dir) -> None:
        assert tree.get_contents() == ["a.txt", "b.bin", "sub/", "sub2/"]
        assert list(tree.traverse()) == tree.get_contents()
        assert tree.count() == 4

    def test_traverse_recursively(self, tree: Dir) -> None:
        expected = sorted(TREE)
        assert tree.get_contents(recursively=True) == expected
        assert tree.count(recursively=True) == len(TREE)

    def test_show_abs_path(self, tree: Dir, target: StorageTarget) -> None:
        assert tree.get_contents(recursively=True, show_abs_path=True) == [
            target.full_path(path) for path in sorted(TREE)
        ]
        assert tree.get_contents(show_abs_path=True)[2] == target.full_path("sub/")

    def test_sizes(self, tree: Dir) -> None:
        top = sum(len(data) for path, data in TREE.items() if "/" not in path)
        assert tree.get_size() == top
        assert tree.get_size(recursively=True) == sum(len(data) for data in TREE.values())
        assert tree.get_file("b.bin").get_size() == 1024

    def test_subdir_listing(self, tree: Dir) -> None:
        sub = tree.get_subdir("sub")
        assert sub.get_contents() == ["c.txt", "deeper/"]
        assert sub.get_contents(recursively=True) == ["c.txt", "deeper/d.txt"]
        assert sub.get_subdir("deeper").get_file("d.txt").read() == b"delta delta"

    def test_ls(self, tree: Dir, capsys: pytest.CaptureFixture[str]) -> None:
        tree.ls()
        assert capsys.readouterr().out.split() == ["a.txt", "b.bin", "sub/", "sub2/"]
        tree.ls(recursively=True)
        lines = capsys.readouterr().out.splitlines()
        assert "   |__deeper/" in lines and "      |__d.txt" in lines  # 0.5.0's tree

    def test_path_exists_and_is_file(self, tree: Dir) -> None:
        assert tree.path_exists("a.txt") and tree.is_file("a.txt")
        assert tree.path_exists("sub") and not tree.is_file("sub")
        assert tree.path_exists("sub/") and tree.path_exists("sub/deeper/d.txt")
        assert not tree.path_exists("nothing") and not tree.is_file("nothing")
        assert tree.path_exists(tree.get_path() + "sub/c.txt")

    def test_empty_dir_counts_zero(self, target: StorageTarget) -> None:
        with target.dir("empty/", create_if_missing=True) as empty:
            assert empty.get_contents() == []
            assert empty.count(recursively=True) == 0
            assert empty.get_size(recursively=True) == 0

    # -- path containment and symbolic links (issue 17: findings 7, 8, 11) ------

    def test_absolute_path_escaping_is_refused(self, tree: Dir) -> None:
        sub = tree.get_subdir("sub")
        base = sub.get_path()
        escaping = [
            base + "../a.txt",
            base + "deeper/../../a.txt",
            base + ".//../sub2/e.txt",
            base + "../../x",
            "/etc/hostname",
        ]
        for path in escaping:
            for probe in (sub.get_file, sub.get_subdir, sub.path_exists, sub.is_file):
                with pytest.raises(UnsafePathError, match=re.escape(path)):
                    probe(path)
            with pytest.raises(UnsafePathError, match=re.escape(path)):
                sub.get_metadata(path)
            with pytest.raises(UnsafePathError, match=re.escape(path)):
                sub.set_metadata(path, {"k": "v"})
        with pytest.raises(UnsafePathError, match="sub2"):
            sub.get_subdir(base + "../sub2/")

    def test_absolute_paths_are_normalised_inside(self, tree: Dir) -> None:
        sub = tree.get_subdir("sub")
        base = sub.get_path()
        file = sub.get_file(base + "deeper/../c.txt")
        assert file.get_path() == base + "c.txt"
        assert file.read() == TREE["sub/c.txt"]
        assert sub.get_file(base + ".//deeper///d.txt").get_path() == base + "deeper/d.txt"
        assert sub.is_file(base + "deeper/./d.txt")
        assert sub.get_subdir(base + "deeper/../deeper/").get_path() == base + "deeper/"
        assert sub.path_exists(base + "deeper/..")
        sub.set_metadata(base + "./c.txt", {"k": "v"})
        assert sub.get_metadata(base + "c.txt") == {"k": "v"}

    def test_symbolic_links_stay_inside_the_listed_dir(
        self,
        tree: Dir,
        target: StorageTarget,
        local: LocalDir,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        target.symlink("sub/alias.txt", "c.txt")  # a file inside: listed as that file
        target.symlink("sub/leak.txt", "../a.txt")  # a file outside the listed dir
        target.symlink("sub/passwd", "/etc/passwd")
        target.symlink("sub/dangling", "missing")
        target.symlink("sub/loop", "loop")
        target.symlink("sub/deeplink", "deeper")  # directories: never listed
        target.symlink("sub/up", "..")
        sub = tree.get_subdir("sub")
        with caplog.at_level("WARNING"):
            assert sub.get_contents() == ["alias.txt", "c.txt", "deeper/"]
        for skipped in ("leak.txt", "passwd", "dangling", "loop", "up"):
            assert f"symbolic link {sub.get_path()}{skipped}:" in caplog.text
        expected = ["alias.txt", "c.txt", "deeper/d.txt"]
        assert sub.get_contents(recursively=True) == expected
        assert sub.count(recursively=True) == 3
        size = 2 * len(TREE["sub/c.txt"]) + len(TREE["sub/deeper/d.txt"])
        assert sub.get_size(recursively=True) == size
        assert sub.transfer_to(local, recursively=True, suppress_output=True)
        assert local.get_contents(recursively=True) == expected
        assert local.get_file("alias.txt").read() == TREE["sub/c.txt"]

    # -- caching -------------------------------------------------------------

    def test_cache_until_purge(
        self, tree: Dir, target: StorageTarget, capabilities: StorageCapabilities
    ) -> None:
        if not capabilities.remote:
            pytest.skip("caching applies to remote backends only")
        with target.dir("", cache=True) as cached:
            assert cached.is_cacheable()
            before = cached.count(recursively=True)
            target.write("late.txt", b"late")
            assert cached.count(recursively=True) == before
            cached.purge()
            assert cached.count(recursively=True) == before + 1
        assert not tree.is_cacheable()

    # -- connections -----------------------------------------------------------

    def test_context_manager_and_close(self, tree: Dir, target: StorageTarget) -> None:
        directory = target.dir("")
        directory.open()
        assert directory.count(recursively=True) == len(TREE)
        directory.close()
        with target.file("a.txt") as file:
            assert file.read() == TREE["a.txt"]
