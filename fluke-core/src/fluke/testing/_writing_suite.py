"""Conformance tests of creating and removing directories."""

from __future__ import annotations

from fluke._dir import Dir
from fluke.backend import StorageBackend
from fluke.testing._fixtures import StorageFixtures
from fluke.testing._targets import StorageTarget


class WritingSuite(StorageFixtures):
    """``create_if_missing`` and removing a directory once its files are gone.

    Writing, deleting and moving files through the user API is
    :class:`~fluke.testing.WriteSuite`."""

    # -- directories ----------------------------------------------------------

    def test_create_if_missing(self, target: StorageTarget) -> None:
        with target.dir("made/here/", create_if_missing=True) as made:
            assert made.get_path() == target.full_path("made/here/")
            assert made.count() == 0
        with target.dir("made/here") as again:
            assert again.get_path().endswith("/")
        with target.dir("") as root:
            assert root.path_exists("made/here")

    def test_remove_dir_after_its_files(
        self, tree: Dir, target: StorageTarget, backend: StorageBackend
    ) -> None:
        backend.mkdir(target.full_path("sub/empty/"))
        sub = tree.get_subdir("sub")
        for path in sub.get_contents(recursively=True, show_abs_path=True):
            backend.delete(path)
        backend.remove_dir(sub.get_path())
        tree.purge()
        assert not tree.path_exists("sub")
        assert tree.get_contents() == ["a.txt", "b.bin", "sub2/"]
