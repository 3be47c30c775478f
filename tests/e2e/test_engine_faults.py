"""The transfer engine under faults, on real servers.

- a loopback HTTP proxy in front of moto answers ``503`` (or drops the
  connection) for the first N requests: the transfer succeeds through
  Fluke's own retries, and gives up after the bound with an error naming
  the file, leaving nothing under the key and no multipart upload behind;
- the sshd process serving an SFTP session is killed in the middle of a
  256 MiB upload: nothing under the final name, the report names the file,
  and a re-run with ``skip_identical`` sends only that file;
- a source that grows or shrinks while it is copied fails that file;
- hostile object keys (``../x``, ``a/../../x``, ``/abs``, ``a\\..\\b``) never
  write outside the destination directory, locally or over SFTP.

boto3's own retries stay as Fluke configures them (6 tries per request);
the proxy fails more requests than that, so only Fluke's ``RetryPolicy`` can
make the transfer succeed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import servers
from engine_support import FaultProxy, MiB, Stores, aws_auth_for, unique

from fluke import _paths
from fluke._dir import Dir
from fluke.exceptions import UnsafePathError
from fluke.local import LocalBackend, LocalFile
from fluke.transfer._retry import RetryPolicy

#: Tries boto3 makes per request before Fluke sees an error: fluke-aws configures
#: ``max_attempts=5``, which botocore counts as retries after the first try.
BOTO_ATTEMPTS = 6
FAST = {"base_delay": 0.01, "max_delay": 0.05}


def put_object(method: str, path: str) -> bool:
    return method == "PUT" and "partNumber=" not in path and "uploadId=" not in path


def put_doomed(method: str, path: str) -> bool:
    return put_object(method, path) and "doomed" in path


def upload_part(method: str, path: str) -> bool:
    return method == "PUT" and "partNumber=" in path


def write_random(path: Path, size: int) -> str:
    """Fill ``path`` with ``size`` random bytes; return their MD5."""
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "wb") as handle:
        left = size
        while left:
            block = os.urandom(min(left, 8 * MiB))
            digest.update(block)
            handle.write(block)
            left -= len(block)
    return digest.hexdigest()


def s3_md5(client: Any, bucket: str, key: str) -> str:
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    digest = hashlib.md5(usedforsecurity=False)
    for block in iter(lambda: body.read(MiB), b""):
        digest.update(block)
    return digest.hexdigest()


def s3_exists(client: Any, bucket: str, key: str) -> bool:
    listed = client.list_objects_v2(Bucket=bucket, Prefix=key)
    return any(item["Key"] == key for item in listed.get("Contents", []))


def multipart_uploads(client: Any, bucket: str, prefix: str) -> list[str]:
    listed = client.list_multipart_uploads(Bucket=bucket, Prefix=prefix)
    return [upload["Key"] for upload in listed.get("Uploads", [])]


# -- a) transient errors: retried, then given up -------------------------------


@pytest.mark.parametrize("mode", ["503", "drop"])
def test_transient_errors_are_retried_by_the_engine(
    stores: Stores,
    s3_proxy: FaultProxy,
    s3_client: Any,
    s3_bucket: str,
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    src = stores.dir("local", "src")
    stores.write(src, "one.txt", b"one\n" * 1000)
    dst = stores.dir("s3", "dst", endpoint=s3_proxy.url)
    failures = BOTO_ATTEMPTS + 2  # boto3 alone cannot get through
    s3_proxy.fail(failures, mode)  # type: ignore[arg-type]
    caplog.set_level(logging.INFO, logger="fluke.transfer")

    report = src.transfer_to(
        dst, recursively=True, suppress_output=True, retry=RetryPolicy(attempts=3, **FAST)
    )

    assert report, [(outcome.source, outcome.error) for outcome in report.failed]
    assert s3_proxy.failures() == failures
    assert "transient error" in caplog.text  # Fluke's RetryPolicy did the work
    key = f"{stores.area}/dst/one.txt"
    body = s3_client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
    assert body == b"one\n" * 1000


def test_parts_are_retried_by_the_engine(
    stores: Stores, s3_proxy: FaultProxy, s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    src = stores.dir("local", "src")
    md5 = write_random(tmp_path / "src" / "big.bin", 12 * MiB)
    dst = stores.dir("s3", "dst", endpoint=s3_proxy.url)
    # 3 parts; more failures than 3 x boto's attempts: some part needs Fluke's retry
    failures = 3 * BOTO_ATTEMPTS + 1
    s3_proxy.fail(failures, "503", upload_part)

    report = src.transfer_to(
        dst,
        recursively=True,
        suppress_output=True,
        chunk_size=5 * MiB,
        retry=RetryPolicy(attempts=5, **FAST),
    )

    assert report, [(outcome.source, outcome.error) for outcome in report.failed]
    assert s3_proxy.failures(upload_part) == failures
    key = f"{stores.area}/dst/big.bin"
    assert s3_md5(s3_client, s3_bucket, key) == md5
    assert multipart_uploads(s3_client, s3_bucket, stores.area) == []


@pytest.mark.parametrize(
    ("size", "match", "mode"),
    [(1000, put_doomed, "503"), (12 * MiB, upload_part, "503"), (12 * MiB, upload_part, "drop")],
    ids=["single-put-503", "multipart-503", "multipart-drop"],
)
def test_the_engine_gives_up_after_its_bound(
    stores: Stores,
    s3_proxy: FaultProxy,
    s3_client: Any,
    s3_bucket: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    size: int,
    match: Callable[[str, str], bool],
    mode: str,
) -> None:
    src = stores.dir("local", "src")
    write_random(tmp_path / "src" / "doomed.bin", size)
    stores.write(src, "fine.txt", b"fine")
    dst = stores.dir("s3", "dst", endpoint=s3_proxy.url)
    s3_proxy.fail(None, mode, match)  # type: ignore[arg-type]
    attempts = 3

    report = src.transfer_to(
        dst,
        recursively=True,
        chunk_size=5 * MiB,
        retry=RetryPolicy(attempts=attempts, **FAST),
    )

    assert not report
    assert [outcome.source for outcome in report.failed] == [f"file://{tmp_path}/src/doomed.bin"]
    error = report.failed[0].error
    assert error is not None
    printed = capsys.readouterr().err
    assert f"FAILED file://{tmp_path}/src/doomed.bin: " in printed
    if mode == "503":
        assert "ServiceUnavailable" in str(error)
    if size < 5 * MiB:  # one request per attempt, each tried by boto then by Fluke
        assert s3_proxy.failures(match) == attempts * BOTO_ATTEMPTS
    else:
        assert s3_proxy.failures(match) >= attempts * BOTO_ATTEMPTS
    key = f"{stores.area}/dst/doomed.bin"
    assert not s3_exists(s3_client, s3_bucket, key)
    assert multipart_uploads(s3_client, s3_bucket, stores.area) == []
    assert [outcome.source for outcome in report.transferred] == [f"file://{tmp_path}/src/fine.txt"]


# -- b) the server dies in the middle of a large transfer ----------------------


def _session_pids(port: int) -> set[int]:
    """The sshd processes serving this process's connections to ``port``."""
    mine = {
        conn.laddr.port
        for conn in psutil.Process().net_connections("tcp")
        if conn.raddr and conn.raddr.port == port
    }
    return {
        conn.pid
        for conn in psutil.net_connections("tcp")
        if conn.pid
        and conn.pid != os.getpid()
        and conn.laddr.port == port
        and conn.raddr
        and conn.raddr.port in mine
    }


