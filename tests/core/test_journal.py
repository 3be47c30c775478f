"""Issue 11: the transfer journal resumes after a crash (local disk, real processes).

The driver is a child process SIGKILLed by itself at a chosen moment: while
listing (from the ``filter``, called as each file is listed) or while copying
(from the ``callback``, called as each file completes). Its re-run with the
same journal must complete and move only what was missing.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fluke.local import LocalDir
from fluke.transfer import JournalMismatchError

FILES = 300

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from fluke.local import LocalDir
    src, dst, journal, when, after = sys.argv[1:6]
    seen = [0]
    def tick(*_):
        seen[0] += 1
        if seen[0] == int(after):
            os.kill(os.getpid(), signal.SIGKILL)
        return True
    options = {"filter": tick} if when == "listing" else {"callback": tick}
    report = LocalDir(src).transfer_to(
        LocalDir(dst, create_if_missing=True), recursively=True, suppress_output=True,
        journal=journal, max_workers=4, **options)
    print(report.summary())
    """
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``FILES`` small files in ten directories."""
    src = tmp_path / "src"
    for index in range(FILES):
        path = src / f"d{index % 10}" / f"f{index:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"file {index}\n".encode() * 10)
    return src


def _files(root: Path) -> dict[str, bytes]:
    """The finished files under ``root`` (not a writer's temporary ``.fluke-part``)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.endswith(".fluke-part")
    }


def _killed_run(src: Path, dst: Path, journal: Path, when: str, after: int) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(dst), str(journal), when, str(after)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr


def _resume(src: Path, dst: Path, journal: Path):  # type: ignore[no-untyped-def]
    return LocalDir(str(src)).transfer_to(
        LocalDir(str(dst), create_if_missing=True),
        recursively=True,
        suppress_output=True,
        journal=str(journal),
    )


@pytest.mark.parametrize(("when", "after"), [("listing", 120), ("copy", 120)])
def test_a_killed_driver_resumes_and_moves_only_what_was_missing(
    tree: Path, tmp_path: Path, when: str, after: int
) -> None:
    dst, journal = tmp_path / "dst", tmp_path / "job.sqlite"
    _killed_run(tree, dst, journal, when, after)
    before = _files(dst)
    assert 0 < len(before) < FILES
    report = _resume(tree, dst, journal)
    assert report, [str(outcome.error) for outcome in report.failed]
    assert report.counts["transferred"] == FILES - len(before)
    assert report.counts["skipped"] == len(before)
    assert _files(dst) == _files(tree)
    assert not [path for path in dst.rglob("*") if ".fluke" in path.name]


def test_a_completed_journal_copies_only_changed_sources_again(tree: Path, tmp_path: Path) -> None:
    dst, journal = tmp_path / "dst", tmp_path / "job.sqlite"
    options = {"recursively": True, "suppress_output": True, "overwrite": True}
    first = LocalDir(str(tree)).transfer_to(
        LocalDir(str(dst), create_if_missing=True), journal=str(journal), **options
    )
    assert first.counts["transferred"] == FILES
    (tree / "d3" / "f0003.txt").write_bytes(b"changed, and longer than before\n")
    (tree / "d4" / "f0004.txt").write_bytes(b"changed too\n")
    again = LocalDir(str(tree)).transfer_to(LocalDir(str(dst)), journal=str(journal), **options)
    assert again, [str(outcome.error) for outcome in again.failed]
    assert [o.source.rsplit("/", 2)[-2:] for o in again.transferred] == [
        ["d3", "f0003.txt"],
        ["d4", "f0004.txt"],
    ]
    assert again.counts["skipped"] == FILES - 2
    assert _files(dst) == _files(tree)


def test_a_changed_source_without_overwrite_is_refused_not_replaced(
    tree: Path, tmp_path: Path
) -> None:
    dst, journal = tmp_path / "dst", tmp_path / "job.sqlite"
    assert _resume(tree, dst, journal)
    (tree / "d1" / "f0001.txt").write_bytes(b"new content\n")
    report = _resume(tree, dst, journal)
    assert [outcome.source.rsplit("/", 1)[-1] for outcome in report.failed] == ["f0001.txt"]
    assert "exists" in str(report.failed[0].error)
    assert (dst / "d1" / "f0001.txt").read_bytes() != b"new content\n"


def test_a_journal_of_another_transfer_is_refused(tree: Path, tmp_path: Path) -> None:
    journal = tmp_path / "job.sqlite"
    assert _resume(tree, tmp_path / "dst", journal)
    with pytest.raises(JournalMismatchError, match="destination") as caught:
        _resume(tree, tmp_path / "elsewhere", journal)
    assert str(journal) in str(caught.value) and "elsewhere" in str(caught.value)
    assert not (tmp_path / "elsewhere").exists() or not any((tmp_path / "elsewhere").iterdir())
    with pytest.raises(JournalMismatchError, match="overwrite"):
        LocalDir(str(tree)).transfer_to(
            LocalDir(str(tmp_path / "dst")),
            recursively=True,
            overwrite=True,
            suppress_output=True,
            journal=str(journal),
        )


def test_the_journal_records_each_file_and_shard(tree: Path, tmp_path: Path) -> None:
    journal = tmp_path / "job.sqlite"
    assert _resume(tree, tmp_path / "dst", journal)
    with sqlite3.connect(journal) as conn:
        states = conn.execute("SELECT state, count(*) FROM files GROUP BY state").fetchall()
        shards = conn.execute("SELECT key, done FROM shards").fetchall()
        complete = conn.execute("SELECT value FROM meta WHERE key = 'complete'").fetchone()
    assert states == [(1, FILES)]
    assert shards == [("t:", 1)]
    assert complete == ("1",)
    assert os.path.getsize(journal) < FILES * 1024


def test_cli_cp_with_a_journal_resumes(tree: Path, tmp_path: Path) -> None:
    dst, journal = tmp_path / "dst", tmp_path / "job.sqlite"
    _killed_run(tree, dst, journal, "copy", 50)
    before = len(_files(dst))
    result = subprocess.run(
        [sys.executable, "-m", "fluke", "cp", "-r", "-q", "--journal", str(journal)]
        + [str(tree), str(dst)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"{FILES - before} transferred, {before} skipped, 0 failed" in result.stdout
    assert _files(dst) == _files(tree)
    wrong = subprocess.run(
        [sys.executable, "-m", "fluke", "cp", "-r", "--journal", str(journal)]
        + [str(tree), str(tmp_path / "other")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert wrong.returncode == 2 and "records a transfer with destination" in wrong.stderr
