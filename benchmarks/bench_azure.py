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
from functools import partial
from pathlib import Path
from typing import Any

from _common import (
    BEFORE,
    Mover,
    Row,
    azurite_server,
    before_mover,
    fluke_mover,
    old_fluke_dir_script,
    old_fluke_python,
    pool_map,
    print_rows,
    run_old_fluke,
    servers,
    timed,
    up_down_rows,
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

    old_python = old_fluke_python()
    rclone = shutil.which("rclone")
    with tempfile.TemporaryDirectory() as tmp, azurite_server(Path(tmp)) as azurite:
        conn = azurite.connection_string
        auth = AzureAuth.from_conn_string(conn)
        service: Any = auth.blob_service_client()
        names = write_small(Path(tmp, "small"))
        write_big(Path(tmp, "big", "big.bin"))
        for name in ("fluke", "sdk", "old", "rclone", "before"):
            service.create_container(name)
        sdk_container = service.get_container_client("sdk")

        def sdk(direction: str, prefix: str, local: Path) -> Callable[[], None]:
            up = direction == "up"

            def one(name: str, concurrency: int = 1) -> None:
                if up:
                    with open(local / name, "rb") as data:
                        sdk_container.upload_blob(
                            f"{prefix}{name}", data, overwrite=True, max_concurrency=concurrency
                        )
                else:
                    with open(local / name, "wb") as out:
                        blob = sdk_container.download_blob(
                            f"{prefix}{name}", max_concurrency=concurrency
                        )
                        blob.readinto(out)

            if prefix == "small/":
                return lambda: pool_map(one, names)
            return lambda: one("big.bin", concurrency=8)

        def old(direction: str, prefix: str, local: Path) -> Callable[[], float | str]:
            assert old_python is not None
            if direction == "up":
                # Fluke 0.5.0 checks a directory with blob.exists() on its name, which
                # only ADLS Gen2 folders satisfy: emulate one with a folder blob.
                service.get_container_client("old").upload_blob(
                    prefix.rstrip("/"), b"", overwrite=True, metadata={"hdi_isfolder": "true"}
                )
            args = [str(local), "old", prefix, direction, conn]
            return lambda: run_old_fluke(old_python, OLD_FLUKE_SCRIPT, args)

        rclone_env = {
            **os.environ,
            "RCLONE_CONFIG_AZ_TYPE": "azureblob",
            "RCLONE_CONFIG_AZ_ACCOUNT": servers.AZURITE_ACCOUNT,
            "RCLONE_CONFIG_AZ_KEY": servers.AZURITE_KEY,
            "RCLONE_CONFIG_AZ_ENDPOINT": azurite.blob,
            "RCLONE_CONFIG_AZ_USE_EMULATOR": "true",
        }

        def via_rclone(direction: str, prefix: str, local: Path) -> Callable[[], float | str]:
            assert rclone is not None
            remote = f"az:rclone/{prefix.rstrip('/')}"
            ends = [str(local), remote] if direction == "up" else [remote, str(local)]
            command = [rclone, "copy", "--transfers", "16", *ends]

            def run() -> float | str:
                try:
                    return timed(lambda: subprocess.run(command, env=rclone_env, check=True))
                except subprocess.CalledProcessError as error:
                    return f"failed ({error.returncode})"

            return run

        once: dict[str, Mover | None] = {
            "rclone": via_rclone if rclone else None,
            "fluke 0.5.0": old if old_python else None,
            BEFORE: before_mover(
                "from fluke_azure.auth import AzureAuth\n"
                "from fluke_azure.storage import AzureBlobDir",
                f"AzureBlobDir(AzureAuth.from_conn_string({conn!r}), 'before', prefix, "
                "create_if_missing=direction == 'up')",
            ),
        }
        fluke = fluke_mover(partial(AzureBlobDir, auth, "fluke"))
        rows = up_down_rows("azure", Path(tmp), fluke, ("sdk", sdk), once)
        service.close()
    return rows


if __name__ == "__main__":
    print_rows(main())
