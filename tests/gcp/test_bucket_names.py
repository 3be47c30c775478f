"""An invalid GCS bucket name is one typed line, exit 2, before any request (issue 17, #14)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

import fluke
from fluke.exceptions import BucketNotFoundError, InvalidPathError
from fluke_gcp._bucket_name import check_bucket_name
from fluke_gcp.auth import GCPAuth
from fluke_gcp.storage import GCPStorageDir, GCPStorageFile, InvalidBucketNameError

BAD = "Bad_Bucket!"


def dead_endpoint() -> str:
    """A URL where nothing listens: any request sent there would fail differently."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    "name", [BAD, "", "ab", "Upper", "-dash", "dot.", "a/b", "x" * 64, "a." + "y" * 64]
)
def test_invalid_names_are_refused_before_any_request(name: str) -> None:
    auth = GCPAuth.for_emulator(dead_endpoint(), project_id="test")
    started = time.monotonic()
    with pytest.raises(InvalidBucketNameError) as caught:
        GCPStorageDir(auth, name)
    with pytest.raises(InvalidBucketNameError):
        GCPStorageFile(auth, name, "x.txt")
    assert time.monotonic() - started < 5
    assert isinstance(caught.value, BucketNotFoundError)
    assert isinstance(caught.value, InvalidPathError)
    assert repr(name) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_valid_names_pass() -> None:
    for name in ("abc", "my_bucket-1", "a.b.c", "x" * 63, ".".join(["y" * 63] * 3)):
        assert check_bucket_name(name) == name


def test_url_with_invalid_bucket() -> None:
    auth = GCPAuth.for_emulator(dead_endpoint(), project_id="test")
    with pytest.raises(InvalidBucketNameError, match="Bad_Bucket!"):
        fluke.dir(f"gs://{BAD}/x", auth=auth)
    with pytest.raises(InvalidBucketNameError, match="Bad_Bucket!"):
        fluke.file(f"gs://{BAD}/x", auth=auth)


@pytest.mark.parametrize("command", [["ls"], ["cat"], ["cp", "-r", "{src}"]])
def test_cli_exit_2_and_one_line(command: list[str], tmp_path: os.PathLike[str]) -> None:
    """No credentials and no server needed: the name is refused first."""
    args = [part.format(src=tmp_path) for part in command] + [f"gs://{BAD}/x"]
    env = {**os.environ, "STORAGE_EMULATOR_HOST": dead_endpoint()}
    result = subprocess.run(
        [sys.executable, "-m", "fluke", *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Bad_Bucket!" in lines[0]
