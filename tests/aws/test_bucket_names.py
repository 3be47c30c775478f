"""An invalid S3 bucket name is one typed line, exit 2, before any request (issue 17, #14)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

import fluke
from fluke.exceptions import BucketNotFoundError, InvalidPathError
from fluke_aws._bucket_name import check_bucket_name
from fluke_aws.auth import AWSAuth
from fluke_aws.storage import AmazonS3Dir, AmazonS3File, InvalidBucketNameError

BAD = "Bad_Bucket!"


def dead_endpoint() -> str:
    """A URL where nothing listens: any request sent there would fail differently."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("name", [BAD, "", "a/b", "with space", "x" * 256, "b\u00e9"])
def test_invalid_names_are_refused_before_any_request(name: str) -> None:
    auth = AWSAuth(
        "AKIAEXAMPLE", "secret-example", region="us-east-1", endpoint_url=dead_endpoint()
    )
    started = time.monotonic()
    with pytest.raises(InvalidBucketNameError) as caught:
        AmazonS3Dir(auth, name)
    with pytest.raises(InvalidBucketNameError):
        AmazonS3File(auth, name, "x.txt")
    assert time.monotonic() - started < 5
    assert isinstance(caught.value, BucketNotFoundError)
    assert isinstance(caught.value, InvalidPathError)
    assert repr(name) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_names_s3_accepts_pass(auth: AWSAuth, bucket: str) -> None:
    for name in ("abc", "my.bucket-1", "Legacy_Bucket", "x" * 255):
        assert check_bucket_name(name) == name
    with AmazonS3Dir(auth, bucket) as directory:  # a real bucket on the server still opens
        assert directory.get_bucket_name() == bucket


def test_url_with_invalid_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    with pytest.raises(InvalidBucketNameError, match="Bad_Bucket!"):
        fluke.dir(f"s3://{BAD}/x")
    with pytest.raises(InvalidBucketNameError, match="Bad_Bucket!"):
        fluke.file(f"s3://{BAD}/x")


@pytest.mark.parametrize("command", [["ls"], ["cat"], ["cp", "-r", "{src}"]])
def test_cli_exit_2_and_one_line(
    command: list[str], moto_endpoint: str, tmp_path: os.PathLike[str]
) -> None:
    args = [part.format(src=tmp_path) for part in command] + [f"s3://{BAD}/x"]
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret-example",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "fluke", *args], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Bad_Bucket!" in lines[0]
