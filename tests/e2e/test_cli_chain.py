"""The ``fluke`` command across every backend: local -> S3 -> Azure -> GCS -> SFTP -> local.

Each hop is a real ``fluke cp -r`` subprocess whose credentials come from the
environment (AWS env + ``AWS_ENDPOINT_URL``, ``AZURE_STORAGE_CONNECTION_STRING``,
``STORAGE_EMULATOR_HOST``, ``~/.ssh``), as a user's shell would have them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
import servers

AWS_SECRET = f"e2e-aws-secret-{uuid.uuid4().hex}"
TREE = {
    "a.txt": b"alpha\n",
    "nested/b.bin": os.urandom(70_000),
    "nested/deeper/c.txt": "ünïcödé\n".encode(),
    "empty.txt": b"",
}


@pytest.fixture
def env(
    moto_endpoint: str, azurite: servers.Azurite, gcs_endpoint: str, ssh_home: Path
) -> dict[str, str]:
    """The environment a user's shell would have for these five places."""
    return {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIAE2ETESTKEY000001",
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string,
        "STORAGE_EMULATOR_HOST": gcs_endpoint,
        "HOME": str(ssh_home),
    }


def fluke(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "fluke", *args], capture_output=True, text=True, env=env, timeout=120
    )
    output = result.stdout + result.stderr
    assert AWS_SECRET not in output
    assert servers.AZURITE_KEY not in output
    return result


def make_buckets(moto_endpoint: str, azurite: servers.Azurite, gcs_endpoint: str) -> str:
    """One bucket/container of the same name on S3, Azure and GCS."""
    import boto3
    from azure.storage.blob import BlobServiceClient

    name = f"chain-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
    ).create_bucket(Bucket=name)  # fmt: skip
    BlobServiceClient.from_connection_string(azurite.connection_string).create_container(name)
    request = urllib.request.Request(
        f"{gcs_endpoint}/storage/v1/b?project=test",
        data=json.dumps({"name": name}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).close()
    return name


def test_tree_round_trips_through_every_backend(
    tmp_path: Path,
    env: dict[str, str],
    moto_endpoint: str,
    azurite: servers.Azurite,
    gcs_endpoint: str,
    sshd: servers.SSHServer,
    sftp_area: str,
) -> None:
    source = tmp_path / "source"
    for relative, data in TREE.items():
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        (source / relative).write_bytes(data)
    name = make_buckets(moto_endpoint, azurite, gcs_endpoint)
    hops = [
        str(source),
        f"s3://{name}/chain",
        f"az://{name}/chain",
        f"gs://{name}/chain",
        f"sftp://127.0.0.1:{sshd.port}{sftp_area}/chain",
        str(tmp_path / "back"),
    ]
    for src, dst in zip(hops, hops[1:], strict=False):
        result = fluke(env, "cp", "-r", "--json", src, dst)
        assert result.returncode == 0, f"{src} -> {dst}: {result.stderr}"
        assert json.loads(result.stdout)["summary"].startswith(f"{len(TREE)} transferred")
        listed = json.loads(fluke(env, "ls", "-r", "--json", dst).stdout)
        assert listed == sorted(TREE), dst
        usage = json.loads(fluke(env, "du", "--json", dst).stdout)
        assert usage["bytes"] == sum(len(data) for data in TREE.values())
    for relative, data in TREE.items():
        assert (tmp_path / "back" / relative).read_bytes() == data


def test_exit_statuses_against_a_cloud(
    tmp_path: Path,
    env: dict[str, str],
    moto_endpoint: str,
    azurite: servers.Azurite,
    gcs_endpoint: str,
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "one.txt").write_text("1")
    name = make_buckets(moto_endpoint, azurite, gcs_endpoint)
    assert fluke(env, "cp", "-r", str(source), f"s3://{name}/x").returncode == 0
    (source / "two.txt").write_text("2")
    assert fluke(env, "cp", "-r", str(source), f"s3://{name}/x").returncode == 3  # partial
    missing = fluke(env, "ls", "s3://no-such-bucket-e2e/")
    assert missing.returncode == 2 and "no-such-bucket-e2e" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert fluke(env, "cp", "-r", str(source), f"az://{name}/y").returncode == 0
    kept = fluke(env, "rm", "-r", f"az://{name}/y")
    assert kept.returncode == 1  # asks first; nothing deleted without --yes
    listing = ["one.txt", "two.txt"]
    assert json.loads(fluke(env, "ls", "-r", "--json", f"az://{name}/y").stdout) == listing
    assert fluke(env, "rm", "-r", "--yes", f"az://{name}/y").returncode == 0
    assert fluke(env, "ls", f"az://{name}/y").returncode == 2  # gone
    bad = fluke({**env, "AWS_SECRET_ACCESS_KEY": "wrong-" + AWS_SECRET}, "ls", f"s3://{name}/")
    assert "wrong-" + AWS_SECRET not in bad.stdout + bad.stderr


def test_queue_commands_on_sqs_and_azure(
    env: dict[str, str], moto_endpoint: str, azurite: servers.Azurite
) -> None:
    import boto3
    from azure.storage.queue import QueueServiceClient

    name = f"q-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "sqs", endpoint_url=moto_endpoint, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
    ).create_queue(QueueName=name)  # fmt: skip
    QueueServiceClient.from_connection_string(azurite.connection_string).create_queue(name)
    for url in (f"sqs://{name}", f"azq://{name}"):
        assert fluke(env, "queue", "push", url, "first", "<second & third>").returncode == 0
        assert json.loads(fluke(env, "queue", "count", "--json", url).stdout)["count"] == 2
        polled = fluke(env, "queue", "poll", url, "-n", "2").stdout.splitlines()
        assert sorted(polled) == ["<second & third>", "first"]
