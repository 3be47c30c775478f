"""``fluke put``, ``mv``, ``mkdir`` and ``rm`` on single files (local disk), as subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "fluke", *args], capture_output=True, input=stdin, timeout=60
    )


def test_put_from_stdin_and_from_a_file(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    target = tmp_path / "out" / "deep" / "stdin.bin"
    done = run("put", "-", str(target), "--json", stdin=data)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes() == data
    assert json.loads(done.stdout) == {"uri": f"file://{target}", "bytes": len(data)}
    local = tmp_path / "local.txt"
    local.write_bytes(b"from a file")
    into_dir = run("put", str(local), str(tmp_path / "out") + "/")
    assert into_dir.returncode == 0, into_dir.stderr
    assert (tmp_path / "out" / "local.txt").read_bytes() == b"from a file"
    into_existing = run("put", str(local), str(tmp_path / "out" / "deep"))
    assert into_existing.returncode == 0, into_existing.stderr
    assert (tmp_path / "out" / "deep" / "local.txt").read_bytes() == b"from a file"


def test_put_never_overwrites_without_the_flag(tmp_path: Path) -> None:
    target = tmp_path / "kept.txt"
    target.write_bytes(b"old")
    refused = run("put", "-", str(target), stdin=b"new")
    assert refused.returncode == 2
    assert b"kept.txt" in refused.stderr and b"Traceback" not in refused.stderr
    assert target.read_bytes() == b"old"
    assert run("put", "-", str(target), "--overwrite", stdin=b"new").returncode == 0
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["kept.txt"]  # no temporary file left


def test_put_bad_input(tmp_path: Path) -> None:
    assert run("put", str(tmp_path / "missing"), str(tmp_path / "x")).returncode == 2
    assert run("put", "-", str(tmp_path) + "/", stdin=b"x").returncode == 2
    (tmp_path / "d").mkdir()
    assert run("put", "-", str(tmp_path / "d"), stdin=b"x").returncode == 2
    assert os.listdir(tmp_path / "d") == []


def test_mv_renames_and_moves_into_dirs(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"alpha")
    renamed = run("mv", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--json")
    assert renamed.returncode == 0, renamed.stderr
    assert json.loads(renamed.stdout)["destination"] == f"file://{tmp_path}/b.txt"
    assert not (tmp_path / "a.txt").exists() and (tmp_path / "b.txt").read_bytes() == b"alpha"
    (tmp_path / "sub").mkdir()
    assert run("mv", str(tmp_path / "b.txt"), str(tmp_path / "sub")).returncode == 0
    assert (tmp_path / "sub" / "b.txt").read_bytes() == b"alpha"
    (tmp_path / "other.txt").write_bytes(b"other")
    refused = run("mv", str(tmp_path / "other.txt"), str(tmp_path / "sub" / "b.txt"))
    assert refused.returncode == 2 and (tmp_path / "other.txt").exists()
    assert (tmp_path / "sub" / "b.txt").read_bytes() == b"alpha"
    forced = run("mv", "--overwrite", str(tmp_path / "other.txt"), str(tmp_path / "sub/b.txt"))
    assert forced.returncode == 0
    assert (tmp_path / "sub" / "b.txt").read_bytes() == b"other"
    assert run("mv", str(tmp_path / "missing"), str(tmp_path / "x")).returncode == 2


def test_mkdir_and_rm_of_one_file(tmp_path: Path) -> None:
    made = run("mkdir", str(tmp_path / "x" / "y"), "--json")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "x" / "y").is_dir()
    assert json.loads(made.stdout) == {"uri": f"file://{tmp_path}/x/y/"}
    assert run("mkdir", str(tmp_path / "x" / "y")).returncode == 0  # exists: fine
    (tmp_path / "f.txt").write_bytes(b"f")
    assert run("mkdir", str(tmp_path / "f.txt")).returncode == 2
    assert run("mkdir", str(tmp_path / "f.txt" / "below")).returncode == 2
    removed = run("rm", str(tmp_path / "f.txt"), "--json")
    assert removed.returncode == 0 and not (tmp_path / "f.txt").exists()
    assert json.loads(removed.stdout) == {"deleted": [str(tmp_path / "f.txt")]}
    assert run("rm", str(tmp_path / "f.txt")).returncode == 2
