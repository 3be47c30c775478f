"""fluke-azure benchmarks against one Azurite, side by side in one run.

Upload a local directory of 500 files of 16 KiB and one file of 256 MiB to
Blob storage, and download them back, with Fluke and with anchors on the same
Azurite:

* the azure-storage-blob SDK driven directly (``upload_blob`` /
  ``download_blob``; a 16-thread pool for the small files,
  ``max_concurrency=8`` for the big one);
* rclone (``azureblob`` remote with ``use_emulator`` and the Azurite
  endpoint; ``--transfers 16``), when ``rclone`` is on ``PATH``;
* the original Fluke 0.5.0, when ``FLUKE_BENCH_OLD_FLUKE`` names a python
  with ``fluke-api==0.5.0`` installed (or ``auto``: build one in a cache
  virtualenv).

Prints the best of two alternating runs in seconds and Fluke's speed relative
to each anchor (higher is better). ``FLUKE_BENCH_BIG_MIB`` shrinks the big
file. Azurite is found like the tests find it (``FLUKE_AZURITE_BIN``, ``PATH``,
``~/.cache/fluke-azurite``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SMALL_FILES = 500
SMALL_SIZE = 16 * 1024
BIG_MIB = int(os.environ.get("FLUKE_BENCH_BIG_MIB", "256"))
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

OLD_FLUKE_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from fluke.auth import AzureAuth
    from fluke.storage import AzureBlobDir, LocalDir
    src, container, prefix, direction, conn = sys.argv[1:6]
    auth = AzureAuth.from_conn_string(conn)
    started = time.perf_counter()
    local = LocalDir(src)
    with AzureBlobDir(auth, container, prefix) as remote:
        if direction == "up":
            ok = local.transfer_to(remote, recursively=True, suppress_output=True)
        else:
            ok = remote.transfer_to(local, recursively=True, suppress_output=True)
    if ok is False:
        sys.exit("fluke 0.5.0 reported a failed transfer")
    print(time.perf_counter() - started)
    """
)


