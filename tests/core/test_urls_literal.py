"""Plain paths are paths: no percent-decoding outside ``file://`` URLs (issue 17, finding 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import fluke


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fluke", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ),
        timeout=60,
    )


@pytest.fixture
def twins(tmp_path: Path) -> Path:
    """``aA.txt`` and ``a%41.txt`` side by side (``%41`` decodes to ``A``)."""
    (tmp_path / "aA.txt").write_text("decoded twin")
    (tmp_path / "a%41.txt").write_text("literal name")
    return tmp_path


def test_api_reads_a_plain_path_literally(twins: Path) -> None:
    with fluke.file(str(twins / "a%41.txt")) as file:
        assert file.read_text() == "literal name"
    with fluke.dir(str(twins)) as directory:
        assert directory.get_file("a%41.txt").read_text() == "literal name"


def test_api_relative_plain_path_is_literal(twins: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(twins)
    with fluke.file("a%41.txt") as file:
        assert file.read_text() == "literal name"


def test_file_urls_are_still_percent_decoded(twins: Path) -> None:
    with fluke.file(f"file://{twins}/a%41.txt") as file:
        assert file.read_text() == "decoded twin"
    with fluke.file(f"file://{twins}/a%2541.txt") as file:
        assert file.read_text() == "literal name"


def test_plain_path_with_url_characters(tmp_path: Path) -> None:
    """``?`` and ``#`` in a plain path are part of the name, not a query or fragment."""
    (tmp_path / "q?x=1#frag.txt").write_text("odd")
    with fluke.file(str(tmp_path / "q?x=1#frag.txt")) as file:
        assert file.read_text() == "odd"


def test_cli_cat_prints_the_named_file(twins: Path) -> None:
    result = run("cat", "a%41.txt", cwd=twins)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "literal name"


def test_cli_rm_deletes_the_named_file_only(twins: Path) -> None:
    result = run("rm", "a%41.txt", cwd=twins)
    assert result.returncode == 0, result.stderr
    assert not (twins / "a%41.txt").exists()
    assert (twins / "aA.txt").read_text() == "decoded twin"
