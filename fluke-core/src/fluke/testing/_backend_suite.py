"""The protocol conformance suite: a :class:`~fluke.backend.StorageBackend` driven directly.

The user-API suites test what users see; this one tests the primitives a
plugin implements, where a new backend usually goes wrong:

* a :class:`~fluke.backend.Writer` or :class:`~fluke.backend.PartWriter`
  shows nothing before ``commit()`` and leaves nothing after ``abort()``;
* a part writer accepts its parts in any order;
* ``read_range`` at the edges of a file;
* ``copy_within``, when the backend declares ``server_side_copy``;
* ``is_transient`` retries a dropped connection, never a missing file;
* 8 writers at once on one backend instance.

**read_range at the edges** (what every backend must do): an empty range
(``start == end``, also at or past the end of the file) is ``b""``; a range
ending past the end of the file is cut at the end (``[start, size)``), as a
slice would be. The core itself only asks for ranges inside the file.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest

from fluke.backend import StorageBackend, StorageCapabilities
from fluke.testing._fixtures import StorageFixtures
from fluke.testing._targets import StorageTarget

__all__ = ["StorageBackendSuite"]

DATA = bytes(range(256)) * 40 + b"tail"  # 10,244 bytes, every byte value


def _visible(backend: StorageBackend, target: StorageTarget) -> list[str]:
    """Every file path under the target's area (recursively), sorted."""
    return sorted(entry.path for entry in backend.list(target.full_path(""), True))


def _read_all(backend: StorageBackend, path: str) -> bytes:
    entry = backend.stat(path)
    assert entry is not None and not entry.is_dir, path
    return backend.read_range(path, 0, entry.size) if entry.size else b""


