"""fluke-core specifics: local disk, path safety, transfer reports, local queue."""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
import uuid
import warnings
from pathlib import Path

import pytest

from fluke._session import Session
from fluke.exceptions import InvalidPathError, OverwriteError, UnsafePathError
from fluke.local import LocalBackend, LocalDir, LocalFile
from fluke.localqueue import LocalQueue
from fluke.transfer import TransferSource, transfer


@pytest.fixture
def src(tmp_path: Path) -> LocalDir:
    (tmp_path / "src" / "nested").mkdir(parents=True)
    (tmp_path / "src" / "one.txt").write_bytes(b"one")
    (tmp_path / "src" / "nested" / "two.txt").write_bytes(b"two" * 1000)
    return LocalDir(str(tmp_path / "src"))


@pytest.fixture
def dst(tmp_path: Path) -> LocalDir:
    return LocalDir(str(tmp_path / "dst"), create_if_missing=True)


def test_relative_paths_become_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "f.txt").write_text("x")
    monkeypatch.chdir(tmp_path)
    assert LocalFile("f.txt").get_path() == str(tmp_path / "f.txt")
    assert LocalDir(".").get_path() == str(tmp_path) + "/"
    assert LocalFile("f.txt").get_uri() == "file://" + str(tmp_path / "f.txt")


@pytest.mark.parametrize("hostile", ["../x", "a/../../x", "/abs", "a\\..\\b", "nul\x00byte"])
def test_hostile_keys_never_land_outside(src: LocalDir, dst: LocalDir, hostile: str) -> None:
    source = TransferSource(
        Session(LocalBackend(), cache=False), src.get_path() + "one.txt", hostile
    )
    report = transfer([source], dst, suppress_output=True)
    assert not report
    assert isinstance(report.failed[0].error, UnsafePathError)
    assert dst.get_contents(recursively=True) == []
    assert not os.path.exists(os.path.join(os.path.dirname(dst.get_path().rstrip("/")), "x"))


def test_report_lists_every_outcome(src: LocalDir, dst: LocalDir) -> None:
    seen = []
    report = src.transfer_to(dst, recursively=True, suppress_output=True, callback=seen.append)
    assert report and len(report.transferred) == 2 and report.total_bytes == 3003
    assert len(seen) == 2
    again = src.transfer_to(dst, recursively=True, suppress_output=True)
    assert not again and all(isinstance(o.error, OverwriteError) for o in again.failed)
    assert "2 failed" in again.summary()


def test_skip_identical_and_dry_run(src: LocalDir, dst: LocalDir) -> None:
    plan = src.transfer_to(dst, recursively=True, dry_run=True, suppress_output=True)
    assert [o.status for o in plan] == ["planned", "planned"]
    assert dst.get_contents(recursively=True) == []
    assert src.transfer_to(dst, recursively=True, suppress_output=True)
    rerun = src.transfer_to(dst, recursively=True, skip_identical=True, suppress_output=True)
    assert rerun and len(rerun.skipped) == 2 and rerun.total_bytes == 0


def test_progress_output_unless_suppressed(
    src: LocalDir, dst: LocalDir, capsys: pytest.CaptureFixture[str]
) -> None:
    assert src.transfer_to(dst, recursively=True)
    assert "2 transferred" in capsys.readouterr().err
    src.transfer_to(dst, recursively=True, overwrite=True, suppress_output=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_failed_write_leaves_nothing(dst: LocalDir) -> None:
    backend = LocalBackend()
    target = dst.get_path() + "partial.bin"
    with pytest.raises(RuntimeError):
        with backend.open_writer(target) as writer:
            writer.write(b"half")
            raise RuntimeError("interrupted")
    assert os.listdir(dst.get_path()) == []


def test_transfer_source_changing_size_fails(src: LocalDir, dst: LocalDir) -> None:
    source = TransferSource(
        Session(LocalBackend(), cache=False), src.get_path() + "one.txt", "one.txt", size=10
    )
    report = transfer([source], dst, suppress_output=True)
    assert not report and "has 3 bytes, not the 10 listed" in str(report.failed[0].error)
    assert dst.get_contents() == []


def test_missing_paths_raise(tmp_path: Path) -> None:
    with pytest.raises(InvalidPathError, match="nowhere"):
        LocalFile(str(tmp_path / "nowhere"))
    with pytest.raises(InvalidPathError, match="nowhere"):
        LocalDir(str(tmp_path / "nowhere"))
    assert not (tmp_path / "nowhere").exists()


def test_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.txt").write_text("f")
    os.symlink(tmp_path / "d", tmp_path / "d" / "loop")
    assert LocalDir(str(tmp_path / "d")).get_contents(recursively=True) == ["f.txt"]


class _ConnectedBackend(LocalBackend):
    def is_connected(self) -> bool:
        return True


def test_unclosed_owner_warns(tmp_path: Path) -> None:
    directory = LocalDir(str(tmp_path))
    directory._session.backend = _ConnectedBackend()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del directory
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)


def _push_many(path: str, count: int) -> None:
    queue = LocalQueue(path, "shared")
    for index in range(count):
        queue.push(f"{os.getpid()}-{index}", suppress_output=True)
    queue.close()


def _drain(path: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue = LocalQueue(path, "shared")
    for batch in queue.poll(batch_size=7):
        for message in batch:
            results.put(message)
    queue.close()


def test_local_queue_is_safe_across_processes(tmp_path: Path) -> None:
    path = str(tmp_path / f"{uuid.uuid4().hex}.db")
    context = multiprocessing.get_context("spawn")
    pushers = [context.Process(target=_push_many, args=(path, 50)) for _ in range(3)]
    for process in pushers:
        process.start()
    for process in pushers:
        process.join()
    results = context.Queue()
    drainers = [context.Process(target=_drain, args=(path, results)) for _ in range(3)]
    for process in drainers:
        process.start()
    received = [results.get(timeout=30) for _ in range(150)]
    for process in drainers:
        process.join()
    assert len(set(received)) == 150
    assert LocalQueue(path, "shared").count() == 0


def test_local_queue_redelivers_after_visibility_timeout(tmp_path: Path) -> None:
    queue = LocalQueue(str(tmp_path / "q.db"), "q", visibility_timeout=1)
    queue.push("again")
    with pytest.raises(RuntimeError):
        for _batch in queue.poll():
            raise RuntimeError("crash")
    assert list(queue.poll()) == []  # hidden while in flight
    time.sleep(1.1)
    assert [m for batch in queue.poll() for m in batch] == ["again"]
    assert queue.count() == 0


def test_poll_with_frequency_stops_at_num_messages(tmp_path: Path) -> None:
    queue = LocalQueue(str(tmp_path / "q.db"), "q")
    for index in range(3):
        queue.push(str(index))
    batches = list(queue.poll(num_messages=3, batch_size=2, polling_frequency=0.01))
    assert [m for batch in batches for m in batch] == ["0", "1", "2"]


class _TrackedBackend(LocalBackend):
    closed = 0

    def close(self) -> None:
        type(self).closed += 1


def test_failed_construction_releases_the_connection(tmp_path: Path) -> None:
    from fluke._dir import Dir
    from fluke._file import File

    with pytest.raises(InvalidPathError):
        File.__new__(File)._attach(_TrackedBackend(), str(tmp_path / "missing"))
    with pytest.raises(InvalidPathError):
        Dir.__new__(Dir)._attach(_TrackedBackend(), str(tmp_path / "missing") + "/")
    assert _TrackedBackend.closed == 2
