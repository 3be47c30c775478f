"""pandas, pyarrow and Dask read and write through FlukeFileSystem on real S3 and SFTP.

S3 is moto's server, SFTP a real OpenSSH sshd (both from :mod:`servers`);
the data tools see only ``fluke://`` URLs and Fluke auth objects.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import boto3
import pandas
import pyarrow
import pyarrow.parquet as pq
import pytest
import servers

import fluke
from fluke.auth import AWSAuth, RemoteAuth
from fluke.exceptions import SourceChangedError
from fluke_fsspec import FlukeFileSystem

FRAME = pandas.DataFrame({"region": ["eu", "us", "ap"], "total": [42, 17, 5]})


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server in its own process."""
    with servers.moto() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def aws(moto_endpoint: str) -> AWSAuth:
    return AWSAuth("AKIAFLUKEFSSPEC00001", "fsspec-secret", region="us-east-1",
                   endpoint_url=moto_endpoint)  # fmt: skip


@pytest.fixture
def bucket(moto_endpoint: str) -> str:
    """A fresh bucket, seeded with a CSV and a parquet file through boto3."""
    name = f"fsspec-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1",
                      aws_access_key_id="x", aws_secret_access_key="y")  # fmt: skip
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="data/totals.csv", Body=FRAME.to_csv(index=False).encode())
    buffer = io.BytesIO()
    pq.write_table(pyarrow.Table.from_pandas(FRAME), buffer)
    s3.put_object(Bucket=name, Key="data/totals.parquet", Body=buffer.getvalue())
    for day in range(3):
        part = pandas.DataFrame({"day": [day, day], "value": [day * 10, day * 10 + 1]})
        s3.put_object(Bucket=name, Key=f"daily/{day:02d}.csv", Body=part.to_csv(index=False))
    return name


@pytest.fixture(scope="module")
def sshd() -> Iterator[servers.SSHServer]:
    with servers.sshd() as server:
        yield server


@pytest.fixture
def sftp(sshd: servers.SSHServer) -> tuple[RemoteAuth, str]:
    """Key auth with the host key pinned, and a fresh directory in the test user's home."""
    auth = RemoteAuth.from_key(sshd.host, sshd.username, str(sshd.client_keys["ed25519"]),
                               port=sshd.port, known_hosts=str(sshd.known_hosts),
                               ssh_config=False)  # fmt: skip
    area = f"{sshd.home}/fsspec-{uuid.uuid4().hex[:12]}"
    with fluke.dir(f"sftp://{sshd.host}{area}", auth=auth, create_if_missing=True):
        pass
    return auth, f"sftp://{sshd.host}:{sshd.port}{area}"


def test_pandas_read_csv_from_s3(bucket: str, aws: AWSAuth) -> None:
    frame = pandas.read_csv(f"fluke://s3://{bucket}/data/totals.csv", storage_options={"auth": aws})
    pandas.testing.assert_frame_equal(frame, FRAME)


def test_pyarrow_read_table_from_s3_reads_ranges(bucket: str, aws: AWSAuth) -> None:
    fs = FlukeFileSystem(root=f"s3://{bucket}", auth=aws)
    try:
        table = pq.read_table("data/totals.parquet", filesystem=fs, columns=["total"])
        assert table.column("total").to_pylist() == [42, 17, 5]
        with fs.open("data/totals.parquet", "rb") as f:  # a seekable Fluke reader
            f.seek(-4, 2)
            assert f.read() == b"PAR1"
    finally:
        fs.close()


def test_pandas_write_then_read_on_s3(bucket: str, aws: AWSAuth) -> None:
    url = f"fluke://s3://{bucket}/out/written.csv"
    FRAME.to_csv(url, index=False, storage_options={"auth": aws})
    pandas.testing.assert_frame_equal(pandas.read_csv(url, storage_options={"auth": aws}), FRAME)


def test_dask_read_csv_over_a_prefix_on_s3(bucket: str, aws: AWSAuth) -> None:
    import dask.dataframe

    frame = dask.dataframe.read_csv(
        f"fluke://s3://{bucket}/daily/*.csv", storage_options={"auth": aws}
    )
    assert frame.npartitions == 3
    computed = frame.compute(scheduler="threads").sort_values(["day", "value"])
    assert computed["value"].tolist() == [0, 1, 10, 11, 20, 21]


def test_pandas_and_pyarrow_on_sftp(sftp: tuple[RemoteAuth, str]) -> None:
    auth, base = sftp
    FRAME.to_csv(f"fluke://{base}/totals.csv", index=False, storage_options={"auth": auth})
    frame = pandas.read_csv(f"fluke://{base}/totals.csv", storage_options={"auth": auth})
    pandas.testing.assert_frame_equal(frame, FRAME)
    FRAME.to_parquet(f"fluke://{base}/totals.parquet", storage_options={"auth": auth})
    fs = FlukeFileSystem(root=base, auth=auth)
    try:
        table = pq.read_table("totals.parquet", filesystem=fs)
        assert table.column("region").to_pylist() == ["eu", "us", "ap"]
        assert sorted(fs.ls("", detail=False)) == ["totals.csv", "totals.parquet"]
    finally:
        fs.close()


def test_a_file_replaced_while_open_is_refused(bucket: str, aws: AWSAuth) -> None:
    fs = FlukeFileSystem(auth=aws)
    try:
        url = f"s3://{bucket}/big.bin"
        fs.pipe_file(url, bytes(range(256)) * 64)  # 16 KiB
        with fs.open(url, "rb", block_size=4096) as f:
            assert f.read(4) == bytes(range(4))
            fs.pipe_file(url, b"replaced meanwhile" * 1000)
            f.seek(12000)
            with pytest.raises(SourceChangedError):
                f.read(10)
    finally:
        fs.close()


def test_ls_info_rm_mv_get_put(bucket: str, aws: AWSAuth, tmp_path: object) -> None:
    fs = FlukeFileSystem(auth=aws)
    root = f"s3://{bucket}"
    try:
        assert fs.ls(f"{root}/daily", detail=False) == [
            f"{root}/daily/{d:02d}.csv" for d in range(3)
        ]
        info = fs.info(f"{root}/data/totals.csv")
        assert info["type"] == "file" and info["size"] > 0 and info["version"]
        assert fs.info(f"{root}/data")["type"] == "directory"
        fs.mv(f"{root}/daily/00.csv", f"{root}/moved/00.csv")
        assert not fs.exists(f"{root}/daily/00.csv") and fs.exists(f"{root}/moved/00.csv")
        local = f"{tmp_path}/got.csv"
        fs.get(f"{root}/moved/00.csv", local)
        fs.put(local, f"{root}/back/00.csv")
        assert fs.cat_file(f"{root}/back/00.csv") == fs.cat_file(f"{root}/moved/00.csv")
        fs.rm(f"{root}/back", recursive=True)
        assert not fs.exists(f"{root}/back/00.csv")
        with pytest.raises(FileNotFoundError):
            fs.info(f"{root}/nothing.csv")
    finally:
        fs.close()
