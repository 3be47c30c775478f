"""Conformance tests of the data-safety rules every storage backend must keep.

* A file that existed before a transfer is never deleted or replaced by a
  failed one, and neither is the source.
* ``overwrite=False`` holds under races: commits are conditional.
* A source that changes after it was listed fails that file; nothing is
  committed (reads and server-side copies are conditional on the version).
* ``skip_identical`` never skips a same-size edit.
* A transfer onto itself is refused before anything happens.

Usable alone (a backend's test class provides ``target``) or through
:class:`~fluke.testing.StorageSuite`.
"""

from __future__ import annotations

import threading
import time

import pytest

from fluke._dir import Dir
from fluke.backend import StorageBackend
from fluke.exceptions import InvalidPathError, OverwriteError, SourceChangedError, TransferError
from fluke.local import LocalDir
from fluke.testing._fixtures import StorageFixtures
from fluke.testing._targets import StorageTarget

OLD = b"old destination content that must survive\n"
SOURCE = b"x" * 100
GROWN = b"y" * 123


def _write(backend: StorageBackend, path: str, data: bytes, **options: object) -> None:
    writer = backend.open_writer(path, size_hint=len(data), **options)  # type: ignore[arg-type]
    try:
        writer.write(data)
    except BaseException:
        writer.abort()
        raise
    writer.commit()


def _read(backend: StorageBackend, path: str) -> bytes:
    entry = backend.stat(path)
    assert entry is not None and not entry.is_dir, path
    return backend.read_range(path, 0, entry.size) if entry.size else b""


