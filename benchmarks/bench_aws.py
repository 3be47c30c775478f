"""fluke-aws benchmarks against one moto server, side by side in one run.

Upload a local directory of 500 files of 16 KiB and one file of 256 MiB to
S3, and download them back, with Fluke and with boto3 driven directly
(``upload_file``/``download_file``; a 16-thread pool for the small files).
If ``FLUKE_BENCH_OLD_FLUKE`` names a python with ``fluke-api==0.5.0``
installed (or ``auto``: build one in a cache virtualenv), the original Fluke
runs the same transfers through ``AWS_ENDPOINT_URL`` (its times include starting
its interpreter, about 1 s). Prints the best of two
alternating runs in seconds and Fluke's speed relative to each anchor
(higher is better). ``FLUKE_BENCH_BIG_MIB`` shrinks the
big file.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SMALL_FILES = 500
SMALL_SIZE = 16 * 1024
BIG_MIB = int(os.environ.get("FLUKE_BENCH_BIG_MIB", "256"))
KEY_ID, SECRET = "AKIAFLUKEBENCH000001", "fluke-bench-secret"

OLD_FLUKE_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from fluke.auth import AWSAuth
    from fluke.storage import AmazonS3Dir, LocalDir
    src, bucket, prefix, direction = sys.argv[1:5]
    auth = AWSAuth(aws_access_key_id=sys.argv[5], aws_secret_access_key=sys.argv[6])
    started = time.perf_counter()
    local = LocalDir(src)
    with AmazonS3Dir(auth, bucket, prefix, create_if_missing=direction == "up") as remote:
        if direction == "up":
            ok = local.transfer_to(remote, recursively=True, suppress_output=True)
        else:
            ok = remote.transfer_to(local, recursively=True, suppress_output=True)
    if ok is False:
        sys.exit("fluke 0.5.0 reported a failed transfer")
    print(time.perf_counter() - started)
    """
)


@contextmanager
def _server() -> Iterator[str]:
    """moto's server in its own process (so it does not share our GIL)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait()


def _old_fluke_python() -> str | None:
    choice = os.environ.get("FLUKE_BENCH_OLD_FLUKE", "")
    if not choice:
        return None
    if choice != "auto":
        return choice
    home = Path.home() / ".cache" / "fluke-bench-0.5.0"
    python = home / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(home)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "fluke-api==0.5.0"], check=True)
    return str(python)


def _timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> list[tuple[str, str]]:
    """Run the measurements; return ``(label, value)`` rows."""
    from boto3.s3.transfer import TransferConfig

    from fluke.storage import LocalDir
    from fluke_aws.auth import AWSAuth
    from fluke_aws.storage import AmazonS3Dir

    rows: list[tuple[str, str]] = []
    old_python = _old_fluke_python()
    with _server() as url, tempfile.TemporaryDirectory() as tmp:
        auth = AWSAuth(KEY_ID, SECRET, region="us-east-1", endpoint_url=url)
        client: Any = auth._client("s3")
        small = Path(tmp, "small")
        small.mkdir()
        for index in range(SMALL_FILES):
            (small / f"f{index:03d}.bin").write_bytes(os.urandom(SMALL_SIZE))
        big = Path(tmp, "big")
        big.mkdir()
        with open(big / "big.bin", "wb") as handle:
            for _ in range(BIG_MIB):
                handle.write(os.urandom(1024 * 1024))
        for name in ("fluke", "sdk", "old"):
            client.create_bucket(Bucket=name)
        names = sorted(os.listdir(small))
        config = TransferConfig()

        def sdk_small_up() -> None:
            with ThreadPoolExecutor(16) as pool:
                list(
                    pool.map(
                        lambda n: client.upload_file(str(small / n), "sdk", f"small/{n}"), names
                    )
                )

        def sdk_small_down(dst: Path) -> None:
            with ThreadPoolExecutor(16) as pool:
                list(
                    pool.map(
                        lambda n: client.download_file("sdk", f"small/{n}", str(dst / n)), names
                    )
                )

        def sdk_big_up() -> None:
            client.upload_file(str(big / "big.bin"), "sdk", "big/big.bin", Config=config)

        def sdk_big_down(dst: Path) -> None:
            client.download_file("sdk", "big/big.bin", str(dst / "big.bin"), Config=config)

        def fluke_up(src: Path, prefix: str) -> None:
            with (
                LocalDir(str(src)) as source,
                AmazonS3Dir(auth, "fluke", prefix, create_if_missing=True) as dst,
            ):
                assert source.transfer_to(dst, overwrite=True, suppress_output=True)

        def fluke_down(prefix: str, dst: Path) -> None:
            with (
                AmazonS3Dir(auth, "fluke", prefix) as source,
                LocalDir(str(dst), create_if_missing=True) as local,
            ):
                assert source.transfer_to(local, overwrite=True, suppress_output=True)

        def old(src: Path, prefix: str, direction: str) -> Callable[[], object] | None:
            if old_python is None:
                return None
            # 0.5.0 lists dir markers as files: download what boto3 uploaded (no markers)
            bucket = "old" if direction == "up" else "sdk"
            env = {**os.environ, "AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1"}
            args = [old_python, "-c", OLD_FLUKE_SCRIPT, str(src), bucket, prefix, direction]
            return lambda: subprocess.run([*args, KEY_ID, SECRET], env=env, check=True)

        for directory in ("fs", "ss", "os", "fb", "sb", "ob"):
            Path(tmp, directory).mkdir()
        cases = [
            (
                f"{SMALL_FILES} x 16 KiB upload",
                lambda: fluke_up(small, "small/"),
                sdk_small_up,
                old(small, "small/", "up"),
            ),
            (
                f"{SMALL_FILES} x 16 KiB download",
                lambda: fluke_down("small/", Path(tmp, "fs")),
                lambda: sdk_small_down(Path(tmp, "ss")),
                old(Path(tmp, "os"), "small/", "down"),
            ),
            (
                f"1 x {BIG_MIB} MiB upload",
                lambda: fluke_up(big, "big/"),
                sdk_big_up,
                old(big, "big/", "up"),
            ),
            (
                f"1 x {BIG_MIB} MiB download",
                lambda: fluke_down("big/", Path(tmp, "fb")),
                lambda: sdk_big_down(Path(tmp, "sb")),
                old(Path(tmp, "ob"), "big/", "down"),
            ),
        ]
        for label, fluke_call, sdk_call, old_call in cases:
            fluke_seconds, sdk_seconds = float("inf"), float("inf")
            for _ in range(2):  # alternate, keep the best of two of each
                fluke_seconds = min(fluke_seconds, _timed(fluke_call))
                sdk_seconds = min(sdk_seconds, _timed(sdk_call))
            text = f"aws {label}: fluke {fluke_seconds:.2f}s, boto3 {sdk_seconds:.2f}s"
            value = f"ratio {sdk_seconds / fluke_seconds:.2f}x boto3 speed"
            if old_call is not None:
                try:
                    old_seconds = _timed(old_call)
                except subprocess.CalledProcessError:
                    value += ", fluke 0.5.0 failed"
                else:
                    text += f", fluke 0.5.0 {old_seconds:.2f}s"
                    value += f", {old_seconds / fluke_seconds:.2f}x fluke 0.5.0 speed"
            rows.append((text, value))
        client.close()
    return rows


if __name__ == "__main__":
    for label, value in main():
        print(f"{label:70} {value}")  # noqa: T201
