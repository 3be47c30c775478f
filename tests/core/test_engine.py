"""The transfer engine's strategies, retries and failure handling on local disk.

The "remote" backend here is the real local-disk backend with server-side
copy turned off, so files take the streamed or the concurrent-parts path.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fluke.backend import StorageCapabilities
from fluke.local import LocalBackend, LocalDir
from fluke.transfer import transfer
from fluke.transfer._budget import MemoryBudget
from fluke.transfer._copy import CopyContext, copy_streamed
from fluke.transfer._plan import FileTask, split
from fluke.transfer._retry import RetryPolicy

MiB = 1024 * 1024
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01)


class NoServerSideCopy(LocalBackend):
    """Local disk that forces the engine to move the bytes itself."""

    capabilities = StorageCapabilities(remote=False, max_concurrency=4)

    def copy_domain(self) -> str | None:
        return None


class Flaky(NoServerSideCopy):
    """Local disk whose ranged reads fail transiently the first ``failures`` times."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def read_range(self, path: str, start: int, end: int, *, version: str | None = None) -> bytes:
        self.calls += 1
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        return super().read_range(path, start, end, version=version)


@pytest.fixture
def big(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    path = tmp_path / "src" / "big.bin"
    path.write_bytes(os.urandom(5 * MiB + 123))
    return path


def _dirs(tmp_path: Path, backend: LocalBackend) -> tuple[LocalDir, LocalDir]:
    src = LocalDir(str(tmp_path / "src"))
    src._session.backend = backend
    dst = LocalDir(str(tmp_path / "dst"), create_if_missing=True)
    return src, dst


def test_large_file_moves_in_parts(tmp_path: Path, big: Path) -> None:
    src, dst = _dirs(tmp_path, NoServerSideCopy())
    report = src.transfer_to(dst, chunk_size=MiB, suppress_output=True)
    assert report, report.failed
    assert (tmp_path / "dst" / "big.bin").read_bytes() == big.read_bytes()


def test_transient_errors_are_retried(tmp_path: Path, big: Path) -> None:
    flaky = Flaky(2, ConnectionResetError("reset by peer"))
    src, dst = _dirs(tmp_path, flaky)
    report = src.transfer_to(dst, chunk_size=MiB, suppress_output=True, retry=FAST_RETRY)
    assert report, report.failed
    assert (tmp_path / "dst" / "big.bin").read_bytes() == big.read_bytes()


def test_retries_are_bounded_and_leave_nothing(tmp_path: Path, big: Path) -> None:
    flaky = Flaky(10**6, TimeoutError("timed out"))
    src, dst = _dirs(tmp_path, flaky)
    report = src.transfer_to(dst, chunk_size=MiB, suppress_output=True, retry=FAST_RETRY)
    assert not report and isinstance(report.failed[0].error, TimeoutError)
    assert "big.bin" in report.failed[0].source
    assert os.listdir(tmp_path / "dst") == []


def test_permanent_errors_are_not_retried(tmp_path: Path, big: Path) -> None:
    flaky = Flaky(10**6, PermissionError("denied"))
    src, dst = _dirs(tmp_path, flaky)
    report = src.transfer_to(dst, chunk_size=MiB, suppress_output=True, retry=FAST_RETRY)
    assert not report and isinstance(report.failed[0].error, PermissionError)
    assert flaky.calls <= 6  # one try per part in flight, no retries
    assert os.listdir(tmp_path / "dst") == []


def test_source_growing_mid_transfer_fails(tmp_path: Path, big: Path) -> None:
    src, dst = _dirs(tmp_path, NoServerSideCopy())
    sources = list(src._entries(False))
    with open(big, "ab") as handle:
        handle.write(b"more")
    from fluke.transfer import TransferSource

    item = TransferSource(src._session, sources[0].path, "big.bin", sources[0].size)
    report = transfer([item], dst, chunk_size=MiB, suppress_output=True)
    assert not report and "changed size" in str(report.failed[0].error)
    assert os.listdir(tmp_path / "dst") == []


def test_plan_items_are_picklable() -> None:
    task = FileTask("a/b", "/x/b", "s3://bkt/a/b", "file:///x/b", 10 * MiB, {"k": "v"})
    parts = split(task, 4 * MiB)
    assert [(p.start, p.end) for p in parts] == [
        (0, 4 * MiB),
        (4 * MiB, 8 * MiB),
        (8 * MiB, 10 * MiB),
    ]
    assert pickle.loads(pickle.dumps(parts)) == parts


class DropsMidStream(NoServerSideCopy):
    """Local disk whose first streamed read dies after one chunk (a dropped connection)."""

    def __init__(self) -> None:
        self.dropped = False

    def iter_chunks(
        self, path: str, chunk_size: int, size: int | None = None, *, version: str | None = None
    ) -> Iterator[bytes]:
        chunks = super().iter_chunks(path, chunk_size, size, version=version)
        if not self.dropped:
            self.dropped = True
            yield next(chunks)
            raise ConnectionResetError("dropped mid-stream")
        yield from chunks


def test_progress_is_rewound_when_a_streamed_copy_is_retried(tmp_path: Path, big: Path) -> None:
    """Issue 18: a retried streamed copy re-added the bytes already counted."""
    src, dst = _dirs(tmp_path, DropsMidStream())
    counted: list[int] = []
    ctx = CopyContext(
        ThreadPoolExecutor(1), MemoryBudget(64 * MiB), FAST_RETRY, counted.append, MiB
    )
    size = big.stat().st_size
    task = FileTask(str(big), dst.get_path() + "big.bin", big.as_uri(), "file://dst/big.bin", size)
    copy_streamed(task, src._session.backend, dst._session.backend, ctx)
    ctx.part_pool.shutdown()
    assert sum(counted) == size
    assert min(counted) < 0  # the rewind of the failed attempt
    assert (tmp_path / "dst" / "big.bin").read_bytes() == big.read_bytes()
