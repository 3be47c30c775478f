"""Symbolic links on local disk (issue 17, findings 8 and 11).

A listing follows a link only to a file inside the listed directory; links
out of it, dangling links and link loops are skipped with a warning, and
the rest of the command goes on.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fluke.exceptions import InvalidPathError
from fluke.local import LocalDir, LocalFile

INSIDE = ["a.txt", "alias.txt", "sub/b.txt", "sub/up.txt"]


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """``src/`` with good files and links of every kind; ``outside/`` beside it."""
    src, outside = tmp_path / "src", tmp_path / "outside"
    (src / "sub").mkdir(parents=True)
    outside.mkdir()
    (src / "a.txt").write_bytes(b"alpha")
    (src / "sub" / "b.txt").write_bytes(b"bravo!")
    (outside / "secret.txt").write_bytes(b"SECRET")
    os.symlink("a.txt", src / "alias.txt")  # a file inside: followed
    os.symlink("../a.txt", src / "sub" / "up.txt")  # inside the listed root: followed
    os.symlink(outside / "secret.txt", src / "leak.txt")  # out of the tree
    os.symlink("../outside/secret.txt", src / "sub" / "leak2.txt")
    os.symlink("/etc/hostname", src / "hostname")
    os.symlink(outside, src / "outdir")
    os.symlink("missing", src / "dangling")
    os.symlink("loop", src / "loop")  # ELOOP
    os.symlink("..", src / "sub" / "parent")  # a directory loop
    return tmp_path


def _copied_bytes(root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file())


# -- API -----------------------------------------------------------------------------


def test_listing_skips_links_out_dangling_and_loops(
    linked: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="fluke.local"):
        directory = LocalDir(str(linked / "src"))
        assert directory.get_contents() == ["a.txt", "alias.txt", "sub/"]
        assert directory.get_contents(recursively=True) == INSIDE
        assert directory.count(recursively=True) == 4
        assert directory.get_size(recursively=True) == 5 + 5 + 6 + 5
    warned = caplog.text
    for name in ("leak.txt", "leak2.txt", "hostname", "outdir", "dangling", "loop"):
        assert f"{name}:" in warned, name


def test_links_are_checked_against_the_listed_root(linked: Path) -> None:
    # listed from sub/, the link to ../a.txt leads out of the listed directory
    assert LocalDir(str(linked / "src" / "sub")).get_contents(recursively=True) == ["b.txt"]


def test_transfer_copies_only_what_is_inside(linked: Path, tmp_path: Path) -> None:
    dst = tmp_path / "dst"
    with LocalDir(str(linked / "src")) as src, LocalDir(str(dst), create_if_missing=True) as out:
        report = src.transfer_to(out, recursively=True, suppress_output=True)
        assert report
        assert out.get_contents(recursively=True) == INSIDE
    assert (dst / "alias.txt").read_bytes() == b"alpha"
    assert not any(path.is_symlink() for path in dst.rglob("*"))
    assert b"SECRET" not in _copied_bytes(dst)


def test_a_link_to_the_listed_root_itself_is_not_descended(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.txt").write_text("f")
    os.symlink(tmp_path / "d", tmp_path / "d" / "self")
    directory = LocalDir(str(tmp_path / "d"))
    assert directory.get_contents() == ["f.txt"]
    assert directory.get_contents(recursively=True) == ["f.txt"]


def test_dangling_links_and_loops_do_not_exist(linked: Path) -> None:
    directory = LocalDir(str(linked / "src"))
    for name in ("dangling", "loop"):
        assert not directory.path_exists(name)
        assert not directory.is_file(name)
        with pytest.raises(InvalidPathError, match=name):
            directory.get_file(name)
        with pytest.raises(InvalidPathError, match=name):
            LocalFile(str(linked / "src" / name))


# -- CLI -------------------------------------------------------------------------------


def _fluke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fluke", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_ls_and_du_go_on(linked: Path) -> None:
    src = str(linked / "src")
    listed = _fluke("ls", src)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["a.txt", "alias.txt", "sub/"]
    recursive = _fluke("ls", "-r", src)
    assert recursive.returncode == 0, recursive.stderr
    assert "b.txt" in recursive.stdout and "up.txt" in recursive.stdout
    for skipped in ("leak", "hostname", "dangling", "loop", "outdir"):
        assert skipped not in listed.stdout + recursive.stdout
    usage = _fluke("du", src)
    assert usage.returncode == 0, usage.stderr
    assert usage.stdout.split()[0] == "21"
    for result in (listed, recursive, usage):  # said without -v
        assert "dangling" in result.stderr and "WARNING" in result.stderr


def test_cli_cp_r_goes_on_and_warns(linked: Path) -> None:
    dst = linked / "dst"
    copied = _fluke("cp", "-r", str(linked / "src"), str(dst))
    assert copied.returncode == 0, copied.stderr
    assert sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file()) == INSIDE
    assert b"SECRET" not in _copied_bytes(dst)
    assert "dangling" in copied.stderr and "leak.txt" in copied.stderr
