"""Issue 18: S3's error codes become errors a user can act on (moto server, real HTTP).

moto checks no credentials by default; ``/moto-api/reset-auth`` makes it
check every request against its IAM, as S3 does. The fixture turns that on
for one test and off again (each pytest-xdist worker has its own server).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from conftest import REGION, SECRET, unique

from fluke.exceptions import (
    AuthenticationError,
    BucketNotFoundError,
    InvalidPathError,
    PathNotFoundError,
    PermissionDeniedError,
)
from fluke_aws.auth import AWSAuth
from fluke_aws.storage import AmazonS3Dir, AmazonS3File

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}],
}


def _reset_auth(endpoint: str, count: str) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=count.encode(),
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


@pytest.fixture
def checked(moto_endpoint: str, auth: AWSAuth, s3: Any, bucket: str) -> Iterator[dict[str, str]]:
    """moto checks credentials; yields a user's key pair that may not use S3."""
    s3.put_object(Bucket=bucket, Key="data/a.txt", Body=b"a")
    iam = auth._client("iam")
    try:
        user = unique("fluke-user")
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="no-s3", PolicyDocument=json.dumps(POLICY))
        key = iam.create_access_key(UserName=user)["AccessKey"]
    finally:
        iam.close()
    _reset_auth(moto_endpoint, "0")
    try:
        yield {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    finally:
        _reset_auth(moto_endpoint, "inf")


def _auth(endpoint: str, key_id: str, secret: str) -> AWSAuth:
    return AWSAuth(key_id, secret, region=REGION, endpoint_url=endpoint)


def test_a_missing_key_is_file_not_found_and_invalid_path(auth: AWSAuth, bucket: str) -> None:
    with pytest.raises(FileNotFoundError, match="missing.txt") as caught:
        AmazonS3File(auth, bucket, "missing.txt")
    assert isinstance(caught.value, InvalidPathError)
    with AmazonS3Dir(auth, bucket) as root:
        with pytest.raises(PathNotFoundError, match="nope.txt"):
            root.get_file("nope.txt")


def test_a_missing_key_read_through_the_backend_keeps_its_cause(auth: AWSAuth, bucket: str) -> None:
    from fluke_aws._s3backend import S3Backend

    backend = S3Backend(auth, bucket)
    try:
        with pytest.raises(PathNotFoundError, match="gone.bin") as caught:
            backend.read_range("gone.bin", 0, 1)
        assert isinstance(caught.value, FileNotFoundError)
        assert isinstance(caught.value.__cause__, ClientError)
    finally:
        backend.close()


def test_a_missing_bucket_is_file_not_found(auth: AWSAuth) -> None:
    name = unique("absent")
    with pytest.raises(BucketNotFoundError, match=name) as caught:
        AmazonS3Dir(auth, name)
    assert isinstance(caught.value, FileNotFoundError)


def test_an_unknown_access_key_is_an_authentication_error(
    checked: dict[str, str], moto_endpoint: str, bucket: str
) -> None:
    wrong = _auth(moto_endpoint, "AKIAUNKNOWNKEY000001", SECRET)
    with pytest.raises(AuthenticationError, match=bucket) as caught:
        AmazonS3File(wrong, bucket, "data/a.txt")
    assert isinstance(caught.value, PermissionError)
    assert not isinstance(caught.value, FileNotFoundError)
    assert SECRET not in str(caught.value)


def test_a_wrong_secret_is_an_authentication_error(
    checked: dict[str, str], moto_endpoint: str, bucket: str
) -> None:
    wrong = _auth(moto_endpoint, checked["id"], "not-the-secret-key-0123456789abcdefghij")
    backend = _backend(wrong, bucket)
    with pytest.raises(AuthenticationError, match="SignatureDoesNotMatch") as caught:
        list(backend.list("data/", True))
    backend.close()
    assert "not-the-secret" not in str(caught.value)
    assert isinstance(caught.value.__cause__, ClientError)


def test_a_bucket_the_user_may_not_read_is_permission_denied_not_missing(
    checked: dict[str, str], moto_endpoint: str, bucket: str
) -> None:
    """Before: a 403 became ``BucketNotFoundError`` ("does not exist")."""
    user = _auth(moto_endpoint, checked["id"], checked["secret"])
    with pytest.raises(PermissionError, match=bucket) as caught:
        AmazonS3Dir(user, bucket)
    assert isinstance(caught.value, PermissionDeniedError)
    assert not isinstance(caught.value, (BucketNotFoundError, FileNotFoundError))
    assert checked["secret"] not in str(caught.value)
    backend = _backend(user, bucket)
    with pytest.raises(PermissionDeniedError, match="AccessDenied") as denied:
        backend.read_range("data/a.txt", 0, 1)
    assert "s3://" + bucket + "/data/a.txt" in str(denied.value)
    with pytest.raises(PermissionDeniedError, match="data/b.txt"):
        with backend.open_writer("data/b.txt") as writer:
            writer.write(b"b")
    backend.close()


def _backend(auth: AWSAuth, bucket: str) -> Any:
    from fluke_aws._s3backend import S3Backend

    return S3Backend(auth, bucket)


def _cli(endpoint: str, key_id: str, secret: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_DEFAULT_REGION": REGION,
    }
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "fluke", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_the_cli_says_permission_denied_in_one_line(
    checked: dict[str, str], moto_endpoint: str, bucket: str
) -> None:
    denied = _cli(moto_endpoint, checked["id"], checked["secret"], "ls", f"s3://{bucket}/data/")
    assert denied.returncode == 1, denied.stderr
    assert denied.stderr.startswith("fluke: Permission denied for ")
    assert bucket in denied.stderr and len(denied.stderr.strip().splitlines()) == 1
    assert checked["secret"] not in denied.stderr
    wrong = _cli(moto_endpoint, "AKIAUNKNOWNKEY000002", SECRET, "cat", f"s3://{bucket}/data/a.txt")
    assert wrong.returncode == 1, wrong.stderr
    assert wrong.stderr.startswith("fluke: Authentication failed for ")
    assert "check the credentials" in wrong.stderr and SECRET not in wrong.stderr
