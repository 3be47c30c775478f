"""The ``fluke`` command on local paths and the local queue, run as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fluke
from fluke.storage import LocalDir

SECRET = "s3cr3t-Pa55word-value"


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fluke", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "src" / "sub").mkdir(parents=True)
    (tmp_path / "src" / "a.txt").write_text("alpha")
    (tmp_path / "src" / "sub" / "b.bin").write_bytes(os.urandom(3000))
    return tmp_path


def test_ls_and_du_agree_with_the_api(tree: Path) -> None:
    src = str(tree / "src")
    listed = json.loads(run("ls", "-r", "--json", src).stdout)
    assert listed == LocalDir(src).get_contents(recursively=True)
    usage = json.loads(run("du", "--json", src).stdout)
    assert usage["bytes"] == LocalDir(src).get_size(recursively=True)
    assert usage["files"] == 2


def test_cp_round_trip_and_exit_statuses(tree: Path) -> None:
    src, dst = str(tree / "src"), str(tree / "dst")
    first = run("cp", "-r", src, dst, "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["files"][0]["status"] == "transferred"
    assert (tree / "dst" / "sub" / "b.bin").read_bytes() == (
        tree / "src" / "sub" / "b.bin"
    ).read_bytes()
    (tree / "src" / "new.txt").write_text("new")
    partial = run("cp", "-r", src, dst)
    assert partial.returncode == 3 and "1 transferred" in partial.stdout
    again = run("cp", "-r", src, dst)
    assert again.returncode == 1
    synced = run("cp", "-r", "--sync", src, dst, "--json")
    assert synced.returncode == 0 and "3 skipped" in json.loads(synced.stdout)["summary"]


def test_cp_of_a_dir_needs_r(tree: Path) -> None:
    result = run("cp", str(tree / "src"), str(tree / "dst"))
    assert result.returncode == 2 and "use -r" in result.stderr
    assert not (tree / "dst").exists()


def test_cat_and_stat(tree: Path) -> None:
    assert run("cat", str(tree / "src" / "a.txt")).stdout == "alpha"
    info = json.loads(run("stat", "--json", str(tree / "src" / "a.txt")).stdout)
    assert info["type"] == "file" and info["size"] == 5


def test_bad_input_is_a_message_not_a_traceback(tree: Path) -> None:
    for args in (("ls", str(tree / "missing")), ("ls", "zz://x"), ("ls", "sftp://u@h:99999/x")):
        result = run(*args)
        assert result.returncode == 2, result
        assert result.stderr.startswith("fluke: ") and "Traceback" not in result.stderr


def test_rm_asks_before_deleting_many(tree: Path) -> None:
    src = str(tree / "src")
    refused = run("rm", "-r", src)
    assert refused.returncode == 1 and (tree / "src" / "a.txt").exists()
    done = run("rm", "-r", "--yes", src)
    assert done.returncode == 0 and not (tree / "src").exists()


def test_queue_commands(tmp_path: Path) -> None:
    url = f"localq://{tmp_path}/q.db?queue=jobs"
    assert run("queue", "push", url, "one", "two", "three").returncode == 0
    assert json.loads(run("queue", "count", "--json", url).stdout) == {"count": 3}
    assert sorted(json.loads(run("queue", "peek", "--json", url).stdout)) == ["one", "three", "two"]
    assert run("queue", "poll", "-n", "2", url).stdout.split() == ["one", "two"]
    assert run("queue", "clear", url).returncode == 1  # asks first
    assert run("queue", "clear", "--yes", url).returncode == 0
    assert run("queue", "count", url).stdout.strip() == "0"


def test_plugins_lists_core_and_schemes() -> None:
    plugins = json.loads(run("plugins", "--json").stdout)
    core = next(p for p in plugins if p["plugin"] == "fluke-core")
    assert core["names"]["scheme"] == ["file", "localq"]


def test_secrets_are_never_echoed(tree: Path) -> None:
    result = run(
        "ls",
        f"sftp://user:{SECRET}@127.0.0.1:1/nowhere",
        env={"AWS_SECRET_ACCESS_KEY": SECRET + "-env", "MY_PASSWORD": SECRET},
    )
    assert result.returncode != 0
    assert SECRET not in result.stdout + result.stderr


def test_urls_in_the_python_api(tree: Path) -> None:
    directory = fluke.dir(str(tree / "src"))
    assert directory.count(recursively=True) == 2
    assert fluke.file(f"file://{tree}/src/a.txt").read() == b"alpha"
    with pytest.raises(ImportError, match="pip install fluke-gcp"):
        fluke.dir("gs://bucket/prefix")
