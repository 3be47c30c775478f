"""The bucket-name checks every provider shares (issue 17, #14): only the rules differ.

A name the service cannot hold is one typed line, refused before any
request, exit code 2 at the CLI. ``tests/aws/test_bucket_names.py`` and
``tests/gcp/test_bucket_names.py`` keep their own naming-rule cases and call
these checks with their own constructors, URL scheme and environment.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

import fluke
from fluke.exceptions import BucketNotFoundError, InvalidBucketNameError, InvalidPathError

#: a name neither S3 nor GCS allows
BAD = "Bad_Bucket!"

#: the CLI commands that must refuse ``<scheme>://BAD/x`` (``{src}``: a local directory)
CLI_COMMANDS = [["ls"], ["cat"], ["cp", "-r", "{src}"]]


def dead_endpoint() -> str:
    """A URL where nothing listens: any request sent there would fail differently."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def assert_refused(
    name: str, open_dir: Callable[[str], object], open_file: Callable[[str, str], object]
) -> None:
    """``open_dir(name)`` and ``open_file(name, "x.txt")`` raise the one-line typed error.

    Point them at :func:`dead_endpoint`: a request would fail with another error.
    """
    with pytest.raises(InvalidBucketNameError) as caught:
        open_dir(name)
    with pytest.raises(InvalidBucketNameError):
        open_file(name, "x.txt")
    error = caught.value
    assert isinstance(error, BucketNotFoundError) and isinstance(error, FileNotFoundError)
    assert isinstance(error, InvalidPathError)
    assert error.bucket == name
    assert repr(name) in str(error)
    assert "\n" not in str(error)


def assert_urls_refused(scheme: str, **options: Any) -> None:
    """``fluke.dir`` and ``fluke.file`` of ``<scheme>://BAD/x`` name the bucket."""
    with pytest.raises(InvalidBucketNameError, match=re.escape(BAD)):
        fluke.dir(f"{scheme}://{BAD}/x", **options)
    with pytest.raises(InvalidBucketNameError, match=re.escape(BAD)):
        fluke.file(f"{scheme}://{BAD}/x", **options)


def assert_cli_exit_2(
    command: list[str], scheme: str, env: Mapping[str, str], tmp_path: Path
) -> None:
    """``fluke <command> <scheme>://BAD/x`` exits 2 with one line naming the bucket."""
    args = [part.format(src=tmp_path) for part in command] + [f"{scheme}://{BAD}/x"]
    result = subprocess.run(
        [sys.executable, "-m", "fluke", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert BAD in lines[0]