class SafetySuite(StorageFixtures):
    """The data-safety half of the storage conformance suite."""

    # -- the protocol: conditional commits ----------------------------------

    def test_commit_without_overwrite_keeps_the_existing_file(
        self, backend: StorageBackend, target: StorageTarget, root: Dir
    ) -> None:
        target.write("keep.txt", OLD)
        path = target.full_path("keep.txt")
        with pytest.raises(OverwriteError, match="keep.txt"):
            _write(backend, path, b"new", overwrite=False)
        assert _read(backend, path) == OLD
        assert root.get_contents() == ["keep.txt"]  # no temporary file left behind

    def test_part_commit_without_overwrite_keeps_the_existing_file(
        self, backend: StorageBackend, target: StorageTarget, root: Dir
    ) -> None:
        target.write("big.bin", OLD)
        caps = backend.capabilities
        part = max(caps.min_part_size or 0, caps.part_size_multiple or 0, 256 * 1024)
        size = 2 * part + 10
        path = target.full_path("big.bin")
        writer = backend.open_part_writer(path, size=size, part_size=part, overwrite=False)
        if writer is None:
            pytest.skip("this backend has no part writer")
        try:
            for number, start in enumerate(range(0, size, part), start=1):
                writer.write_part(number, start, b"n" * (min(start + part, size) - start))
        except BaseException:
            writer.abort()
            raise
        with pytest.raises(OverwriteError, match="big.bin"):
            writer.commit()
        assert _read(backend, path) == OLD

    def test_of_two_racing_writers_without_overwrite_one_wins(
        self, backend: StorageBackend, target: StorageTarget, root: Dir
    ) -> None:
        path = target.full_path("race.txt")
        first = backend.open_writer(path, overwrite=False)
        second = backend.open_writer(path, overwrite=False)
        first.write(b"first")
        second.write(b"second")
        first.commit()
        with pytest.raises(OverwriteError, match="race.txt"):
            second.commit()
        assert _read(backend, path) == b"first"

    def test_read_of_a_replaced_version_is_refused(
        self, backend: StorageBackend, target: StorageTarget, root: Dir
    ) -> None:
        target.write("v.txt", SOURCE)
        path = target.full_path("v.txt")
        listed = backend.stat(path)
        assert listed is not None
        if listed.version is None:
            pytest.skip("this backend reports no versions")
        assert backend.read_range(path, 0, 10, version=listed.version) == SOURCE[:10]
        target.write("v.txt", GROWN)
        with pytest.raises(SourceChangedError, match="v.txt"):
            backend.read_range(path, 0, 10, version=listed.version)
        with pytest.raises(SourceChangedError, match="v.txt"):
            b"".join(backend.iter_chunks(path, 64, len(SOURCE), version=listed.version))

    def test_listing_and_stat_agree_on_versions(
        self, backend: StorageBackend, target: StorageTarget, root: Dir
    ) -> None:
        target.write("same.txt", SOURCE)
        listed = {entry.path: entry.version for entry in backend.list(root.get_path(), True)}
        stat = backend.stat(target.full_path("same.txt"))
        assert stat is not None
        assert listed[target.full_path("same.txt")] == stat.version

    def test_server_side_copy_of_a_replaced_version_is_refused(
        self, backend: StorageBackend, target: StorageTarget, root: Dir
    ) -> None:
        if not backend.capabilities.server_side_copy:
            pytest.skip("no server-side copy")
        target.write("s.txt", SOURCE)
        src = target.full_path("s.txt")
        listed = backend.stat(src)
        assert listed is not None and listed.version is not None
        target.write("s.txt", GROWN)
        dst = target.full_path("copy.txt")
        with pytest.raises(SourceChangedError, match="s.txt"):
            backend.copy_within(src, backend, dst, size=len(SOURCE), version=listed.version)
        assert backend.stat(dst) is None

    def test_server_side_copy_without_overwrite_keeps_the_existing_file(
        self, backend: StorageBackend, target: StorageTarget, root: Dir
    ) -> None:
        if not backend.capabilities.server_side_copy:
            pytest.skip("no server-side copy")
        target.write("s.txt", SOURCE)
        target.write("there.txt", OLD)
        dst = target.full_path("there.txt")
        with pytest.raises(OverwriteError, match="there.txt"):
            backend.copy_within(target.full_path("s.txt"), backend, dst, overwrite=False)
        assert _read(backend, dst) == OLD

    def test_writer_keeps_the_given_mtime(
        self, backend: StorageBackend, target: StorageTarget, root: Dir
    ) -> None:
        if not backend.capabilities.preserves_mtime:
            pytest.skip("this backend does not keep modification times")
        path = target.full_path("dated.txt")
        _write(backend, path, b"dated", mtime=1_600_000_000.0)
        entry = backend.stat(path)
        assert entry is not None and entry.mtime is not None
        assert abs(entry.mtime - 1_600_000_000.0) < 1

    # -- the engine: failed checks delete nothing -----------------------------

    def test_source_growing_after_listing_keeps_the_old_destination(
        self, target: StorageTarget, local: LocalDir
    ) -> None:
        """Finding 1: the old ``dst/log.txt`` was replaced, then deleted."""
        target.write("src/log.txt", SOURCE)
        local_path = local.get_path()
        with open(local_path + "log.txt", "wb") as out:
            out.write(OLD)

        def grow(path: str) -> bool:
            target.write("src/log.txt", GROWN)
            return True

        with target.dir("src/") as src:
            report = src.transfer_to(local, overwrite=True, filter=grow, suppress_output=True)
        assert not report
        assert isinstance(report.failed[0].error, TransferError)
        with open(local_path + "log.txt", "rb") as handle:
            assert handle.read() == OLD
        with target.file("src/log.txt") as source:
            assert source.read() == GROWN

    def test_local_source_growing_after_listing_keeps_the_old_destination(
        self, backend: StorageBackend, target: StorageTarget, local: LocalDir, root: Dir
    ) -> None:
        source_path = local.get_path() + "log.txt"
        with open(source_path, "wb") as handle:
            handle.write(SOURCE)
        target.write("dst/log.txt", OLD)

        def grow(path: str) -> bool:
            with open(source_path, "ab") as handle:
                handle.write(b"23 more bytes appended!")
            return True

        with target.dir("dst/") as dst:
            report = local.transfer_to(dst, overwrite=True, filter=grow, suppress_output=True)
        assert not report
        assert _read(backend, target.full_path("dst/log.txt")) == OLD

    def test_in_place_source_growing_keeps_both_files(
        self, backend: StorageBackend, target: StorageTarget, root: Dir
    ) -> None:
        """Server-side copies (same service) are conditional on the listed version."""
        target.write("src/log.txt", SOURCE)
        target.write("dst/log.txt", OLD)

        def grow(path: str) -> bool:
            target.write("src/log.txt", GROWN)
            return True

        with target.dir("src/") as src, target.dir("dst/") as dst:
            report = src.transfer_to(dst, overwrite=True, filter=grow, suppress_output=True)
        assert not report
        assert _read(backend, target.full_path("dst/log.txt")) == OLD
        assert _read(backend, target.full_path("src/log.txt")) == GROWN

    # -- the engine: a transfer onto itself ---------------------------------

    def test_transfer_of_a_dir_onto_itself_is_refused(
        self, backend: StorageBackend, target: StorageTarget, root: Dir
    ) -> None:
        target.write("p/a.txt", SOURCE, {"colour": "blue"})
        with target.dir("p/") as same, target.dir("p") as again:
            with pytest.raises(InvalidPathError, match="destination"):
                same.transfer_to(again, recursively=True, overwrite=True, include_metadata=True)
        with target.file("p/a.txt") as file:
            assert file.read() == SOURCE
            if backend.capabilities.user_metadata:
                file.load_metadata()
                assert file.get_metadata() == {"colour": "blue"}

    def test_transfer_of_a_file_onto_itself_is_refused(
        self, target: StorageTarget, root: Dir
    ) -> None:
        target.write("p/a.txt", SOURCE)
        with target.file("p/a.txt") as file, target.dir("p/") as parent:
            with pytest.raises(InvalidPathError, match="a.txt"):
                file.transfer_to(parent, overwrite=True)
            assert file.read() == SOURCE

    # -- the engine: overwrite=False under a race ---------------------------

    def test_two_transfers_racing_into_one_dir_never_replace_each_other(
        self,
        backend: StorageBackend,
        target: StorageTarget,
        tmp_path_factory: pytest.TempPathFactory,
        root: Dir,
    ) -> None:
        names = [f"f{number:02d}.txt" for number in range(12)]
        sources = []
        for label in ("one", "two"):
            folder = tmp_path_factory.mktemp(label)
            for name in names:
                (folder / name).write_bytes(f"{label}:{name}".encode())
            sources.append(LocalDir(str(folder)))
        reports = []
        start = threading.Barrier(2)

        def run(source: LocalDir) -> None:
            with target.dir("race/", create_if_missing=True) as dst:
                start.wait()
                reports.append(source.transfer_to(dst, suppress_output=True))

        threads = [threading.Thread(target=run, args=(source,)) for source in sources]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners: dict[str, str] = {}
        for report in reports:
            for outcome in report:
                name = outcome.destination.rsplit("/", 1)[-1]
                if outcome.status == "transferred":
                    assert name not in winners, f"{name} reported transferred twice"
                    winners[name] = outcome.source
                else:
                    assert isinstance(outcome.error, OverwriteError), outcome.error
        assert sorted(winners) == names
        for name, source_uri in winners.items():
            label = "one" if source_uri.startswith(sources[0].get_uri()) else "two"
            content = _read(backend, target.full_path(f"race/{name}"))
            assert content == f"{label}:{name}".encode()

    # -- the engine: skip_identical ------------------------------------------

    def test_skip_identical_copies_a_same_size_edit_to_the_target(
        self, backend: StorageBackend, target: StorageTarget, local: LocalDir, root: Dir
    ) -> None:
        """Finding 5: ``enabled=true`` -> ``enabled=fals`` was "identical"."""
        path = local.get_path() + "conf.ini"
        with open(path, "wb") as handle:
            handle.write(b"enabled=true\n")
        with target.dir("conf/", create_if_missing=True) as dst:
            assert local.transfer_to(dst, suppress_output=True)
            time.sleep(1.1)  # a later edit, as a user makes it (whole-second backends)
            with open(path, "wb") as handle:
                handle.write(b"enabled=fals\n")
            report = local.transfer_to(
                dst, overwrite=True, skip_identical=True, suppress_output=True
            )
            assert [outcome.status for outcome in report] == ["transferred"]
            again = local.transfer_to(
                dst, overwrite=True, skip_identical=True, suppress_output=True
            )
            assert [outcome.status for outcome in again] == ["skipped"]
        assert _read(backend, target.full_path("conf/conf.ini")) == b"enabled=fals\n"

    def test_skip_identical_copies_a_same_size_edit_from_the_target(
        self, target: StorageTarget, local: LocalDir
    ) -> None:
        target.write("conf/conf.ini", b"enabled=true\n")
        with target.dir("conf/") as src:
            assert src.transfer_to(local, suppress_output=True)
            time.sleep(1.1)
            target.write("conf/conf.ini", b"enabled=fals\n")
            report = src.transfer_to(
                local, overwrite=True, skip_identical=True, suppress_output=True
            )
            assert [outcome.status for outcome in report] == ["transferred"]
            again = src.transfer_to(
                local, overwrite=True, skip_identical=True, suppress_output=True
            )
            assert [outcome.status for outcome in again] == ["skipped"]
        with open(local.get_path() + "conf.ini", "rb") as handle:
            assert handle.read() == b"enabled=fals\n"
