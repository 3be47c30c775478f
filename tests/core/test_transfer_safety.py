"""Issue 17's engine findings that need a particular backend: collisions, chunk bounds, the CLI.

The rules every backend keeps are in the conformance suite
(``fluke.testing._safety_suite``); these are the cases the suite cannot phrase
generically.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from fluke.exceptions import InvalidChunkSizeError, TransferError
from fluke.local import LocalDir


def _memory_dir(objects: dict[str, bytes]):  # type: ignore[no-untyped-def]
    from fluke.storage import MemoryDir  # type: ignore[attr-defined]

    store = uuid.uuid4().hex
    root = MemoryDir(store, None, create_if_missing=True)
    backend = root._session.backend
    for key, data in objects.items():
        with backend.open_writer(key) as writer:
            writer.write(data)
    return root


def test_two_keys_landing_on_one_destination_are_never_both_written(tmp_path: Path) -> None:
    """Finding 4: S3 keys ``a/../coll.txt`` and ``coll.txt`` both "transferred".

    The streaming engine (issue 11) holds back only the odd key (not in
    normal form) and refuses it, naming both; the key in normal form is
    copied as it streams by. Nothing is written twice.
    """
    source = _memory_dir({"a/../coll.txt": b"first", "coll.txt": b"second", "ok.txt": b"fine"})
    destination = LocalDir(str(tmp_path), create_if_missing=True)
    report = source.transfer_to(destination, recursively=True, suppress_output=True)
    names = [outcome.source.rsplit("/", 1)[-1] for outcome in report.transferred]
    assert names == ["coll.txt", "ok.txt"]
    assert [outcome.source.endswith("/a/../coll.txt") for outcome in report.failed] == [True]
    error = report.failed[0].error
    assert isinstance(error, TransferError)
    assert "a/../coll.txt" in str(error) and "memory://" in str(error)
    assert str(error).count("coll.txt") >= 3  # names both sources and the destination
    assert sorted(path.name for path in tmp_path.iterdir()) == ["coll.txt", "ok.txt"]
    assert (tmp_path / "coll.txt").read_bytes() == b"second"


def test_two_odd_keys_landing_on_one_destination_both_fail(tmp_path: Path) -> None:
    source = _memory_dir({"a/../coll.txt": b"first", "b/../coll.txt": b"second"})
    destination = LocalDir(str(tmp_path), create_if_missing=True)
    report = source.transfer_to(destination, recursively=True, suppress_output=True)
    assert not report.transferred and len(report.failed) == 2
    for outcome in report.failed:
        assert isinstance(outcome.error, TransferError)
        assert "a/../coll.txt" in str(outcome.error) and "b/../coll.txt" in str(outcome.error)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("chunk_size", [1024**4, 2**63])
def test_huge_chunk_sizes_are_refused_before_anything_is_copied(
    tmp_path: Path, chunk_size: int
) -> None:
    """Finding 15: each file failed with an empty MemoryError or OverflowError."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"a")
    src = LocalDir(str(tmp_path / "src"))
    dst = LocalDir(str(tmp_path / "dst"), create_if_missing=True)
    with pytest.raises(InvalidChunkSizeError, match=str(chunk_size)):
        src.transfer_to(dst, chunk_size=chunk_size, suppress_output=True)
    assert list((tmp_path / "dst").iterdir()) == []


def _fluke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fluke", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_refuses_a_huge_chunk_size_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_bytes(b"a")
    result = _fluke(
        "cp", "-r", "--chunk-size", "1099511627776", str(tmp_path / "src"), str(tmp_path / "dst")
    )
    assert result.returncode == 2, result.stderr
    assert "1099511627776" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "dst" / "a.txt").exists()


def test_cli_refuses_copying_a_dir_onto_itself_with_exit_2(tmp_path: Path) -> None:
    """Finding 3: ``fluke cp -r --overwrite X X`` rewrote every file onto itself."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_bytes(b"keep me")
    result = _fluke("cp", "-r", "--overwrite", str(tmp_path / "data"), str(tmp_path / "data"))
    assert result.returncode == 2, result.stderr
    assert "destination" in result.stderr and len(result.stderr.splitlines()) == 1
    assert (tmp_path / "data" / "a.txt").read_bytes() == b"keep me"
    assert sorted(path.name for path in (tmp_path / "data").iterdir()) == ["a.txt"]


def test_a_destination_nested_in_the_source_is_allowed(tmp_path: Path) -> None:
    """Kept from before: the copy terminates, the nested destination is not re-copied."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_bytes(b"a")
    src = LocalDir(str(tmp_path / "data"))
    report = src.transfer_to(
        LocalDir(str(tmp_path / "data" / "backup"), create_if_missing=True),
        recursively=True,
        suppress_output=True,
    )
    assert report and (tmp_path / "data" / "backup" / "a.txt").read_bytes() == b"a"
