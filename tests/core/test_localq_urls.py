"""``localq://`` URLs: a host is refused, a bad database file is named (issue 17, #13)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import fluke
from fluke.exceptions import InvalidPathError
from fluke.localqueue import LocalQueue


def test_a_host_is_refused_and_nothing_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``localq://tmp/jobs.db`` used to drop ``tmp`` and create ``/jobs.db``."""
    name = f"fluke-{os.getpid()}-{tmp_path.name}.db"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidPathError, match="host 'tmp'") as caught:
        fluke.queue(f"localq://tmp/{name}?queue=q")
    assert f"localq://tmp/{name}?queue=q" in str(caught.value)
    assert not Path("/", name).exists()
    assert not (tmp_path / "tmp").exists()


def test_localhost_and_empty_host_still_work(tmp_path: Path) -> None:
    for url in (f"localq://{tmp_path}/a.db?queue=q", f"localq://localhost{tmp_path}/b.db#q"):
        with fluke.queue(url) as queue:
            queue.push("x")
            assert queue.count() == 1


def test_a_file_that_is_not_a_database_is_named(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("this is not a database, just some text\n" * 200)
    with pytest.raises(InvalidPathError) as caught:
        fluke.queue(f"localq://{notes}?queue=q")
    assert str(notes) in str(caught.value)
    assert "not a queue database" in str(caught.value)
    assert notes.read_text().startswith("this is not a database")


def test_another_programs_database_is_named(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE messages (author TEXT, text TEXT)")
    with pytest.raises(InvalidPathError) as caught:
        LocalQueue(str(other), "q")
    assert str(other) in str(caught.value)


def test_a_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidPathError) as caught:
        LocalQueue(str(tmp_path), "q")
    assert str(tmp_path) in str(caught.value)


def test_cli_reports_a_host_with_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fluke", "queue", "count", "localq://tmp/never.db?queue=q"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "host 'tmp'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not Path("/never.db").exists()
