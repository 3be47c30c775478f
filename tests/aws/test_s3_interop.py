"""Real readers over ``File.reader()`` on S3: zipfile, tarfile, pandas and pyarrow.

pandas and pyarrow are test dependencies only (the tests-aws nox session
installs them). The parquet tests count the ranged requests the reader sends,
to prove that reading a footer or one column does not download the file.
"""

from __future__ import annotations

import io
import logging
import tarfile
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from fluke.storage import AmazonS3Dir

logger = logging.getLogger(__name__)

MEMBERS = {f"dir/member-{i}.txt": f"member {i}\n".encode() * (i + 1) for i in range(5)}
MEMBERS["big.bin"] = bytes(range(256)) * 40_000  # ~10 MiB: spans several reader blocks


@pytest.fixture
def directory(auth: Any, bucket: str) -> Iterator[AmazonS3Dir]:
    with AmazonS3Dir(auth, bucket) as root:
        yield root


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in MEMBERS.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar_bytes(mode: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in MEMBERS.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_zipfile_over_a_reader(directory: AmazonS3Dir) -> None:
    directory.write_file("archive.zip", _zip_bytes())
    with directory.get_file("archive.zip").reader() as reader:
        with zipfile.ZipFile(reader) as archive:
            assert archive.namelist() == list(MEMBERS)
            assert archive.read("dir/member-3.txt") == MEMBERS["dir/member-3.txt"]
            assert archive.read("big.bin") == MEMBERS["big.bin"]
            assert archive.testzip() is None


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_tarfile_over_a_reader(directory: AmazonS3Dir, mode: str) -> None:
    directory.write_file("archive.tar", _tar_bytes(mode))
    with directory.get_file("archive.tar").reader() as reader:
        with tarfile.open(fileobj=reader, mode="r:*") as archive:
            assert archive.getnames() == list(MEMBERS)
            member = archive.extractfile("big.bin")
            assert member is not None and member.read() == MEMBERS["big.bin"]


def test_pandas_read_csv_over_a_reader(directory: AmazonS3Dir) -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"id": range(50_000), "name": [f"név-{i}" for i in range(50_000)]})
    directory.write_file("table.csv", frame.to_csv(index=False))
    with directory.get_file("table.csv").reader() as reader:
        assert pandas.read_csv(reader).equals(frame)
    with directory.get_file("table.csv").reader(encoding="utf-8") as text:
        assert pandas.read_csv(text).equals(frame)


def test_pyarrow_parquet_over_a_reader_reads_only_what_it_needs(directory: AmazonS3Dir) -> None:
    pyarrow = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")
    rows = 400_000
    table = pyarrow.table(
        {
            "id": pyarrow.array(range(rows), pyarrow.int64()),
            "noise": pyarrow.array([f"row-{i:08d}-" * 4 for i in range(rows)]),
        }
    )
    buffer = io.BytesIO()
    parquet.write_table(table, buffer, compression="none", row_group_size=100_000)
    data = buffer.getvalue()
    size = len(data)
    directory.write_file("table.parquet", data)
    file = directory.get_file("table.parquet")

    with file.reader() as reader:
        metadata = parquet.ParquetFile(reader).metadata
        assert metadata.num_rows == rows and metadata.num_row_groups == 4
        footer_requests, footer_bytes = reader.stats.requests, reader.stats.bytes
    logger.warning("parquet footer of %d bytes: %d ranged requests, %d bytes", size,
                   footer_requests, footer_bytes)  # fmt: skip
    assert footer_requests <= 2
    assert footer_bytes <= 256 * 1024 < size // 10

    with file.reader() as reader:
        ids = parquet.read_table(reader, columns=["id"])
        column_requests, column_bytes = reader.stats.requests, reader.stats.bytes
    assert ids.column("id").to_pylist() == list(range(rows))
    logger.warning("one column of %d bytes: %d ranged requests, %d bytes", size,
                   column_requests, column_bytes)  # fmt: skip
    assert column_bytes < size // 2  # the "noise" column was never downloaded

    with file.reader() as reader:
        assert parquet.read_table(reader).equals(table)
