"""The storage conformance suite: behaviour every storage backend shares."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest

from fluke._dir import Dir
from fluke.exceptions import (
    InvalidChunkSizeError,
    InvalidDirectoryError,
    InvalidFileError,
    InvalidPathError,
    NonStringMetadataKeyError,
    NonStringMetadataValueError,
    OverwriteError,
    UnsafePathError,
)
from fluke.local import LocalDir
from fluke.testing._compat_suite import CompatSuite
from fluke.testing._safety_suite import SafetySuite
from fluke.testing._targets import StorageTarget
from fluke.testing._write_suite import WriteSuite

TREE = {
    "a.txt": b"alpha\n",
    "b.bin": bytes(range(256)) * 4,
    "sub/c.txt": b"charlie",
    "sub/deeper/d.txt": b"delta delta",
    "sub2/e.txt": "ε-psilon: ünïcödé\n".encode(),
}


class StorageSuite(SafetySuite, CompatSuite, WriteSuite):
    """Subclass in a backend package and provide the ``target`` fixture.

    The data-safety tests come from :class:`~fluke.testing._safety_suite.SafetySuite`.
    """

    @pytest.fixture
    def target(self) -> StorageTarget:
        """A :class:`StorageTarget` on a fresh area of a real server."""
        raise NotImplementedError("a backend's test class provides this fixture")

    @pytest.fixture
    def tree(self, target: StorageTarget) -> Iterator[Dir]:
        """``TREE`` written under the target; yields a Dir on it."""
        for path, data in TREE.items():
            target.write(path, data)
        with target.dir("") as root:
            yield root

    @pytest.fixture
    def local(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDir]:
        """An empty local directory."""
        path = tmp_path_factory.mktemp("local")
        with LocalDir(str(path), create_if_missing=True) as directory:
            yield directory

    # -- construction and errors -------------------------------------------

    def test_missing_dir_raises(self, target: StorageTarget) -> None:
        with pytest.raises(InvalidPathError, match="nope"):
            target.dir("nope/")

    def test_create_if_missing(self, target: StorageTarget) -> None:
        with target.dir("made/here/", create_if_missing=True) as made:
            assert made.get_path() == target.full_path("made/here/")
            assert made.count() == 0
        with target.dir("made/here") as again:
            assert again.get_path().endswith("/")
        with target.dir("") as root:
            assert root.path_exists("made/here")

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

    def test_real_metadata_round_trip(self, target: StorageTarget) -> None:
        target.write("m.txt", b"m", metadata={"transfer": "True", "owner": "me"})
        with target.dir("") as root:
            if not root._session.backend.capabilities.user_metadata:
                pytest.skip("backend stores no user metadata")
        with target.file("m.txt") as file:
            file.load_metadata()
            assert file.get_metadata() == {"transfer": "True", "owner": "me"}
        with target.dir("") as root:
            root.load_metadata(recursively=True)
            assert root.get_metadata("m.txt")["owner"] == "me"

    # -- caching -------------------------------------------------------------

    def test_cache_until_purge(self, tree: Dir, target: StorageTarget) -> None:
        if not tree._session.backend.capabilities.remote:
            pytest.skip("caching applies to remote backends only")
        with target.dir("", cache=True) as cached:
            assert cached.is_cacheable()
            before = cached.count(recursively=True)
            target.write("late.txt", b"late")
            assert cached.count(recursively=True) == before
            cached.purge()
            assert cached.count(recursively=True) == before + 1
        assert not tree.is_cacheable()

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

    def test_metadata_travels(self, tree: Dir, target: StorageTarget) -> None:
        with target.dir("meta/", create_if_missing=True) as dst:
            if not dst._session.backend.capabilities.user_metadata:
                pytest.skip("backend stores no user metadata")
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

    def test_remove_dir_after_its_files(self, tree: Dir, target: StorageTarget) -> None:
        backend = tree._session.backend
        backend.mkdir(target.full_path("sub/empty/"))
        sub = tree.get_subdir("sub")
        for path in sub.get_contents(recursively=True, show_abs_path=True):
            backend.delete(path)
        backend.remove_dir(sub.get_path())
        tree.purge()
        assert not tree.path_exists("sub")
        assert tree.get_contents() == ["a.txt", "b.bin", "sub2/"]

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

    # -- connections -----------------------------------------------------------

    def test_context_manager_and_close(self, tree: Dir, target: StorageTarget) -> None:
        directory = target.dir("")
        directory.open()
        assert directory.count(recursively=True) == len(TREE)
        directory.close()
        with target.file("a.txt") as file:
            assert file.read() == TREE["a.txt"]
