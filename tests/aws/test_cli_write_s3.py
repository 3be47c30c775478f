"""``fluke put``, ``mv``, ``mkdir`` and ``rm`` against S3 (moto), as a user's shell runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any


def run(env: dict[str, str], *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "fluke", *args],
        capture_output=True,
        input=stdin,
        env=env,
        timeout=120,
    )


def test_put_mv_mkdir_rm_on_s3(moto_endpoint: str, s3: Any, bucket: str) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIACLIWRITETEST0001",
        "AWS_SECRET_ACCESS_KEY": "cli-write-secret-value",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    data = os.urandom(9 * 1024 * 1024 + 1)  # more than one part: a multipart upload
    put = run(env, "put", "-", f"s3://{bucket}/in/data.bin", "--json", stdin=data)
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["bytes"] == len(data)
    assert s3.get_object(Bucket=bucket, Key="in/data.bin")["Body"].read() == data
    again = run(env, "put", "-", f"s3://{bucket}/in/data.bin", stdin=b"x")
    assert again.returncode == 2  # If-None-Match: * refused it
    moved = run(env, "mv", f"s3://{bucket}/in/data.bin", f"s3://{bucket}/out/")
    assert moved.returncode == 0, moved.stderr
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert "in/data.bin" not in keys and "out/data.bin" in keys
    assert run(env, "mkdir", f"s3://{bucket}/made/here").returncode == 0
    assert s3.get_object(Bucket=bucket, Key="made/here/")["ContentLength"] == 0
    assert run(env, "rm", f"s3://{bucket}/out/data.bin").returncode == 0
    assert run(env, "rm", f"s3://{bucket}/out/data.bin").returncode == 2
