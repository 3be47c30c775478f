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
from functools import partial
from pathlib import Path
from typing import Any

from _common import (
    BEFORE,
    MiB,
    Mover,
    Row,
    before_mover,
    fluke_mover,
    gcs_server,
    many_download_row,
    old_fluke_dir_script,
    old_fluke_python,
    pool_map,
    print_rows,
    run_old_fluke,
    up_down_rows,
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

    notes: list[Row] = []
    old_python = old_fluke_python()
    with gcs_server() as url, tempfile.TemporaryDirectory() as tmp:
        client: Any = storage.Client(
            project="test",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": url},
        )
        auth = GCPAuth.for_emulator(url)
        names = write_small(Path(tmp, "small"))
        write_big(Path(tmp, "big", "big.bin"))
        for name in ("fluke", "sdk", "old", "before"):
            client.create_bucket(name)
        bucket = client.bucket("sdk")

        def big_up(path: str) -> None:
            blob = bucket.blob("big/big.bin")
            try:
                transfer_manager.upload_chunks_concurrently(
                    path, blob, chunk_size=32 * MiB, max_workers=8
                )
            except Exception:  # the emulator lacks XML multipart uploads
                note = ("gcp sdk big upload", "transfer_manager unsupported: upload_from_filename")
                if note not in notes:
                    notes.append(note)
                blob.upload_from_filename(path)

        def sdk(direction: str, prefix: str, local: Path) -> Callable[[], None]:
            up = direction == "up"
            if prefix == "small/":

                def one(name: str) -> None:
                    blob = bucket.blob(f"small/{name}")
                    if up:
                        blob.upload_from_filename(str(local / name))
                    else:
                        blob.download_to_filename(str(local / name))

                return lambda: pool_map(one, names)
            big = str(local / "big.bin")
            if up:
                return lambda: big_up(big)
            return lambda: transfer_manager.download_chunks_concurrently(
                bucket.blob("big/big.bin"), big, chunk_size=32 * MiB, max_workers=8
            )

        def old(direction: str, prefix: str, local: Path) -> Callable[[], float | str]:
            assert old_python is not None
            # 0.5.0 lists dir markers as files: download what the SDK uploaded (no markers)
            bucket_name = "old" if direction == "up" else "sdk"
            env = {"STORAGE_EMULATOR_HOST": url}
            args = [str(local), bucket_name, prefix, direction]
            return lambda: run_old_fluke(old_python, OLD_FLUKE_SCRIPT, args, env)

        once: dict[str, Mover | None] = {
            "fluke 0.5.0": old if old_python else None,
            BEFORE: before_mover(
                "from fluke_gcp.auth import GCPAuth\nfrom fluke_gcp.storage import GCPStorageDir",
                f"GCPStorageDir(GCPAuth.for_emulator({url!r}), 'before', prefix, "
                "create_if_missing=direction == 'up')",
            ),
        }
        fluke = fluke_mover(partial(GCPStorageDir, auth, "fluke"))
        rows = up_down_rows("gcp", Path(tmp), fluke, ("sdk", sdk), once)
        rows.append(many_download_row("gcp", Path(tmp), fluke, once[BEFORE]))
        client.close()
    return rows + notes


if __name__ == "__main__":
    print_rows(main())
