"""S3's bucket-name rule; the shared checks are in ``tests/bucket_name_cases.py``."""

from __future__ import annotations

from pathlib import Path

import bucket_name_cases as cases
import pytest

import fluke.exceptions
from fluke_aws import storage
from fluke_aws._bucket_name import check_bucket_name
from fluke_aws.auth import AWSAuth
from fluke_aws.storage import AmazonS3Dir, AmazonS3File


@pytest.mark.parametrize("name", [cases.BAD, "", "a/b", "with space", "x" * 256, "b\u00e9"])
def test_invalid_names_are_refused_before_any_request(name: str) -> None:
    auth = AWSAuth(
        "AKIAEXAMPLE", "secret-example", region="us-east-1", endpoint_url=cases.dead_endpoint()
    )
    cases.assert_refused(
        name, lambda bucket: AmazonS3Dir(auth, bucket), lambda b, p: AmazonS3File(auth, b, p)
    )


def test_names_s3_accepts_pass(auth: AWSAuth, bucket: str) -> None:
    for name in ("abc", "my.bucket-1", "Legacy_Bucket", "x" * 255):
        assert check_bucket_name(name) == name
    with AmazonS3Dir(auth, bucket) as directory:  # a real bucket on the server still opens
        assert directory.get_bucket_name() == bucket


def test_the_error_is_the_core_class() -> None:
    assert storage.InvalidBucketNameError is fluke.exceptions.InvalidBucketNameError


def test_url_with_invalid_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    cases.assert_urls_refused("s3")


@pytest.mark.parametrize("command", cases.CLI_COMMANDS)
def test_cli_exit_2_and_one_line(command: list[str], moto_endpoint: str, tmp_path: Path) -> None:
    env = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret-example",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    cases.assert_cli_exit_2(command, "s3", env, tmp_path)
