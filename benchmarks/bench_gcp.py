"""fluke-gcp benchmarks against one fake-gcs-server, side by side in one run.

Upload/download 500 files of 16 KiB and one file of 256 MiB with Fluke, with
google-cloud-storage driven directly (a 16-thread pool for the small files;
``transfer_manager`` for the large one) and with the original Fluke 0.5.0
(which reaches the emulator through ``STORAGE_EMULATOR_HOST``). Fluke and the
SDK: best of two alternating runs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from _common import (
    BIG_MIB,
    SMALL_FILES,
    MiB,
    Row,
    best_of,
    compare,
    fluke_copier,
    old_fluke_dir_script,
    old_fluke_python,
    print_rows,
    run_old_fluke,
    servers,
    write_big,
    write_small,
)

OLD_FLUKE_SCRIPT = old_fluke_dir_script(
    "GCPAuth",
    "GCPStorageDir",
    'GCPAuth.from_application_default_credentials(project_id="test", credentials="")',
    ', create_if_missing=direction == "up"',
)


def main() -> list[Row]:
    """Run the measurements; return ``(label, value)`` rows."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    from google.cloud.storage import transfer_manager

    from fluke_gcp.auth import GCPAuth
    from fluke_gcp.storage import GCPStorageDir

    rows: list[Row] = []
    old_python = old_fluke_python()
    with servers.fake_gcs() as url, tempfile.TemporaryDirectory() as tmp:
        client: Any = storage.Client(
            project="test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": url},
        )
        auth = GCPAuth.for_emulator(url)
        small = Path(tmp, "small")
        names = write_small(small)
        big = write_big(Path(tmp, "big", "big.bin")).parent
        for name in ("fluke", "sdk", "old"):
            client.create_bucket(name)

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
                    str(big / "big.bin"), blob, chunk_size=32 * MiB, max_workers=8
                )
            except Exception:  # the emulator lacks XML multipart uploads
                if not any(label == "gcp sdk big upload" for label, _ in rows):
                    rows.append(
                        ("gcp sdk big upload", "transfer_manager unsupported: upload_from_filename")
                    )
                blob.upload_from_filename(str(big / "big.bin"))

        def sdk_big_down(dst: Path) -> None:
            blob = client.bucket("sdk").blob("big/big.bin")
            transfer_manager.download_chunks_concurrently(
                blob, str(dst / "big.bin"), chunk_size=32 * MiB, max_workers=8
            )

        fluke_up, fluke_down = fluke_copier(partial(GCPStorageDir, auth, "fluke"))

        def old(src: Path, prefix: str, direction: str) -> Callable[[], float | str] | None:
            if old_python is None:
                return None
            # 0.5.0 lists dir markers as files: download what the SDK uploaded (no markers)
            bucket = "old" if direction == "up" else "sdk"
            env = {"STORAGE_EMULATOR_HOST": url}
            args = [str(src), bucket, prefix, direction]
            return lambda: run_old_fluke(old_python, OLD_FLUKE_SCRIPT, args, env)

        for directory in ("fs", "ss", "os", "fb", "sb", "ob"):
            Path(tmp, directory).mkdir()
        cases = [
            (
                f"gcp {SMALL_FILES} x 16 KiB upload",
                lambda: fluke_up(small, "small/"),
                sdk_small_up,
                old(small, "small/", "up"),
            ),
            (
                f"gcp {SMALL_FILES} x 16 KiB download",
                lambda: fluke_down("small/", Path(tmp, "fs")),
                lambda: sdk_small_down(Path(tmp, "ss")),
                old(Path(tmp, "os"), "small/", "down"),
            ),
            (
                f"gcp 1 x {BIG_MIB} MiB upload",
                lambda: fluke_up(big, "big/"),
                sdk_big_up,
                old(big, "big/", "up"),
            ),
            (
                f"gcp 1 x {BIG_MIB} MiB download",
                lambda: fluke_down("big/", Path(tmp, "fb")),
                lambda: sdk_big_down(Path(tmp, "sb")),
                old(Path(tmp, "ob"), "big/", "down"),
            ),
        ]
        for label, fluke_call, sdk_call, old_call in cases:
            fluke_seconds, sdk_seconds = best_of(2, fluke_call, sdk_call)
            anchors: dict[str, float | str] = {"sdk": sdk_seconds}
            if old_call is not None:
                anchors["fluke 0.5.0"] = old_call()
            rows.append(compare(label, fluke_seconds, anchors))
        client.close()
    return rows


if __name__ == "__main__":
    print_rows(main())
