"""Conformance tests of writing, deleting, moving, globbing and file-like streams.

Every backend must behave alike for ``Dir.write_file``, ``Dir.writer``,
``File.reader``, ``File.delete``, ``Dir.delete_file``, ``Dir.remove``,
``File.move_to``, ``Dir.mkdir`` and ``Dir.glob``: the same results, the same
typed errors, bad input refused before anything is written, and
``overwrite=False`` race-safe. These run through
:class:`~fluke.testing.StorageSuite`, which provides the ``target`` fixture.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator

import pytest

from fluke._dir import Dir
from fluke.backend import StorageBackend, StorageCapabilities
from fluke.exceptions import (
    InvalidDirectoryError,
    InvalidFileError,
    InvalidPathError,
    NonStringMetadataKeyError,
    NonStringMetadataValueError,
    OverwriteError,
    SourceChangedError,
    UnsafePathError,
)
from fluke.local import LocalDir
from fluke.testing._fixtures import StorageFixtures
from fluke.testing._targets import StorageTarget

MiB = 1024 * 1024
FILES = {
    "a.txt": b"alpha\n",
    "b.bin": bytes(range(256)),
    "sub/c.txt": b"charlie",
    "sub/deeper/d.txt": b"delta",
    "sub2/e.csv": b"x,y\n1,2\n",
}
TEXT = "première ligne\nzweite Zeile ✓\nτρίτη\n"


def _big(size: int) -> bytes:
    """``size`` bytes that differ from block to block (misplaced parts show)."""
    pattern = hashlib.sha256(b"fluke").digest() * 4096  # 128 KiB
    counter = b"".join(index.to_bytes(4, "big") for index in range(size // 4 // 1024 + 1))
    out = bytearray()
    while len(out) < size:
        out += pattern[: 127 * 1024] + counter[len(out) // 1024 % len(counter) :][:1024]
    return bytes(out[:size])


class WriteSuite(StorageFixtures):
    """The write/delete/move/stream part of the storage conformance suite."""

    @pytest.fixture
    def write_root(self, target: StorageTarget) -> Iterator[Dir]:
        """The target's (empty) area as a Dir."""
        with target.dir("", create_if_missing=True) as directory:
            yield directory

    @pytest.fixture
    def write_tree(self, target: StorageTarget, write_root: Dir) -> Dir:
        """``FILES`` written under the area (seeded through the target)."""
        for path, data in FILES.items():
            target.write(path, data)
        write_root.purge()
        return write_root

    @pytest.fixture
    def write_scratch(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDir]:
        """An empty local directory (the other end of cross-backend moves)."""
        with LocalDir(
            str(tmp_path_factory.mktemp("write_scratch")), create_if_missing=True
        ) as local:
            yield local

    # -- write_file ----------------------------------------------------------

    def test_write_file_bytes_str_and_file_objects(self, write_root: Dir) -> None:
        written = write_root.write_file("w/bytes.bin", b"\x00\x01raw")
        assert written.get_path() == write_root.get_path() + "w/bytes.bin"
        assert written.read() == b"\x00\x01raw"
        assert write_root.write_file("w/text.txt", TEXT).read() == TEXT.encode("utf-8")
        stream = io.BytesIO(b"s" * (3 * MiB + 17))
        assert write_root.write_file("w/stream.bin", stream).get_size() == 3 * MiB + 17
        assert write_root.write_file("w/empty", b"").get_size() == 0
        assert write_root.get_contents(recursively=True) == [
            "w/bytes.bin",
            "w/empty",
            "w/stream.bin",
            "w/text.txt",
        ]
        assert write_root.get_file("w/text.txt").read_text() == TEXT

    def test_write_file_without_overwrite_keeps_the_existing_file(self, write_root: Dir) -> None:
        write_root.write_file("keep.txt", b"old")
        with pytest.raises(OverwriteError, match="keep.txt"):
            write_root.write_file("keep.txt", b"new")
        assert write_root.get_file("keep.txt").read() == b"old"
        assert write_root.write_file("keep.txt", b"newer", overwrite=True).read() == b"newer"
        assert write_root.get_contents() == ["keep.txt"]

    def test_write_file_keeps_metadata(
        self, write_root: Dir, capabilities: StorageCapabilities
    ) -> None:
        metadata = {"owner": "fluke", "kind": "test"}
        written = write_root.write_file("meta.txt", b"m", metadata=metadata)
        if capabilities.user_metadata:
            written.load_metadata()
        assert written.get_metadata() == metadata
        assert write_root.get_metadata("meta.txt") == metadata

    @pytest.mark.parametrize(
        ("path", "metadata", "error"),
        [
            ("bad.txt", {1: "x"}, NonStringMetadataKeyError),
            ("bad.txt", {"k": 2}, NonStringMetadataValueError),
            ("bad/", None, InvalidPathError),
            ("../escape.txt", None, UnsafePathError),
            ("sub/../../escape.txt", None, UnsafePathError),
            ("sub", None, InvalidFileError),
            ("a.txt/inside", None, InvalidDirectoryError),
        ],
    )
    def test_bad_writes_fail_before_anything_is_sent(
        self, write_tree: Dir, path: str, metadata: object, error: type[Exception]
    ) -> None:
        before = write_tree.get_contents(recursively=True)
        with pytest.raises(error):
            write_tree.write_file(path, b"never", metadata=metadata)  # type: ignore[arg-type]
        with pytest.raises(error):
            write_tree.writer(path, metadata=metadata)  # type: ignore[arg-type]
        write_tree.purge()
        assert write_tree.get_contents(recursively=True) == before

    def test_write_file_refuses_text_file_objects(self, write_root: Dir) -> None:
        with pytest.raises(TypeError, match="binary"):
            write_root.write_file("t.txt", io.StringIO("text"))
        with pytest.raises(TypeError):
            write_root.write_file("t.txt", 12)
        assert write_root.get_contents() == []

    # -- writer ----------------------------------------------------------------

    def test_writer_shows_nothing_until_close(self, write_root: Dir) -> None:
        with write_root.writer("w.txt", metadata={"a": "b"}) as writer:
            assert writer.writable() and not writer.readable()
            writer.write(b"hello ")
            writer.write(bytearray(b"world"))
            writer.write(memoryview(b"!"))
            assert writer.tell() == 12
            assert not write_root.path_exists("w.txt")
        assert writer.closed
        assert writer.file.read() == b"hello world!"
        assert write_root.get_file("w.txt").read() == b"hello world!"

    def test_writer_aborts_on_an_exception(self, write_root: Dir) -> None:
        with pytest.raises(RuntimeError, match="boom"):
            with write_root.writer("never.txt") as writer:
                writer.write(b"x" * 1000)
                raise RuntimeError("boom")
        assert writer.closed
        assert write_root.get_contents(recursively=True) == []

    def test_writer_abort_leaves_the_old_file(self, write_root: Dir) -> None:
        write_root.write_file("old.txt", b"old")
        writer = write_root.writer("old.txt", overwrite=True)
        writer.write(b"new")
        writer.abort()
        with pytest.raises(ValueError, match="closed"):
            writer.write(b"more")
        assert write_root.get_file("old.txt").read() == b"old"
        assert write_root.get_contents() == ["old.txt"]

    def test_writer_in_parts_writes_every_byte_in_order(self, write_root: Dir) -> None:
        data = _big(24 * MiB + 5)
        with write_root.writer("big/file.bin") as writer:
            view = memoryview(data)
            for start in range(0, len(data), 3 * MiB + 1):  # odd-sized writes
                writer.write(view[start : start + 3 * MiB + 1])
        assert write_root.get_file("big/file.bin").get_size() == len(data)
        with write_root.get_file("big/file.bin").reader() as reader:
            assert hashlib.sha256(reader.read()).digest() == hashlib.sha256(data).digest()

    def test_text_layer_over_a_writer(self, write_root: Dir) -> None:
        with write_root.writer("t.txt") as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
            text.write(TEXT)
        assert write_root.get_file("t.txt").read_text() == TEXT

    def test_of_two_racing_writers_without_overwrite_exactly_one_wins(
        self, write_root: Dir
    ) -> None:
        writers = [write_root.writer("race.bin") for _ in range(2)]
        for number, writer in enumerate(writers):
            writer.write(bytes([number]) * 1000)
        barrier = threading.Barrier(2)
        errors: list[BaseException | None] = [None, None]

        def close(index: int) -> None:
            barrier.wait()
            try:
                writers[index].close()
            except BaseException as error:
                errors[index] = error

        threads = [threading.Thread(target=close, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        refused = [error for error in errors if error is not None]
        assert len(refused) == 1 and isinstance(refused[0], OverwriteError), errors
        winner = errors.index(None)
        assert write_root.get_file("race.bin").read() == bytes([winner]) * 1000
        assert write_root.get_contents() == ["race.bin"]

    def test_writer_without_overwrite_refuses_a_file_written_meanwhile(
        self, write_root: Dir
    ) -> None:
        writer = write_root.writer("late.txt")
        writer.write(b"mine")
        write_root.write_file("late.txt", b"theirs")
        with pytest.raises(OverwriteError, match="late.txt"):
            writer.close()
        assert write_root.get_file("late.txt").read() == b"theirs"

    # -- reader ----------------------------------------------------------------

    def test_reader_reads_seeks_and_tells(self, write_tree: Dir) -> None:
        with write_tree.get_file("b.bin").reader() as reader:
            assert reader.readable() and reader.seekable()
            assert reader.read(10) == bytes(range(10))
            assert reader.tell() == 10
            assert reader.seek(-6, io.SEEK_END) == 250
            assert reader.read() == bytes(range(250, 256))
            assert reader.read() == b""
            reader.seek(100)
            reader.seek(5, io.SEEK_CUR)
            buffer = bytearray(4)
            assert reader.readinto(buffer) == 4 and bytes(buffer) == bytes(range(105, 109))
            reader.seek(1000)
            assert reader.read(5) == b""
        assert reader.closed
        with pytest.raises(ValueError):
            reader.read()

    def test_reader_in_small_buffers_matches_the_content(self, write_root: Dir) -> None:
        data = _big(700 * 1024 + 3)
        write_root.write_file("r.bin", data)
        with write_root.get_file("r.bin").reader(buffer_size=64 * 1024) as reader:
            pieces = []
            while piece := reader.read(10_000):
                pieces.append(piece)
            assert b"".join(pieces) == data
            reader.seek(300_000)
            assert reader.read(50_000) == data[300_000:350_000]
            assert reader.stats.bytes <= len(data) + 2 * 64 * 1024

    def test_reader_of_a_footer_fetches_only_the_footer(self, write_root: Dir) -> None:
        data = _big(5 * MiB)
        write_root.write_file("footer.bin", data)
        with write_root.get_file("footer.bin").reader() as reader:
            reader.seek(-8, io.SEEK_END)
            assert reader.read(8) == data[-8:]
            reader.seek(-1000, io.SEEK_END)
            assert reader.read(992) == data[-1000:-8]
            assert reader.stats.requests <= 2
            assert reader.stats.bytes <= 2 * 64 * 1024

    def test_reader_as_text_and_lines(self, write_root: Dir) -> None:
        write_root.write_file("t.txt", TEXT)
        with write_root.get_file("t.txt").reader(encoding="utf-8") as text:
            assert text.readline() == "première ligne\n"
            assert list(text) == ["zweite Zeile ✓\n", "τρίτη\n"]
        with write_root.get_file("t.txt").reader() as binary:
            assert binary.readlines() == [line.encode() + b"\n" for line in TEXT.splitlines()]

    def test_reader_of_a_replaced_file_refuses_to_mix_versions(
        self, write_root: Dir, backend: StorageBackend
    ) -> None:
        write_root.write_file("v.bin", b"1" * 300_000)
        entry = backend.stat(write_root.get_path() + "v.bin")
        if entry is None or entry.version is None:
            pytest.skip("this backend reports no versions")
        with write_root.get_file("v.bin").reader(buffer_size=4 * 4096) as reader:
            assert reader.read(10) == b"1" * 10
            write_root.write_file("v.bin", b"2" * 300_001, overwrite=True)  # weak versions: size
            with pytest.raises(SourceChangedError, match="v.bin"):
                reader.read()

    def test_reader_errors(self, write_tree: Dir, target: StorageTarget) -> None:
        file = write_tree.get_file("a.txt")
        with pytest.raises(ValueError, match="buffer_size"):
            file.reader(buffer_size=0)
        with pytest.raises(LookupError):
            file.reader(encoding="no-such-codec")
        file.delete()
        with pytest.raises(InvalidPathError, match="a.txt"):
            file.reader()

    # -- delete ----------------------------------------------------------------

    def test_delete_a_file(self, write_tree: Dir) -> None:
        write_tree.get_file("a.txt").delete()
        assert not write_tree.path_exists("a.txt")
        write_tree.delete_file("sub/c.txt")
        assert not write_tree.path_exists("sub/c.txt")
        assert write_tree.path_exists("sub/deeper/d.txt")
        with pytest.raises(InvalidPathError, match="a.txt"):
            write_tree.delete_file("a.txt")
        with pytest.raises(InvalidFileError, match="sub"):
            write_tree.delete_file("sub")
        with pytest.raises(UnsafePathError):
            write_tree.delete_file("../x")

    def test_delete_of_a_file_deleted_meanwhile_is_invalid_path(self, write_tree: Dir) -> None:
        file = write_tree.get_file("b.bin")
        write_tree.delete_file("b.bin")
        with pytest.raises(InvalidPathError, match="b.bin"):
            file.delete()

    def test_remove_a_dir(self, write_tree: Dir) -> None:
        sub = write_tree.get_subdir("sub")
        with pytest.raises(InvalidPathError, match="not empty"):
            sub.remove()
        assert write_tree.get_file("sub/deeper/d.txt").read() == b"delta"
        sub.remove(recursively=True)
        write_tree.purge()
        assert not write_tree.path_exists("sub")
        assert write_tree.get_contents() == ["a.txt", "b.bin", "sub2/"]
        empty = write_tree.mkdir("empty")
        empty.remove()
        assert not write_tree.path_exists("empty")

    # -- mkdir -----------------------------------------------------------------

    def test_mkdir(self, write_tree: Dir) -> None:
        made = write_tree.mkdir("x/y/z")
        assert made.get_path() == write_tree.get_path() + "x/y/z/"
        assert made.count() == 0
        assert write_tree.path_exists("x/y/z") and not write_tree.is_file("x/y/z")
        again = write_tree.mkdir("x/y/z/")
        assert again.get_path() == made.get_path()
        assert write_tree.mkdir("sub").count() == 2
        again.write_file("f.txt", b"in z")
        assert write_tree.get_contents(recursively=True).count("x/y/z/f.txt") == 1
        with pytest.raises(InvalidDirectoryError, match="a.txt"):
            write_tree.mkdir("a.txt")
        with pytest.raises(InvalidDirectoryError, match="a.txt"):
            write_tree.mkdir("a.txt/below")
        with pytest.raises(UnsafePathError):
            write_tree.mkdir("../out")

    # -- move ------------------------------------------------------------------

    def test_move_within_the_backend(self, write_tree: Dir) -> None:
        sub2 = write_tree.get_subdir("sub2")
        moved = write_tree.get_file("a.txt").move_to(sub2)
        assert moved.get_path() == sub2.get_path() + "a.txt"
        assert moved.read() == b"alpha\n"
        assert not write_tree.path_exists("a.txt")
        renamed = moved.move_to(write_tree, new_name="renamed.txt")
        assert renamed.read() == b"alpha\n"
        assert write_tree.get_contents() == ["b.bin", "renamed.txt", "sub/", "sub2/"]

    def test_move_keeps_metadata(self, write_root: Dir, capabilities: StorageCapabilities) -> None:
        if not capabilities.user_metadata:
            pytest.skip("no user metadata")
        write_root.write_file("m.txt", b"m", metadata={"k": "v"})
        moved = write_root.get_file("m.txt").move_to(write_root.mkdir("to"))
        moved.load_metadata()
        assert moved.get_metadata() == {"k": "v"}

    def test_move_without_overwrite_keeps_both_files(self, write_tree: Dir) -> None:
        sub = write_tree.get_subdir("sub")
        write_tree.write_file("sub/a.txt", b"already here")
        with pytest.raises(OverwriteError, match="a.txt"):
            write_tree.get_file("a.txt").move_to(sub)
        assert write_tree.get_file("a.txt").read() == b"alpha\n"
        assert write_tree.get_file("sub/a.txt").read() == b"already here"
        write_tree.get_file("a.txt").move_to(sub, overwrite=True)
        assert write_tree.get_file("sub/a.txt").read() == b"alpha\n"
        assert not write_tree.path_exists("a.txt")

    def test_move_refuses_bad_destinations(self, write_tree: Dir) -> None:
        file = write_tree.get_file("a.txt")
        with pytest.raises(InvalidPathError, match="both"):
            file.move_to(write_tree)
        with pytest.raises(InvalidFileError, match="sub"):
            file.move_to(write_tree, new_name="sub")
        for name in ("x/y", "..", ""):
            with pytest.raises(InvalidPathError):
                file.move_to(write_tree, new_name=name)
        assert file.read() == b"alpha\n"

    def test_move_across_backends(self, write_tree: Dir, write_scratch: LocalDir) -> None:
        moved = write_tree.get_file("b.bin").move_to(write_scratch)
        assert moved.read() == bytes(range(256))
        assert not write_tree.path_exists("b.bin")
        back = moved.move_to(write_tree.get_subdir("sub"), new_name="back.bin")
        assert back.read() == bytes(range(256))
        assert write_scratch.get_contents() == []

    # -- glob ------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("pattern", "expected"),
        [
            ("*.txt", ["a.txt"]),
            ("**/*.txt", ["a.txt", "sub/c.txt", "sub/deeper/d.txt"]),
            ("sub/*", ["sub/c.txt"]),
            ("sub/**", ["sub/c.txt", "sub/deeper/d.txt"]),
            ("sub/**/d.txt", ["sub/deeper/d.txt"]),
            ("?.bin", ["b.bin"]),
            ("[ab].*", ["a.txt", "b.bin"]),
            ("sub[0-9]/*.csv", ["sub2/e.csv"]),
            ("[!a]*", ["b.bin"]),
            ("*/*", ["sub/c.txt", "sub2/e.csv"]),
            ("**", sorted(FILES)),
            ("nope/*", []),
            ("a.txt", ["a.txt"]),
        ],
    )
    def test_glob(self, write_tree: Dir, pattern: str, expected: list[str]) -> None:
        assert list(write_tree.glob(pattern)) == expected

    def test_glob_refuses_escaping_patterns(self, write_tree: Dir) -> None:
        for pattern in ("../*", "/abs/*", "sub/../../*"):
            with pytest.raises(UnsafePathError):
                write_tree.glob(pattern)
