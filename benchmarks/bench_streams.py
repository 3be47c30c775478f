"""File-like streams (issue 12): ``File.reader()`` and ``Dir.writer()`` against their anchors.

* Streaming a 256 MiB object through ``reader()`` (``read(8 MiB)`` to the
  end, bytes thrown away) vs the SDK's own download into the same null sink:
  boto3 ``download_fileobj`` on S3 (moto), paramiko ``SFTPClient.getfo``
  (64 requests in flight, as OpenSSH's ``sftp``) on SFTP (sshd). Target: >= 0.9x.
* Writing 256 MiB through ``writer()`` (a local file copied in 8 MiB writes)
  vs ``LocalFile.transfer_to`` of the same file, on S3 and SFTP. Target: >= 0.9x.

Best of two alternating runs each.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import (
    BIG_MIB,
    MiB,
    Row,
    best_of,
    compare,
    moto_server,
    print_rows,
    ssh_server,
    write_big,
)

KEY_ID, SECRET = "AKIAFLUKEBENCHSTREAM1", "fluke-bench-stream-secret"
READ = 8 * MiB


class _Null:
    """A sink that counts what it is given."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def _stream(file: Any, expected: int) -> None:
    with file.reader() as reader:
        total = 0
        while chunk := reader.read(READ):
            total += len(chunk)
    assert total == expected, (total, expected)


def _write(directory: Any, name: str, local: Path) -> None:
    with open(local, "rb") as source, directory.writer(name, overwrite=True) as writer:
        while chunk := source.read(READ):
            writer.write(chunk)


def _transfer(directory: Any, local: Path) -> None:
    from fluke.storage import LocalFile

    with LocalFile(str(local)) as source:
        assert source.transfer_to(directory, overwrite=True, suppress_output=True)


def _rows(
    name: str,
    big: Path,
    directory: Any,
    sdk_download: Callable[[str], None],
) -> list[Row]:
    size = big.stat().st_size
    _transfer(directory, big)  # the object both downloads read
    file = directory.get_file(big.name)
    reader_s, sdk_s = best_of(2, lambda: _stream(file, size), lambda: sdk_download(big.name))
    write_s, transfer_s = best_of(
        2, lambda: _write(directory, "written.bin", big), lambda: _transfer(directory, big)
    )
    sdk_name = "boto3 download_fileobj" if name == "aws" else "paramiko getfo"
    return [
        compare(f"{name} reader() 1 x {BIG_MIB} MiB (target >= 0.9x)", reader_s, {sdk_name: sdk_s}),
        compare(
            f"{name} writer() 1 x {BIG_MIB} MiB (target >= 0.9x)",
            write_s,
            {"transfer_to": transfer_s},
        ),
    ]


def _aws(big: Path) -> list[Row]:
    from fluke_aws.auth import AWSAuth
    from fluke_aws.storage import AmazonS3Dir

    with moto_server() as url:
        auth = AWSAuth(KEY_ID, SECRET, region="us-east-1", endpoint_url=url)
        client: Any = auth._client("s3")
        client.create_bucket(Bucket="streams")

        def download(key: str) -> None:
            sink = _Null()
            client.download_fileobj("streams", key, sink)
            assert sink.size == big.stat().st_size

        with AmazonS3Dir(auth, "streams") as directory:
            rows = _rows("aws", big, directory, download)
        client.close()
    return rows


def _ssh(big: Path) -> list[Row]:
    from fluke.auth import RemoteAuth
    from fluke.storage import RemoteDir

    with ssh_server() as server:
        remote = Path(server.home, "fluke-bench-streams")
        shutil.rmtree(remote, ignore_errors=True)
        remote.mkdir(parents=True)
        os.chown(remote, server.uid, server.gid)
        auth = RemoteAuth.from_key(
            server.host,
            server.username,
            str(server.client_keys["ed25519"]),
            port=server.port,
            known_hosts=str(server.known_hosts),
            ssh_config=False,
        )
        try:
            with RemoteDir(auth, str(remote)) as directory:
                connection = directory._session.backend.connection  # paramiko, as the SDK

                def download(name: str) -> None:
                    sink = _Null()
                    with connection.sftp() as sftp:
                        # bounded prefetch, as OpenSSH's sftp (64 requests): unbounded,
                        # paramiko slows down sharply on big files (27 s for 64 MiB)
                        sftp.getfo(f"{remote}/{name}", sink, max_concurrent_prefetch_requests=64)
                    assert sink.size == big.stat().st_size

                return _rows("ssh", big, directory, download)
        finally:
            shutil.rmtree(remote, ignore_errors=True)


def main() -> list[Row]:
    """Run the measurements; return ``(label, value)`` rows."""
    import importlib.util

    rows: list[Row] = []
    scratch = Path(tempfile.mkdtemp(prefix="fluke-bench-streams-"))
    try:
        big = write_big(scratch / "big" / "big.bin")
        if importlib.util.find_spec("fluke_aws") is not None:
            rows += _aws(big)
        if importlib.util.find_spec("fluke_ssh") is not None:
            rows += _ssh(big)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return rows


if __name__ == "__main__":
    print_rows(main())