def _azurite_binary() -> str:
    env_dir = os.environ.get("FLUKE_AZURITE_BIN")
    if env_dir and Path(env_dir, "azurite").exists():
        return str(Path(env_dir, "azurite"))
    found = shutil.which("azurite")
    if found:
        return found
    home = Path(os.environ.get("FLUKE_AZURITE_HOME", Path.home() / ".cache" / "fluke-azurite"))
    binary = home / "node_modules" / ".bin" / "azurite"
    if not binary.exists():
        home.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(home), "azurite@3"], check=True
        )
    return str(binary)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _azurite(location: str) -> Iterator[str]:
    """Azurite's Blob service alone, in its own process; yields the endpoint."""
    port = _free_port()
    process = subprocess.Popen(
        [
            str(Path(_azurite_binary()).with_name("azurite-blob")),
            "--silent", "--location", location,
            "--blobHost", "127.0.0.1", "--blobPort", str(port),
            "--skipApiVersionCheck", "--loose",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/{ACCOUNT}"
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
    from fluke.storage import LocalDir
    from fluke_azure.auth import AzureAuth
    from fluke_azure.storage import AzureBlobDir

    rows: list[tuple[str, str]] = []
    old_python = _old_fluke_python()
    rclone = shutil.which("rclone")
    with tempfile.TemporaryDirectory() as tmp, _azurite(str(Path(tmp, "azurite"))) as endpoint:
        conn = (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
            f"BlobEndpoint={endpoint};"
        )
        auth = AzureAuth.from_conn_string(conn)
        service: Any = auth.blob_service_client()
        small = Path(tmp, "small")
        small.mkdir()
        for index in range(SMALL_FILES):
            (small / f"f{index:03d}.bin").write_bytes(os.urandom(SMALL_SIZE))
        big = Path(tmp, "big")
        big.mkdir()
        with open(big / "big.bin", "wb") as handle:
            for _ in range(BIG_MIB):
                handle.write(os.urandom(1024 * 1024))
        for name in ("fluke", "sdk", "old", "rclone"):
            service.create_container(name)
        sdk = service.get_container_client("sdk")
        names = sorted(os.listdir(small))

        def sdk_small_up() -> None:
            def put(name: str) -> None:
                with open(small / name, "rb") as data:
                    sdk.upload_blob(f"small/{name}", data, overwrite=True)

            with ThreadPoolExecutor(16) as pool:
                list(pool.map(put, names))

        def sdk_small_down(dst: Path) -> None:
            def get(name: str) -> None:
                with open(dst / name, "wb") as out:
                    sdk.download_blob(f"small/{name}").readinto(out)

            with ThreadPoolExecutor(16) as pool:
                list(pool.map(get, names))

        def sdk_big_up() -> None:
            with open(big / "big.bin", "rb") as data:
                sdk.upload_blob("big/big.bin", data, overwrite=True, max_concurrency=8)

        def sdk_big_down(dst: Path) -> None:
            with open(dst / "big.bin", "wb") as out:
                sdk.download_blob("big/big.bin", max_concurrency=8).readinto(out)

        def fluke_up(src: Path, prefix: str) -> None:
            with (
                LocalDir(str(src)) as source,
                AzureBlobDir(auth, "fluke", prefix, create_if_missing=True) as dst,
            ):
                assert source.transfer_to(dst, overwrite=True, suppress_output=True)

        def fluke_down(prefix: str, dst: Path) -> None:
            with (
                AzureBlobDir(auth, "fluke", prefix) as source,
                LocalDir(str(dst), create_if_missing=True) as local,
            ):
                assert source.transfer_to(local, overwrite=True, suppress_output=True)

        def old(src: Path, prefix: str, direction: str) -> Callable[[], object] | None:
            if old_python is None:
                return None
            if direction == "up":
                # Fluke 0.5.0 checks a directory with blob.exists() on its name, which
                # only ADLS Gen2 folders satisfy: emulate one with a folder blob.
                service.get_container_client("old").upload_blob(
                    prefix.rstrip("/"), b"", overwrite=True, metadata={"hdi_isfolder": "true"}
                )
            args = [old_python, "-c", OLD_FLUKE_SCRIPT, str(src), "old", prefix, direction, conn]
            return lambda: subprocess.run(args, check=True, stdout=subprocess.DEVNULL)

        rclone_env = {
            **os.environ,
            "RCLONE_CONFIG_AZ_TYPE": "azureblob",
            "RCLONE_CONFIG_AZ_ACCOUNT": ACCOUNT,
            "RCLONE_CONFIG_AZ_KEY": KEY,
            "RCLONE_CONFIG_AZ_ENDPOINT": endpoint,
            "RCLONE_CONFIG_AZ_USE_EMULATOR": "true",
        }

        def via_rclone(source: str, destination: str) -> Callable[[], object] | None:
            if rclone is None:
                return None
            command = [rclone, "copy", "--transfers", "16", source, destination]
            return lambda: subprocess.run(command, env=rclone_env, check=True)

        for directory in ("fs", "ss", "os", "rs", "fb", "sb", "ob", "rb"):
            Path(tmp, directory).mkdir()
        cases = [
            (
                f"{SMALL_FILES} x 16 KiB upload",
                lambda: fluke_up(small, "small/"),
                sdk_small_up,
                via_rclone(str(small), "az:rclone/small"),
                old(small, "small/", "up"),
            ),
            (
                f"{SMALL_FILES} x 16 KiB download",
                lambda: fluke_down("small/", Path(tmp, "fs")),
                lambda: sdk_small_down(Path(tmp, "ss")),
                via_rclone("az:rclone/small", str(Path(tmp, "rs"))),
                old(Path(tmp, "os"), "small/", "down"),
            ),
            (
                f"1 x {BIG_MIB} MiB upload",
                lambda: fluke_up(big, "big/"),
                sdk_big_up,
                via_rclone(str(big), "az:rclone/big"),
                old(big, "big/", "up"),
            ),
            (
                f"1 x {BIG_MIB} MiB download",
                lambda: fluke_down("big/", Path(tmp, "fb")),
                lambda: sdk_big_down(Path(tmp, "sb")),
                via_rclone("az:rclone/big", str(Path(tmp, "rb"))),
                old(Path(tmp, "ob"), "big/", "down"),
            ),
        ]
        for label, fluke_call, sdk_call, rclone_call, old_call in cases:
            fluke_seconds, sdk_seconds = float("inf"), float("inf")
            for _ in range(2):  # alternate, keep the best of two of each
                fluke_seconds = min(fluke_seconds, _timed(fluke_call))
                sdk_seconds = min(sdk_seconds, _timed(sdk_call))
            text = f"azure {label}: fluke {fluke_seconds:.2f}s, sdk {sdk_seconds:.2f}s"
            value = f"ratio {sdk_seconds / fluke_seconds:.2f}x sdk speed"
            for name, call in (("rclone", rclone_call), ("fluke 0.5.0", old_call)):
                if call is None:
                    continue
                try:
                    seconds = _timed(call)
                except subprocess.CalledProcessError:
                    value += f", {name} failed"
                else:
                    text += f", {name} {seconds:.2f}s"
                    value += f", {seconds / fluke_seconds:.2f}x {name} speed"
            rows.append((text, value))
        service.close()
    return rows


if __name__ == "__main__":
    for label, value in main():
        print(f"{label:70} {value}")  # noqa: T201
