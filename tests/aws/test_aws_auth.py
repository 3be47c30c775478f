"""AWSAuth: constructor, credential chain, endpoints, secrecy; plugin discovery."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import fluke.auth
import fluke.queues
import fluke.storage
from fluke_aws.auth import AWSAuth
from fluke_aws.storage import AmazonS3Dir, AmazonS3File

KEY_ID = "AKIAFLUKETESTKEY0001"
SECRET = "fluke-test-secret-key-do-not-print"
TOKEN = "fluke-test-session-token-do-not-print"


def test_names_resolve_through_the_plugin() -> None:
    from fluke_aws import auth, queues, storage

    assert fluke.storage.AmazonS3Dir is storage.AmazonS3Dir
    assert fluke.storage.AmazonS3File is storage.AmazonS3File
    assert fluke.queues.AmazonSQSQueue is queues.AmazonSQSQueue
    assert fluke.auth.AWSAuth is auth.AWSAuth


def test_discovering_the_plugin_imports_no_sdk() -> None:
    code = (
        "import sys, fluke._plugins as p; r = p.registry(); "
        "assert 'AmazonS3Dir' in r.names('storage'), r.names('storage'); "
        "assert 'AWSAuth' in r.names('auth'); "
        "bad = [m for m in ('boto3', 'botocore', 'fluke_aws.storage') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_secrets_never_in_repr_or_str() -> None:
    auth = AWSAuth(KEY_ID, SECRET, TOKEN, AWSAuth.Region.EUROPE_WEST_1)
    for text in (repr(auth), str(auth), f"{auth}", repr([auth])):
        assert SECRET not in text and TOKEN not in text and KEY_ID not in text
        assert "eu-west-1" in text and "****" in text
    assert auth.get_region() == "eu-west-1"


def test_get_credentials() -> None:
    auth = AWSAuth(KEY_ID, SECRET, region="us-west-2")
    assert auth.get_credentials() == {
        "aws_access_key_id": KEY_ID,
        "aws_secret_access_key": SECRET,
        "aws_session_token": None,
        "region_name": "us-west-2",
    }
    chain = AWSAuth(profile="dev", endpoint_url="http://127.0.0.1:1")
    assert chain.get_credentials()["profile_name"] == "dev"
    assert chain.get_credentials()["endpoint_url"] == "http://127.0.0.1:1"


def test_region_enum() -> None:
    assert AWSAuth.Region.EUROPE_WEST_1.value == "eu-west-1"
    assert AWSAuth.Region("us-east-1") is AWSAuth.Region.US_EAST_1
    assert AWSAuth(KEY_ID, SECRET, region=AWSAuth.Region.US_EAST_2).get_region() == "us-east-2"


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="together"):
        AWSAuth(KEY_ID)
    with pytest.raises(ValueError, match="together"):
        AWSAuth(aws_secret_access_key=SECRET)
    with pytest.raises(ValueError, match="session_token"):
        AWSAuth(aws_session_token=TOKEN)
    with pytest.raises(TypeError, match="region"):
        AWSAuth(KEY_ID, SECRET, region=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not-a-url"):
        AWSAuth(endpoint_url="not-a-url")
    with pytest.raises(TypeError) as info:
        AWSAuth(KEY_ID, 12345)  # type: ignore[arg-type]
    assert "12345" not in str(info.value)


def _seed(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"chain")


def test_aws_endpoint_url_env_is_honoured(
    moto_endpoint: str, s3: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(s3, bucket)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    auth = AWSAuth(KEY_ID, SECRET, region="us-east-1")
    assert auth.get_endpoint_url("s3") == moto_endpoint
    with AmazonS3File(auth, bucket, "k.txt") as file:
        assert file.read() == b"chain"


def test_default_credential_chain_from_environment(
    moto_endpoint: str, s3: Any, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(s3, bucket)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with AmazonS3Dir(AWSAuth(endpoint_url=moto_endpoint), bucket) as root:
        assert root.get_contents() == ["k.txt"]


def test_profile_from_shared_files(
    moto_endpoint: str, s3: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(s3, bucket)
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[fluke-test]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    )
    config = tmp_path / "config"
    config.write_text("[profile fluke-test]\nregion = us-east-1\n")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    auth = AWSAuth(profile="fluke-test", endpoint_url=moto_endpoint)
    with AmazonS3Dir(auth, bucket) as root:
        assert root.get_contents() == ["k.txt"]
    assert SECRET not in repr(auth)


def test_secrets_stay_out_of_fluke_logs(
    auth: AWSAuth, s3: Any, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="fluke")
    _seed(s3, bucket)
    with AmazonS3Dir(auth, bucket) as root:
        root.get_file("k.txt").read()
        root.get_contents(recursively=True)
    secret = auth.get_credentials()["aws_secret_access_key"]
    assert secret
    for record in caplog.records:
        assert secret not in record.getMessage()
