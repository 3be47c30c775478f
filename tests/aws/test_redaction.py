"""Secrets in s3:// and sqs:// URLs and in AWSAuth never reach errors or reprs (issue 17, #9)."""

from __future__ import annotations

import traceback

import pytest

import fluke
from fluke.exceptions import InvalidPathError
from fluke_aws.auth import AWSAuth

SECRET = "PW-s3cr3t"


def assert_clean(error: BaseException) -> None:
    assert SECRET not in str(error)
    assert SECRET not in repr(error)
    assert SECRET not in "".join(traceback.format_exception(error))


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("dir", f"s3://u:{SECRET}@{{bucket}}/x"),
        ("file", f"s3://u:{SECRET}@{{bucket}}/x.txt"),
    ],
)
def test_s3_url_errors_hide_secrets(
    kind: str, url: str, bucket: str, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    with pytest.raises(InvalidPathError) as caught:
        getattr(fluke, kind)(url.format(bucket=bucket))
    assert_clean(caught.value)


def test_s3_url_with_userinfo_is_refused(
    bucket: str, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    with pytest.raises(InvalidPathError, match="user name or password") as caught:
        fluke.dir(f"s3://AKIAEXAMPLE:{SECRET}@{bucket}/")
    assert "s3://***@" in str(caught.value)
    assert "AKIAEXAMPLE" not in str(caught.value)


def test_sqs_url_with_userinfo_is_refused(
    queue_name: str, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sqs://u:PW@/`` was accepted, and the queue's repr showed the password."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    for url in (f"sqs://u:{SECRET}@/", f"sqs://u:{SECRET}@{queue_name}"):
        with pytest.raises(InvalidPathError, match="user name or password") as caught:
            fluke.queue(url)
        assert_clean(caught.value)


def test_awsauth_repr_hides_endpoint_userinfo() -> None:
    auth = AWSAuth(endpoint_url=f"http://minio:{SECRET}@127.0.0.1:9000")
    assert SECRET not in repr(auth)
    assert SECRET not in str(auth)
    assert "127.0.0.1:9000" in repr(auth)
    # the credentials are still given to boto3, on request
    assert auth.get_endpoint_url() == f"http://minio:{SECRET}@127.0.0.1:9000"


def test_awsauth_bad_endpoint_error_hides_userinfo() -> None:
    with pytest.raises(ValueError) as caught:
        AWSAuth(endpoint_url=f"minio:{SECRET}@127.0.0.1:9000")
    assert_clean(caught.value)