def _part_size(capabilities: StorageCapabilities) -> int:
    """The smallest part every backend accepts (at least 256 KiB)."""
    size = max(capabilities.min_part_size or 0, 256 * 1024)
    multiple = capabilities.part_size_multiple
    if multiple:
        size = -(-size // multiple) * multiple
    return size


def _parts(size: int, part: int) -> list[tuple[int, int, bytes]]:
    """``(number, offset, data)`` of a file of ``size`` bytes in parts of ``part``."""
    content = (DATA * (size // len(DATA) + 1))[:size]
    return [
        (number, offset, content[offset : offset + part])
        for number, offset in enumerate(range(0, size, part), start=1)
    ]


class StorageBackendSuite(StorageFixtures):
    """Subclass in a backend package and provide the ``target`` fixture.

    The backend is the target's (:meth:`StorageTarget.open_backend`); paths
    are the target's :meth:`~StorageTarget.full_path`.
    """

    @pytest.fixture
    def seeded(self, target: StorageTarget, backend: StorageBackend) -> Iterator[str]:
        """The backend path of a file holding ``DATA`` (written by the target)."""
        target.write("seed.bin", DATA)
        yield target.full_path("seed.bin")

    # -- Writer: nothing visible before commit, nothing left after abort -----

    def test_nothing_is_visible_before_commit(
        self, target: StorageTarget, backend: StorageBackend
    ) -> None:
        path = target.full_path("w/new.bin")
        writer = backend.open_writer(path, size_hint=len(DATA))
        try:
            writer.write(DATA)
            assert backend.stat(path) is None
            assert path not in _visible(backend, target)
        except BaseException:
            writer.abort()
            raise
        writer.commit()
        entry = backend.stat(path)
        assert entry is not None and entry.size == len(DATA)
        assert _read_all(backend, path) == DATA
        assert _visible(backend, target) == [path]  # no temporary file left beside it

    def test_writer_abort_leaves_nothing(
        self, target: StorageTarget, backend: StorageBackend
    ) -> None:
        path = target.full_path("w/aborted.bin")
        writer = backend.open_writer(path, size_hint=len(DATA))
        writer.write(DATA)
        writer.write(DATA)
        writer.abort()
        assert backend.stat(path) is None
        assert _visible(backend, target) == []

    def test_writer_abort_keeps_the_existing_file(
        self, target: StorageTarget, backend: StorageBackend, seeded: str
    ) -> None:
        writer = backend.open_writer(seeded)
        writer.write(b"replacement that is never committed")
        writer.abort()
        assert _read_all(backend, seeded) == DATA
        assert _visible(backend, target) == [seeded]

    # -- PartWriter: any order, nothing before commit, nothing after abort ---

    @pytest.mark.parametrize("order", ["reverse", "random"])
    def test_part_writer_accepts_parts_in_any_order(
        self,
        target: StorageTarget,
        backend: StorageBackend,
        capabilities: StorageCapabilities,
        order: str,
    ) -> None:
        part = _part_size(capabilities)
        size = 3 * part + 17
        path = target.full_path(f"p/{order}.bin")
        writer = backend.open_part_writer(path, size=size, part_size=part)
        if writer is None:
            pytest.skip("this backend has no part writer")
        parts = _parts(size, part)
        if order == "reverse":
            parts.reverse()
        else:
            random.Random(18).shuffle(parts)
        try:
            if order == "random":  # write_part must be thread-safe
                threads = [threading.Thread(target=writer.write_part, args=item) for item in parts]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
            else:
                for number, offset, data in parts:
                    writer.write_part(number, offset, data)
            assert backend.stat(path) is None  # nothing visible before commit
        except BaseException:
            writer.abort()
            raise
        writer.commit()
        expected = b"".join(data for _, _, data in sorted(parts))
        assert _read_all(backend, path) == expected
        assert _visible(backend, target) == [path]

    def test_part_writer_abort_leaves_nothing(
        self, target: StorageTarget, backend: StorageBackend, capabilities: StorageCapabilities
    ) -> None:
        part = _part_size(capabilities)
        size = 2 * part + 1
        path = target.full_path("p/aborted.bin")
        writer = backend.open_part_writer(path, size=size, part_size=part)
        if writer is None:
            pytest.skip("this backend has no part writer")
        for number, offset, data in _parts(size, part)[:2]:
            writer.write_part(number, offset, data)
        writer.abort()
        assert backend.stat(path) is None
        assert _visible(backend, target) == []

    # -- read_range at the edges ---------------------------------------------

    def test_read_range_inside_and_at_the_last_byte(
        self, backend: StorageBackend, seeded: str
    ) -> None:
        size = len(DATA)
        assert backend.read_range(seeded, 0, size) == DATA
        assert backend.read_range(seeded, 0, 1) == DATA[:1]
        assert backend.read_range(seeded, size - 1, size) == DATA[-1:]
        assert backend.read_range(seeded, 1000, 1010) == DATA[1000:1010]

    def test_read_range_that_is_empty_is_empty(self, backend: StorageBackend, seeded: str) -> None:
        size = len(DATA)
        assert backend.read_range(seeded, 0, 0) == b""
        assert backend.read_range(seeded, 500, 500) == b""
        assert backend.read_range(seeded, size, size) == b""

    def test_read_range_past_the_end_is_cut_at_the_end(
        self, backend: StorageBackend, seeded: str
    ) -> None:
        size = len(DATA)
        assert backend.read_range(seeded, size - 4, size + 100) == b"tail"
        assert backend.read_range(seeded, size + 10, size + 20) == b""

    def test_read_range_of_an_empty_file(
        self, target: StorageTarget, backend: StorageBackend
    ) -> None:
        target.write("empty.bin", b"")
        path = target.full_path("empty.bin")
        entry = backend.stat(path)
        assert entry is not None and not entry.is_dir and entry.size == 0
        assert backend.read_range(path, 0, 0) == b""
        assert b"".join(backend.iter_chunks(path, 1024, 0)) == b""

    # -- copy_within -----------------------------------------------------------

    def test_copy_within_when_declared(
        self,
        target: StorageTarget,
        backend: StorageBackend,
        capabilities: StorageCapabilities,
        seeded: str,
    ) -> None:
        if not capabilities.server_side_copy:
            pytest.skip("this backend declares no server-side copy")
        assert backend.copy_domain() is not None
        assert backend.copy_domain() == backend.copy_domain()
        destination = target.full_path("copies/seed.bin")
        metadata = {"copied": "yes"}
        backend.copy_within(seeded, backend, destination, metadata=metadata, size=len(DATA))
        assert _read_all(backend, destination) == DATA
        assert _read_all(backend, seeded) == DATA  # the source is untouched
        if capabilities.user_metadata:
            assert backend.get_metadata(destination) == metadata
        assert _visible(backend, target) == sorted([seeded, destination])

    # -- is_transient ----------------------------------------------------------

    def test_is_transient_for_a_dropped_connection_not_for_a_missing_file(
        self, target: StorageTarget, backend: StorageBackend
    ) -> None:
        dropped_connections = (
            ConnectionResetError(104, "reset"),
            BrokenPipeError(),
            TimeoutError(),
        )
        for error in dropped_connections:
            assert backend.is_transient(error), error
        with pytest.raises(Exception) as missing:  # noqa: PT011 - whatever the backend raises
            backend.read_range(target.full_path("missing.bin"), 0, 1)
        assert not backend.is_transient(missing.value), repr(missing.value)
        assert isinstance(missing.value, FileNotFoundError), repr(missing.value)

    # -- thread safety ---------------------------------------------------------

    def test_eight_concurrent_writers_on_one_backend(
        self, target: StorageTarget, backend: StorageBackend
    ) -> None:
        paths = [target.full_path(f"t/{number}/f{number}.bin") for number in range(8)]
        start = threading.Barrier(len(paths))
        errors: list[BaseException] = []

        def write(number: int) -> None:
            try:
                start.wait()
                with backend.open_writer(paths[number]) as writer:
                    for _ in range(4):
                        writer.write(bytes([number]) * 4096)
                assert _read_all(backend, paths[number]) == bytes([number]) * 16384
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)

        threads = [threading.Thread(target=write, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert _visible(backend, target) == sorted(paths)
