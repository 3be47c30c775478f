"""fluke-azure benchmarks against one Azurite, side by side in one run.

Upload a local directory of 500 files of 16 KiB and one file of 256 MiB to
Blob storage, and download them back, with Fluke and with anchors on the same
Azurite: the azure-storage-blob SDK driven directly (``upload_blob`` /
``download_blob``; a 16-thread pool for the small files, ``max_concurrency=8``
for the big one), rclone (``azureblob`` remote with ``use_emulator``;
``--transfers 16``) when it is on ``PATH``, and the original Fluke 0.5.0.
Fluke and the SDK: best of two alternating runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from _common import (
    BIG_MIB,
    SMALL_FILES,
    Row,
    best_of,
    compare,
    fluke_copier,
    old_fluke_dir_script,
    old_fluke_python,
    print_rows,
    run_old_fluke,
    servers,
    timed,
    write_big,
    write_small,
)

OLD_FLUKE_SCRIPT = old_fluke_dir_script(
    "AzureAuth", "AzureBlobDir", "AzureAuth.from_conn_string(sys.argv[5])"
)


def main() -> list[Row]:
    """Run the measurements; return ``(label, value)`` rows."""
    from fluke_azure.auth import AzureAuth
    from fluke_azure.storage import AzureBlobDir

    rows: list[Row] = []
    old_python = old_fluke_python()
    rclone = shutil.which("rclone")
    with tempfile.TemporaryDirectory() as tmp, servers.azurite(Path(tmp)) as azurite:
        conn = azurite.connection_string
        auth = AzureAuth.from_conn_string(conn)
        service: Any = auth.blob_service_client()
        small = Path(tmp, "small")
        names = write_small(small)
        big = write_big(Path(tmp, "big", "big.bin")).parent
        for name in ("fluke", "sdk", "old", "rclone"):
            service.create_container(name)
        sdk = service.get_container_client("sdk")

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

        fluke_up, fluke_down = fluke_copier(partial(AzureBlobDir, auth, "fluke"))

        def old(src: Path, prefix: str, direction: str) -> Callable[[], float | str] | None:
            if old_python is None:
                return None
            if direction == "up":
                # Fluke 0.5.0 checks a directory with blob.exists() on its name, which
                # only ADLS Gen2 folders satisfy: emulate one with a folder blob.
                service.get_container_client("old").upload_blob(
                    prefix.rstrip("/"), b"", overwrite=True, metadata={"hdi_isfolder": "true"}
                )
            args = [str(src), "old", prefix, direction, conn]
            return lambda: run_old_fluke(old_python, OLD_FLUKE_SCRIPT, args)

        rclone_env = {
            **os.environ,
            "RCLONE_CONFIG_AZ_TYPE": "azureblob",
            "RCLONE_CONFIG_AZ_ACCOUNT": servers.AZURITE_ACCOUNT,
            "RCLONE_CONFIG_AZ_KEY": servers.AZURITE_KEY,
            "RCLONE_CONFIG_AZ_ENDPOINT": azurite.blob,
            "RCLONE_CONFIG_AZ_USE_EMULATOR": "true",
        }

        def via_rclone(source: str, destination: str) -> Callable[[], float | str] | None:
            if rclone is None:
                return None
            command = [rclone, "copy", "--transfers", "16", source, destination]

            def run() -> float | str:
                try:
                    return timed(lambda: subprocess.run(command, env=rclone_env, check=True))
                except subprocess.CalledProcessError as error:
                    return f"failed ({error.returncode})"

            return run

        for directory in ("fs", "ss", "os", "rs", "fb", "sb", "ob", "rb"):
            Path(tmp, directory).mkdir()
        cases = [
            (
                f"azure {SMALL_FILES} x 16 KiB upload",
                lambda: fluke_up(small, "small/"),
                sdk_small_up,
                via_rclone(str(small), "az:rclone/small"),
                old(small, "small/", "up"),
            ),
            (
                f"azure {SMALL_FILES} x 16 KiB download",
                lambda: fluke_down("small/", Path(tmp, "fs")),
                lambda: sdk_small_down(Path(tmp, "ss")),
                via_rclone("az:rclone/small", str(Path(tmp, "rs"))),
                old(Path(tmp, "os"), "small/", "down"),
            ),
            (
                f"azure 1 x {BIG_MIB} MiB upload",
                lambda: fluke_up(big, "big/"),
                sdk_big_up,
                via_rclone(str(big), "az:rclone/big"),
                old(big, "big/", "up"),
            ),
            (
                f"azure 1 x {BIG_MIB} MiB download",
                lambda: fluke_down("big/", Path(tmp, "fb")),
                lambda: sdk_big_down(Path(tmp, "sb")),
                via_rclone("az:rclone/big", str(Path(tmp, "rb"))),
                old(Path(tmp, "ob"), "big/", "down"),
            ),
        ]
        for label, fluke_call, sdk_call, rclone_call, old_call in cases:
            fluke_seconds, sdk_seconds = best_of(2, fluke_call, sdk_call)
            anchors: dict[str, float | str] = {"sdk": sdk_seconds}
            for name, call in (("rclone", rclone_call), ("fluke 0.5.0", old_call)):
                if call is not None:
                    anchors[name] = call()
            rows.append(compare(label, fluke_seconds, anchors))
        service.close()
    return rows


if __name__ == "__main__":
    print_rows(main())
