"""Child of the engine rows of ``bench_scale``: N files through the engine, then its figures.

The source is a synthetic in-memory store (the example plugin's backend with
a listing generated on the fly: ``d00000/f0000000`` ... of one byte each) and
the destination a sink that keeps a count, so that only the engine's own
memory is measured, not the stores'. Prints one JSON line: files, seconds,
files/s, the peak RSS (``VmHWM``) and the RSS before the transfer, in MiB.

``python _scale_engine_child.py FILES [journal-path]``; run with
``PYTHONPATH`` pointing at another ``fluke-core/src`` to measure that engine.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping

from fluke import _paths
from fluke.backend import Entry, StorageCapabilities, Writer
from fluke_memory.storage import MemoryBackend, MemoryDir

PER_DIR = 1000


def hwm_mib() -> float:
    """The kernel's high-water mark of this process's resident set, in MiB."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


class SyntheticSource(MemoryBackend):
    """``count`` one-byte files in directories of ``PER_DIR``, listed sorted on the fly."""

    capabilities = StorageCapabilities(
        user_metadata=True, directory_markers=True, sorted_listing=True, max_concurrency=16
    )

    def __init__(self, count: int) -> None:
        super().__init__("bench-synthetic-source")
        self.count = count

    def copy_domain(self) -> str | None:
        return None

    def _dirs(self) -> int:
        return (self.count + PER_DIR - 1) // PER_DIR

    def _files(self, directory: int) -> Iterator[Entry]:
        for index in range(directory * PER_DIR, min(self.count, (directory + 1) * PER_DIR)):
            yield Entry(f"d{directory:05d}/f{index:07d}", False, 1, version="1")

    def stat(self, path: str) -> Entry | None:
        if path == "" or (path.startswith("d") and "/" not in path.rstrip("/")):
            return Entry(_paths.as_dir_path(path), True)
        return Entry(path, False, 1, version="1")

    def list(self, path: str, recursive: bool) -> Iterator[Entry]:
        if path == "":
            for directory in range(self._dirs()):
                if recursive:
                    yield from self._files(directory)
                else:
                    yield Entry(f"d{directory:05d}/", True)
            return
        yield from self._files(int(path[1:6]))

    def read_range(self, path: str, start: int, end: int, *, version: str | None = None) -> bytes:
        return b"x"[start:end]

    def get_metadata(self, path: str) -> dict[str, str]:
        return {}


class _Sink(Writer):
    def __init__(self, owner: SinkBackend) -> None:
        self._owner = owner

    def write(self, data: bytes) -> int:
        return len(data)

    def commit(self) -> None:
        with self._owner.lock:
            self._owner.written += 1

    def abort(self) -> None:
        pass


class SinkBackend(MemoryBackend):
    """A destination that is always empty and counts what was committed to it."""

    capabilities = StorageCapabilities(
        user_metadata=True, directory_markers=True, sorted_listing=True, max_concurrency=16
    )

    def __init__(self) -> None:
        super().__init__("bench-sink")
        self.written = 0
        self.lock = threading.Lock()

    def copy_domain(self) -> str | None:
        return None

    def stat(self, path: str) -> Entry | None:
        return Entry(_paths.as_dir_path(path), True) if path in ("", "dst", "dst/") else None

    def list(self, path: str, recursive: bool) -> Iterator[Entry]:
        return iter(())

    def open_writer(
        self,
        path: str,
        *,
        metadata: Mapping[str, str] | None = None,
        part_size: int | None = None,
        size_hint: int | None = None,
        overwrite: bool = True,
        mtime: float | None = None,
    ) -> Writer:
        return _Sink(self)


class _Dir(MemoryDir):
    def __init__(self, backend: MemoryBackend, path: str) -> None:  # noqa: D107
        self._attach(backend, path)


def main() -> None:
    count = int(sys.argv[1])
    options: dict[str, object] = {}
    if len(sys.argv) > 2:
        options["journal"] = sys.argv[2]
    sink = SinkBackend()
    src, dst = _Dir(SyntheticSource(count), ""), _Dir(sink, "dst/")
    before = hwm_mib()
    started = time.perf_counter()
    report = src.transfer_to(dst, recursively=True, suppress_output=True, **options)
    seconds = time.perf_counter() - started
    if not report or sink.written != count:
        sys.exit(f"transfer failed: {report!r}, {sink.written} written")
    store = getattr(report, "_store", None)  # the spilled outcomes (issue 11's engine)
    spilled = 0
    if store is not None:
        next(store.rows(None), None)  # flushes the buffer
        spilled = os.path.getsize(store._path)
    print(
        json.dumps(
            {
                "files": count,
                "seconds": seconds,
                "files_per_s": count / seconds,
                "peak_mib": hwm_mib(),
                "before_mib": before,
                "report_bytes_per_file": spilled / count,
            }
        )
    )


if __name__ == "__main__":
    main()