class _Killer(threading.Thread):
    """Kills the sshd session processes once a temporary upload reaches ``threshold`` bytes."""

    def __init__(self, watched: Path, threshold: int, port: int) -> None:
        super().__init__(daemon=True)
        self.watched = watched
        self.threshold = threshold
        self.port = port
        self.killed: set[int] = set()
        self.seen = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for part in self.watched.rglob("*.fluke-part"):
                try:
                    self.seen = max(self.seen, part.stat().st_size)
                except FileNotFoundError:
                    continue
                if self.seen >= self.threshold:
                    self.killed = _session_pids(self.port)
                    for pid in self.killed:
                        os.kill(pid, signal.SIGKILL)
                    return
            time.sleep(0.002)


BIG = 256 * MiB


def test_sshd_killed_mid_transfer_then_rerun_sends_only_what_is_missing(
    stores: Stores, sshd: servers.SSHServer, sftp_area: str, tmp_path: Path
) -> None:
    src = stores.dir("local", "src")
    md5 = write_random(tmp_path / "src" / "big.bin", BIG)
    small = {"a.txt": b"a" * 1000, "nested/b.txt": b"b" * 5000}
    for relative, data in small.items():
        stores.write(src, relative, data)
    dst = stores.dir("sftp", "dst")
    killer = _Killer(Path(sftp_area) / "dst", BIG // 4, sshd.port)
    killer.start()

    # one try: the outage outlasts any retry
    report = src.transfer_to(
        dst, recursively=True, suppress_output=True, retry=RetryPolicy(attempts=1)
    )
    killer.stop.set()
    killer.join()

    assert killer.killed, f"nothing killed (upload reached {killer.seen} bytes)"
    assert not report
    assert [outcome.source for outcome in report.failed] == [f"file://{tmp_path}/src/big.bin"]
    assert sorted(outcome.source for outcome in report.transferred) == sorted(
        f"file://{tmp_path}/src/{relative}" for relative in small
    )
    assert not (Path(sftp_area) / "dst" / "big.bin").exists()

    again = stores.dir("sftp", "dst")  # a new connection
    rerun = src.transfer_to(again, recursively=True, suppress_output=True, skip_identical=True)

    assert rerun, [(outcome.source, outcome.error) for outcome in rerun.failed]
    assert [outcome.source for outcome in rerun.transferred] == [f"file://{tmp_path}/src/big.bin"]
    assert len(rerun.skipped) == len(small)
    assert rerun.total_bytes == BIG
    final = Path(sftp_area) / "dst" / "big.bin"
    digest = hashlib.md5(usedforsecurity=False)
    with open(final, "rb") as handle:
        for block in iter(lambda: handle.read(8 * MiB), b""):
            digest.update(block)
    assert digest.hexdigest() == md5


# -- c) the source changes size while it is copied -----------------------------


def test_source_growing_during_a_multipart_upload_fails_that_file(
    stores: Stores, s3_proxy: FaultProxy, s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    src = stores.dir("local", "src")
    source = tmp_path / "src" / "growing.bin"
    write_random(source, 15 * MiB)
    stores.write(src, "steady.txt", b"steady")
    dst = stores.dir("s3", "dst", endpoint=s3_proxy.url)
    grown = threading.Event()

    def grow(method: str, path: str) -> None:
        if upload_part(method, path) and not grown.is_set():
            grown.set()
            with open(source, "ab") as handle:
                handle.write(os.urandom(MiB))

    s3_proxy.before_forward = grow

    report = src.transfer_to(dst, recursively=True, suppress_output=True, chunk_size=5 * MiB)

    assert grown.is_set()
    assert [outcome.source for outcome in report.failed] == [f"file://{source}"]
    assert "changed size" in str(report.failed[0].error)
    assert not s3_exists(s3_client, s3_bucket, f"{stores.area}/dst/growing.bin")
    assert multipart_uploads(s3_client, s3_bucket, stores.area) == []
    assert len(report.transferred) == 1


class _ChangingBackend(LocalBackend):
    """Local disk whose streamed reads change the file after its first chunk."""

    def __init__(self, change: Callable[[str], None]) -> None:
        self.change = change

    def iter_chunks(
        self, path: str, chunk_size: int, size: int | None = None, *, version: str | None = None
    ) -> Iterator[bytes]:
        chunks = super().iter_chunks(path, chunk_size, size, version=version)
        for number, chunk in enumerate(chunks):
            yield chunk
            if number == 0:
                self.change(path)


class _ChangingLocalDir(Dir):
    """A local directory read through :class:`_ChangingBackend`."""

    file_class = LocalFile

    def __init__(self, path: Path, change: Callable[[str], None]) -> None:
        self._attach(_ChangingBackend(change), _paths.as_dir_path(str(path)))


def _grow(path: str) -> None:
    with open(path, "ab") as handle:
        handle.write(os.urandom(MiB))


def _shrink(path: str) -> None:
    os.truncate(path, os.path.getsize(path) - 3 * MiB)


@pytest.mark.parametrize("dst_kind", ["s3", "sftp"])
@pytest.mark.parametrize("change", [_grow, _shrink], ids=["grows", "shrinks"])
def test_source_changing_size_while_streamed_fails_that_file(
    stores: Stores,
    tmp_path: Path,
    s3_client: Any,
    s3_bucket: str,
    sftp_area: str,
    dst_kind: str,
    change: Callable[[str], None],
) -> None:
    write_random(tmp_path / "src" / "changing.bin", 10 * MiB)  # streamed: < 2 parts
    (tmp_path / "src" / "steady.txt").write_bytes(b"steady")
    changed: list[str] = []

    def once(path: str) -> None:
        if path.endswith("changing.bin") and not changed:
            changed.append(path)
            change(path)

    src = _ChangingLocalDir(tmp_path / "src", once)
    dst = stores.dir(dst_kind, "dst")

    report = src.transfer_to(dst, recursively=True, suppress_output=True)
    src.close()

    assert changed
    assert [outcome.source for outcome in report.failed] == [f"file://{tmp_path}/src/changing.bin"]
    assert len(report.transferred) == 1
    if dst_kind == "s3":
        assert not s3_exists(s3_client, s3_bucket, f"{stores.area}/dst/changing.bin")
        assert multipart_uploads(s3_client, s3_bucket, stores.area) == []
    else:  # nothing under the final name, no temporary file left
        assert sorted(os.listdir(Path(sftp_area) / "dst")) == ["steady.txt"]


# -- d) hostile keys never land outside the destination ------------------------


@pytest.mark.parametrize("dst_kind", ["local", "sftp"])
def test_hostile_keys_stay_inside_the_destination(
    stores: Stores,
    s3_client: Any,
    moto_endpoint: str,
    tmp_path: Path,
    sftp_area: str,
    dst_kind: str,
) -> None:
    from fluke.storage import AmazonS3Dir

    tag = unique("escape")
    hostile = [f"../{tag}", f"a/../../{tag}", f"/{tag}", f"a\\..\\..\\{tag}"]
    bucket = unique("hostile")
    s3_client.create_bucket(Bucket=bucket)
    for key in [*hostile, "ok.txt"]:
        s3_client.put_object(Bucket=bucket, Key=key, Body=b"payload")
    stored = [item["Key"] for item in s3_client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(stored) == sorted([*hostile, "ok.txt"])  # the server kept them verbatim

    with AmazonS3Dir(aws_auth_for(moto_endpoint), bucket) as src:
        dst = stores.dir(dst_kind, "jail/dst")
        report = src.transfer_to(dst, recursively=True, suppress_output=True)

    assert [outcome.destination for outcome in report.transferred] == [dst.get_uri() + "ok.txt"]
    assert sorted(outcome.source for outcome in report.failed) == sorted(
        f"s3://{bucket}/{key}" for key in hostile
    )
    assert all(isinstance(outcome.error, UnsafePathError) for outcome in report.failed)
    root = tmp_path if dst_kind == "local" else Path(sftp_area)
    written = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
    assert written == ["jail/dst/ok.txt"]
    for place in (Path("/"), Path("/tmp"), Path(servers.SSH_STATE_DIR).parent, root.parent):
        assert not list(place.glob(f"*{tag}*")), place
